"""Grounding end to end: `hearsay analyze` on a real recording with the real models (tiny.en, SmolLM2-135M),
then the JSON's citations checked against the response and the transcript they point into."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent.parent / "data"
PROMPTS = ("Repeat the sentence about the website word for word, in double quotes.",
           "Summarize the main points of the recording.")


def test_real_answers_carry_citations_that_point_into_the_transcript(tmp_path):
    out = tmp_path / "result.json"
    args = [sys.executable, "-m", "app", "analyze", str(DATA / "speech.wav"), "--no-diarize", "--no-history",
            "--max-tokens", "96", "-o", str(out)]
    for prompt in PROMPTS:
        args += ["-p", prompt]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, HEARSAY_HOME=str(tmp_path)))
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text("utf-8"))
    utterances = data["result"]["transcription"]["utterances"]
    for entry in data["result"]["audio_to_llm"]["results"]:
        response, citations = entry["results"]["response"], entry["citations"]
        assert citations, response  # every real answer has at least one sentence
        for citation in citations:
            assert response[citation["span"][0]:citation["span"][1]] == citation["sentence"]
            assert 0.0 <= citation["score"] <= 1.0
            if citation["supported"]:
                said = [utterances[i] for i in citation["segment_ids"]]
                assert said and citation["start"] == min(u["start"] for u in said)
                assert citation["end"] == max(u["end"] for u in said)
            else:
                assert citation["segment_ids"] == [] and citation["start"] is None
