"""What speaker labels add to the transcript the language model reads, in tokens.

For each real-voice recording in tests/data/speakers: transcribe (the bundled tiny.en, English forced),
diarize (``SenkoDiarizer``), give the words their speakers, then count the tokens of the transcript as the
model reads it (``app.core.llm.labels.transcript_text``: ``[mm:ss] Name: …`` one line per turn) against the
plain text (segments joined by spaces, what it read before speakers), with the bundled language model's own
tokenizer (SmolLM2-135M). The labels are inside the shared prefix, so they cost once per file, not per prompt.
Prints a Markdown section; ``--write docs/benchmarks.md`` puts it between the ``bench:speaker-labels`` markers.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_sections import write_section  # noqa: E402
from app.core.analysis import Transcript  # noqa: E402
from app.core.hub.catalog import resolve_llm  # noqa: E402
from app.core.llm.labels import transcript_text  # noqa: E402
from app.core.speakers.diarizer import SenkoDiarizer  # noqa: E402
from app.core.speakers.turns import assign_speakers  # noqa: E402
from app.core.speech.transcription import WhisperTranscriber  # noqa: E402

DATA = ROOT / "tests" / "data" / "speakers"
RECORDINGS = ("pyannote_sample", "two_voices", "three_voices", "four_voices", "short_turns", "one_voice")


def measure() -> str:
    from llama_cpp import Llama

    model = resolve_llm(None)
    vocabulary = Llama(model.path, vocab_only=True, verbose=False)

    def tokens(text: str) -> int:
        return len(vocabulary.tokenize(text.encode("utf-8"), add_bos=False))

    transcriber = WhisperTranscriber()
    transcriber.load()
    diarizer = SenkoDiarizer()
    diarizer.load()
    lines = [f"Tokenizer: {model.name}. Transcription: tiny.en (English forced). Diarization: {diarizer.engine}.", "",
             "| recording | turns | plain tokens | labelled tokens | added | per turn |", "|---|---|---|---|---|---|"]
    plain_total = labelled_total = 0
    for name in RECORDINGS:
        path = DATA / f"{name}.ogg"
        _, produced = transcriber.transcribe(path, threading.Event(), "en")
        segments = list(produced)
        audio, _ = sf.read(path, dtype="float32")
        result = diarizer.diarize(audio, threading.Event())
        labelled, _ = assign_speakers(segments, result.turns)
        plain = tokens(transcript_text(Transcript(segments)))
        with_speakers = transcript_text(Transcript(labelled))
        turns = with_speakers.count("\n") + 1
        count = tokens(with_speakers)
        plain_total, labelled_total = plain_total + plain, labelled_total + count
        lines.append(f"| {name} | {turns} | {plain} | {count} | +{count - plain} ({(count - plain) / plain:.0%}) | "
                     f"{(count - plain) / turns:.1f} |")
    lines.append(f"| all | | {plain_total} | {labelled_total} | +{labelled_total - plain_total} "
                 f"({(labelled_total - plain_total) / plain_total:.0%}) | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, metavar="MD", help="also write the section into this Markdown file")
    args = parser.parse_args(argv)
    text = measure()
    print(text)
    if args.write:
        write_section(args.write, "speaker-labels", text, "Speaker labels: what they add to the transcript, in tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main())
