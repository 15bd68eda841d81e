"""Voiceprints in `make bench`: false-accept and false-reject rates of the recognition threshold on real voices.

Hearsay compares a named speaker's voiceprint (the mean CAM++ embedding of that speaker's windows in the
recording where the user named it) with each speaker of a later recording (the mean embedding of that
speaker's windows) and recognises it at cosine similarity >= ``THRESHOLD`` (app/core/speakers/voiceprints.py).

Here, on the spliced real voices of tests/data/speakers (Asterisk prompts: four voices over five recordings,
the reference RTTM giving who speaks when):

- speaker level, as Hearsay compares: every (voice in recording A) against every (voice in recording B), A != B;
  same voice = a genuine trial, another voice = an impostor trial;
- turn level, the hard case of a speaker who says only one sentence in the later recording: every voiceprint
  against every single turn of at least 1.5 s in another recording.

False accept rate (FAR) = impostor trials at or above the threshold / impostor trials; false reject rate
(FRR) = genuine trials below it / genuine trials. Prints a Markdown section; ``--write docs/benchmarks.md``
puts it between the ``bench:voiceprints`` markers.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_sections import write_section  # noqa: E402
from app.core.speakers.diarizer import SenkoDiarizer  # noqa: E402
from app.core.speakers.voiceprints import THRESHOLD, cosine  # noqa: E402

DATA = ROOT / "tests" / "data" / "speakers"
RECORDINGS = ("two_voices", "three_voices", "four_voices", "short_turns", "one_voice")
THRESHOLDS = (0.6, 0.7, 0.75, 0.8, 0.85, 0.9)
MIN_TURN_SECONDS = 1.5


def reference(name: str) -> list[tuple[float, float, str]]:
    """(start, end, voice) of each reference turn of recording ``name``."""
    turns = []
    for line in (DATA / f"{name}.rttm").read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            start = float(fields[3])
            turns.append((start, start + float(fields[4]), fields[7]))
    return turns


def embed(diarizer: SenkoDiarizer, audio: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    """The mean CAM++ embedding of the 1.5-s windows (0.6-s shift) inside ``spans``, as the diarizer makes them."""
    d = diarizer._diarizer
    windows = d._generate_subsegments(spans, None)
    return SenkoDiarizer._embeddings(d, audio, windows, threading.Event(), lambda fraction: None).mean(axis=0)


def rates(genuine: list[float], impostor: list[float], threshold: float) -> tuple[float, float]:
    """(FAR, FRR) at ``threshold``."""
    far = sum(s >= threshold for s in impostor) / max(len(impostor), 1)
    frr = sum(s < threshold for s in genuine) / max(len(genuine), 1)
    return far, frr


def measure() -> str:
    diarizer = SenkoDiarizer()
    diarizer.load()
    speakers: dict[tuple[str, str], np.ndarray] = {}
    turns: list[tuple[str, str, np.ndarray]] = []
    for name in RECORDINGS:
        audio, rate = sf.read(DATA / f"{name}.ogg", dtype="float32")
        assert rate == 16_000
        ref = reference(name)
        for voice in sorted({v for _, _, v in ref}):
            speakers[(name, voice)] = embed(diarizer, audio, [(s, e) for s, e, v in ref if v == voice])
        for start, end, voice in ref:
            if end - start >= MIN_TURN_SECONDS:
                turns.append((name, voice, embed(diarizer, audio, [(start, end)])))
    speaker_trials = {"genuine": [], "impostor": []}
    for (a, voice_a), (b, voice_b) in itertools.permutations(speakers, 2):
        if a != b:
            kind = "genuine" if voice_a == voice_b else "impostor"
            speaker_trials[kind].append(cosine(speakers[(a, voice_a)], speakers[(b, voice_b)]))
    turn_trials = {"genuine": [], "impostor": []}
    for (a, voice_a), (b, voice_b, embedding) in itertools.product(speakers, turns):
        if a != b:
            turn_trials["genuine" if voice_a == voice_b else "impostor"].append(cosine(speakers[(a, voice_a)], embedding))
    voices = sorted({v for _, v in speakers})
    lines = [
        f"Real voices: {', '.join(voices)} (Asterisk prompts) over {len(RECORDINGS)} spliced recordings; "
        f"{len(speakers)} speaker voiceprints, {len(turns)} single turns of at least {MIN_TURN_SECONDS} s. "
        f"Hearsay's threshold: {THRESHOLD}.",
        "",
        "| trials | genuine | impostor | cosine, genuine (min / median) | cosine, impostor (median / max) | "
        + " | ".join(f"FAR / FRR at {t}" for t in THRESHOLDS) + " |",
        "|---|---|---|---|---|" + "---|" * len(THRESHOLDS),
    ]
    for label, trials in (("speaker vs speaker", speaker_trials), ("speaker vs one turn", turn_trials)):
        genuine, impostor = trials["genuine"], trials["impostor"]
        cells = []
        for t in THRESHOLDS:
            far, frr = rates(genuine, impostor, t)
            cells.append(f"{far:.1%} / {frr:.1%}")
        lines.append(f"| {label} | {len(genuine)} | {len(impostor)} | {min(genuine):.2f} / {np.median(genuine):.2f} | "
                     f"{np.median(impostor):.2f} / {max(impostor):.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, metavar="MD", help="also write the section into this Markdown file")
    args = parser.parse_args(argv)
    text = measure()
    print(text)
    if args.write:
        write_section(args.write, "voiceprints", text, "Voiceprints: false accepts and false rejects")
    return 0


if __name__ == "__main__":
    sys.exit(main())
