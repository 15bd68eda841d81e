"""Write a recording's transcript into the grounding labelled set (tests/data/grounding/NAME.json), keeping its
labelled sentences.

The transcript comes from a result Hearsay wrote with the bundled tiny.en (see tests/data/grounding/README.md)::

    python -m app analyze tests/data/speech.wav --whisper-model tiny.en --language en --no-diarize --no-history \\
        -p "Summarize the main points of the recording." --max-tokens 200 -o /tmp/speech.json
    python scripts/make_grounding_set.py /tmp/speech.json --name speech --recording tests/data/speech.wav

Only ``start``, ``end`` and ``text`` of each utterance are kept (no word timings: the set stays small), plus the
language model's answer and its generation time as they came. The sentences (``sentences``: ``text``,
``supported``, ``kind``, and ``quote_ok`` / ``cited_ok`` where the sentence quotes or cites) are written by hand
against the transcript; ``--labels FILE.json`` replaces them with a JSON list of such objects.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "grounding"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result", type=Path, help="a JSON result written by `hearsay analyze`")
    parser.add_argument("--name", required=True, help="the set's name (its file is tests/data/grounding/NAME.json)")
    parser.add_argument("--recording", required=True, help="the recording, relative to the repository")
    parser.add_argument("--labels", type=Path, help="a JSON list of labelled sentences to put in place")
    args = parser.parse_args()
    result = json.loads(args.result.read_text("utf-8"))
    target = DATA / f"{args.name}.json"
    old = json.loads(target.read_text("utf-8")) if target.exists() else {}
    sentences = json.loads(args.labels.read_text("utf-8")) if args.labels else old.get("sentences", [])
    [answer, *_] = result["result"]["audio_to_llm"]["results"] or [None]
    data = {
        "recording": args.recording,
        "whisper_model": result["result"]["metadata"]["whisper_model"],
        "segments": [{"start": round(u["start"], 3), "end": round(u["end"], 3), "text": u["text"]}
                     for u in result["result"]["transcription"]["utterances"]],
        "model_answer": None if answer is None else {
            "llm_model": result["result"]["metadata"]["llm_model"], "prompt": answer["results"]["prompt"],
            "response": answer["results"]["response"], "exec_time": answer["exec_time"]},
        "sentences": sentences,
    }
    DATA.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"{target.relative_to(ROOT)}: {len(data['segments'])} segments, {len(sentences)} sentences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
