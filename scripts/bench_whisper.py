"""Transcription figures for `make bench`: Hearsay vs faster-whisper called directly, and decoding options."""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

from app.core import hardware
from app.core.hub import catalog
from app.core.speech import media
from app.core.speech.transcription import WhisperTranscriber

Row = tuple[str, str, str]


def _hearsay(transcriber: WhisperTranscriber, path: Path) -> tuple[float, float, int]:
    started = time.perf_counter()
    duration, segments = transcriber.transcribe(path, threading.Event())
    words = sum(len(s.text.split()) for s in segments)
    return time.perf_counter() - started, duration, words


def _direct(model, path: Path, **options) -> float:
    started = time.perf_counter()
    audio = media.decode(path)
    segments, _ = model.transcribe(audio, word_timestamps=True, **options)
    for _ in segments:
        pass
    return time.perf_counter() - started


def transcription_rows(short: Path, long: Path, repeats: int) -> list[Row]:
    """RTF at both lengths (Hearsay's defaults), and Hearsay / direct on the short one, runs alternating."""
    from faster_whisper import WhisperModel

    transcriber = WhisperTranscriber()
    transcriber.load()
    direct = WhisperModel(catalog.resolve_whisper(None).path, device="cpu", compute_type="int8",
                          cpu_threads=hardware.physical_cores())
    ours, theirs, ratios = [], [], []
    for _ in range(repeats):
        wall, duration, _ = _hearsay(transcriber, short)
        raw = _direct(direct, short, beam_size=transcriber.beam_size, vad_filter=transcriber.vad_filter)
        ours.append(wall)
        theirs.append(raw)
        ratios.append(wall / raw)
    rows = [
        ("transcription", f"{duration / 60:.0f} min audio, Hearsay wall (RTF)",
         f"{statistics.median(ours):.1f} s (RTF {statistics.median(ours) / duration:.3f})"),
        ("transcription", f"{duration / 60:.0f} min audio, faster-whisper direct wall",
         f"{statistics.median(theirs):.1f} s"),
        ("transcription", "Hearsay / direct, same settings (goal ≤ 1.03)",
         f"{statistics.median(ratios):.3f} (runs: {', '.join(f'{r:.3f}' for r in ratios)})"),
    ]
    wall, duration, _ = _hearsay(transcriber, long)
    rows.append(("transcription", f"{duration / 60:.0f} min audio, Hearsay wall (RTF), one run",
                 f"{wall:.0f} s (RTF {wall / duration:.3f})"))
    return rows


def option_rows(clip: Path, repeats: int) -> list[Row]:
    """Wall time and words for the decoding options on one clip: what the defaults were chosen from."""
    rows = []
    variants = [("beam 5", dict(beam_size=5)), ("beam 1 (default)", dict(beam_size=1)),
                ("beam 1 + VAD", dict(beam_size=1, vad_filter=True)),
                ("batched 8, beam 1", dict(beam_size=1, batch_size=8)),
                ("batched 8, beam 5", dict(beam_size=5, batch_size=8))]
    base = None
    for name, options in variants:
        transcriber = WhisperTranscriber(**options)
        transcriber.load()
        walls, words = [], 0
        for _ in range(repeats):
            wall, duration, words = _hearsay(transcriber, clip)
            walls.append(wall)
        wall = statistics.median(walls)
        base = base or wall
        rows.append(("whisper options", f"{duration / 60:.0f} min clip, {name}",
                     f"{wall:.1f} s, RTF {wall / duration:.3f}, {base / wall:.2f}x beam 5 speed, {words} words"))
    return rows
