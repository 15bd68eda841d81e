"""Figures for docs/languages.md: custom vocabulary, language detection, translation, code switching.

Runs Hearsay's own ``WhisperTranscriber`` on the committed fixtures (tests/data: names.ogg from espeak-ng,
french.ogg and switch.ogg from the Asterisk prompts) and prints Markdown: names recognised and word error
rate with and without the vocabulary (tiny.en and base), the detected language of the French recording,
its transcript and translation, and the per-utterance languages of the code-switching recording.

Usage: ``python scripts/bench_languages.py [--base DIR]`` (default: models/whisper-base of this checkout,
as ``make setup`` installs it). Takes about a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's app, not an installed one

from app.core.speech import media  # noqa: E402
from app.core.speech.transcription import WhisperTranscriber  # noqa: E402

DATA = ROOT / "tests" / "data"
NAMES = ("Okonkwo", "Siobhan", "Kubernetes", "Nyquist", "Tchaikovsky", "Ngozi")


def words(text: str) -> list[str]:
    """Lower-case words without punctuation (how the word error rate compares them)."""
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, by Levenshtein distance over words."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        diagonal, row[0] = row[0], i
        for j in range(1, len(hyp) + 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (ref[i - 1] != hyp[j - 1]))
    return row[len(hyp)] / max(len(ref), 1)


def run(transcriber: WhisperTranscriber, name: str, language: str | None = None) -> tuple[list, float]:
    """(segments, seconds) of one transcription."""
    started = time.perf_counter()
    _, segments = transcriber.transcribe(DATA / name, threading.Event(), language)
    segments = list(segments)
    return segments, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=str(ROOT / "models" / "whisper-base"), help="Whisper base folder")
    args = parser.parse_args()
    reference = (DATA / "names.txt").read_text("utf-8").strip()
    print("| model | vocabulary | names recognised | WER | seconds | transcript |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, model in (("tiny.en", None), ("base", args.base)):
        for vocabulary in ("", ", ".join(NAMES)):
            transcriber = WhisperTranscriber(model, device="cpu", vocabulary=vocabulary)
            transcriber.load()
            segments, seconds = run(transcriber, "names.ogg", "en")
            text = " ".join(s.text for s in segments)
            heard = sum(1 for name in NAMES if name.lower() in text.lower())
            print(f"| {label} | {'the 6 names' if vocabulary else 'none'} | {heard}/{len(NAMES)} "
                  f"| {word_error_rate(reference, text):.2f} | {seconds:.1f} | {text} |")
    print()
    base = WhisperTranscriber(args.base, device="cpu")
    (window,) = media.decode_windows(DATA / "french.ogg", 0.0, 600.0)
    language, probability = base.detect_language(window.samples)
    print(f"french.ogg: detected {language}, probability {probability:.3f}")
    segments, seconds = run(base, "french.ogg")
    print(f"- transcribed ({seconds:.1f} s): " + " ".join(s.text for s in segments))
    segments, seconds = run(WhisperTranscriber(args.base, device="cpu", translate=True), "french.ogg")
    print(f"- translated ({seconds:.1f} s): " + " ".join(s.text for s in segments))
    print()
    for label, transcriber, language in (
            ("one language per file", WhisperTranscriber(args.base, device="cpu"), None),
            ("code switching among en,fr", WhisperTranscriber(args.base, device="cpu", code_switching=True), "en,fr")):
        segments, seconds = run(transcriber, "switch.ogg", language)
        print(f"switch.ogg, {label} ({seconds:.1f} s):")
        for s in segments:
            print(f"- {s.start:5.1f}-{s.end:5.1f} s [{s.language}] {s.text}")


if __name__ == "__main__":
    main()
