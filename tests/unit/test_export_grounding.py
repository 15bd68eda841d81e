"""Grounded answers in the exports: JSON ``citations`` per prompt result, Markdown ``[mm:ss]`` after supported
sentences and the sentences not found listed under the answer; Gladia's SDK still reads the JSON."""

import json
from pathlib import Path

from gladiaio_sdk.v2.prerecorded.generated_types import PreRecordedV2Response

from app.core.analysis import Analysis, AnalysisStatus, PromptResult, PromptStatus, Transcript
from app.core.export.json_result import render_json
from app.core.export.markdown import render_markdown
from tests.fakes import make_segments

RESPONSE = ('## Summary\n\n- The team will launch the new website on Friday.\n'
            '- Maria said "I will write the press release by Monday".\n'
            '- The budget for marketing was approved by the board.\n'
            '- Maria writes the press release [00:01].\n')


def grounded_analysis() -> Analysis:
    analysis = Analysis(source=Path("/recordings/plan.wav"), prompts=["Summarize.", "Translate.", "Risks?"],
                        transcript=Transcript(make_segments([
                            "Good morning team.", "We decided to launch the new website on Friday.",
                            "Maria will write the press release by Thursday.",
                            "Do we need a bigger budget for marketing?"], 10.0), language="en", duration=40.0),
                        status=AnalysisStatus.DONE, duration=40.0, id="00000000-0000-0000-0000-000000000002")
    analysis.prompt_results = [
        PromptResult("Summarize.", RESPONSE, PromptStatus.DONE),
        PromptResult("Translate.", "", PromptStatus.FAILED, error="the model ran out of memory"),
        PromptResult("Risks?", "The website launches on Friday.", PromptStatus.CANCELLED),
    ]
    return analysis


def test_json_citations_per_sentence_only_for_results_with_a_response():
    results = json.loads(render_json(grounded_analysis()))["result"]["audio_to_llm"]["results"]
    launch, quote, invented, cited = results[0]["citations"]
    assert launch == {"sentence": "The team will launch the new website on Friday.", "start": 0.0, "end": 20.0,
                      "segment_ids": [0, 1], "supported": True, "score": 1.0,
                      "span": [RESPONSE.index("The team"), RESPONSE.index("Friday.") + 7],
                      "quote_ok": None, "cited": [], "cited_ok": None}
    assert RESPONSE[slice(*launch["span"])] == launch["sentence"]
    assert quote["supported"] is False and quote["quote_ok"] is False and quote["start"] is None
    assert invented["supported"] is False and invented["segment_ids"] == [] and invented["score"] < 0.5
    assert cited["supported"] and cited["cited"] == [1.0] and cited["cited_ok"] is False  # 00:01 is "Good morning"
    assert "citations" not in results[1]  # no response, nothing to ground
    assert results[2]["citations"][0]["supported"] is True  # a partial answer is grounded as far as it goes


def test_markdown_adds_times_after_supported_sentences_and_lists_the_rest():
    text = render_markdown(grounded_analysis())
    assert "- The team will launch the new website on Friday. [00:00]\n" in text
    assert '- Maria said "I will write the press release by Monday".\n' in text  # not supported: no time
    assert "- Maria writes the press release [00:01].\n" in text  # its own citation kept, no second one
    assert ('_Not found in the recording: "Maria said "I will write the press release by Monday"."; '
            '"The budget for marketing was approved by the board."_') in text
    assert '_Cited time does not say it: "Maria writes the press release \\[00:01\\]."_' in text
    assert "The website launches on Friday. [00:10]" in text  # the cancelled answer's partial text too
    assert text.index("_Not found") < text.index("## Translate.")


def test_gladia_sdk_reads_a_grounded_result():
    data = json.loads(render_json(grounded_analysis()))
    parsed = PreRecordedV2Response.from_dict(data)
    assert parsed.result.audio_to_llm.results[0].results.response == RESPONSE
