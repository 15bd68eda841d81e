"""Scripted engines for fast tests: they yield segments and tokens on cue and raise on cue.

They satisfy ``app.core.pipeline.engines.Transcriber`` / ``PromptRunner``. Used only to
drive the pipeline and the GUI quickly and to inject faults; the integration
tests run the real faster-whisper and llama.cpp.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

from app.core.analysis import Segment, Word
from app.core.errors import HearsayError


def make_segments(texts: list[str], seconds_each: float = 2.0) -> list[Segment]:
    """Segments of ``seconds_each`` seconds with one Word per token of text."""
    segments = []
    for i, text in enumerate(texts):
        start, end = i * seconds_each, (i + 1) * seconds_each
        words = text.split()
        step = (end - start) / max(len(words), 1)
        segments.append(
            Segment(
                start=start,
                end=end,
                text=text,
                words=tuple(Word(w, start + k * step, start + (k + 1) * step, 0.9) for k, w in enumerate(words)),
                language="en",
            )
        )
    return segments


class ScriptedTranscriber:
    """Yields ``segments`` with ``delay`` seconds between them; raises ``error`` on transcribe if set.

    ``gate``: when given, the transcriber waits on it before each segment, so a
    test decides when each segment arrives.
    """

    model_name = "scripted-whisper"
    device = "cpu"

    def __init__(self, segments=None, delay=0.0, error=None, load_error=None, gate=None):
        self.segments = segments if segments is not None else make_segments(["Hello team.", "We ship on Friday."])
        self.delay = delay
        self.error = error
        self.load_error = load_error
        self.gate = gate
        self.loads = 0
        self.calls: list[Path] = []
        self.starts: list[float] = []

    def load(self) -> float:
        if self.load_error:
            raise self.load_error
        self.loads += 1
        return 0.0

    def transcribe(self, path, cancel: threading.Event, language=None, start=0.0):
        """As ``Transcriber.transcribe``: from ``start`` on, only the segments ending after it
        (``starts`` records every ``start`` asked for)."""
        self.calls.append(Path(path))
        self.starts.append(start)
        if self.error:
            raise self.error
        duration = self.segments[-1].end if self.segments else 1.0

        def generate() -> Iterator[Segment]:
            for segment in (s for s in self.segments if s.end > start):
                if self.gate is not None:
                    while not self.gate.wait(0.01):
                        if cancel.is_set():
                            return
                    self.gate.clear()
                if cancel.wait(self.delay) if self.delay else cancel.is_set():
                    return
                yield segment

        return duration, generate()


class ScriptedDiarizer:
    """A diarizer with scripted turns: ``turns`` [(start, end, label)] (default: the two default scripted
    segments as two speakers), ``error`` raised by diarize, ``delay`` seconds spent per progress step (10
    steps, cancel seen between them), ``centroids`` {label: embedding} returned as voice embeddings."""

    engine = "scripted-diarizer 1"
    model_name = "scripted"
    device = "cpu"

    def __init__(self, turns=None, error=None, delay=0.0, centroids=None):
        self.turns = turns
        self.error = error
        self.delay = delay
        self.centroids = centroids or {}
        self.calls = []

    def load(self) -> float:
        return 0.0

    def diarize(self, audio, cancel: threading.Event, progress=None, count=None):
        from app.core.errors import Cancelled
        from app.core.speakers.diarizer import DiarizationResult
        from app.core.speakers.turns import SpeakerTurn

        self.calls.append((len(audio), count))
        for step in range(10):
            if cancel.wait(self.delay) if self.delay else cancel.is_set():
                raise Cancelled()
            if progress:
                progress((step + 1) / 10)
        if self.error:
            raise self.error
        turns = self.turns if self.turns is not None else [(0.0, 1.0, 0), (1.0, 60.0, 1)]
        import numpy as np

        return DiarizationResult(turns=[SpeakerTurn(*t) for t in turns],
                                 centroids={k: np.asarray(v, dtype=np.float32) for k, v in self.centroids.items()},
                                 speech_seconds=sum(t[1] - t[0] for t in turns))


class ScriptedPromptRunner:
    """Streams ``tokens`` (default: a reply naming the prompt) with ``delay`` seconds between tokens.

    ``fail_on``: prompt indices (in call order) that raise ``HearsayError``. ``finish_reason``: what
    ``last_finish_reason`` says after a stream that was not cancelled ("length" scripts a cut-off answer).
    Tokens are counted as words; ``context`` is its context limit in those
    words (small values drive the map-reduce path). ``system_texts`` records
    the instructions of every call.
    """

    model_name = "scripted-llm"
    device = "cpu"

    def __init__(self, tokens=None, delay=0.0, fail_on=(), crash_on=(), context=100_000, max_tokens=8,
                 load_delay=0.0, finish_reason="stop"):
        self.tokens = tokens
        self.finish_reason = finish_reason
        self.last_finish_reason = None
        self.delay = delay
        self.fail_on = set(fail_on)
        self.crash_on = set(crash_on)
        self.context = context
        self.max_tokens = max_tokens
        self.load_delay = load_delay
        self.last_stats = None
        self.calls: list[tuple[str, str]] = []
        self.system_texts: list[str] = []
        self.loads = 0
        self.load_threads: list[str] = []

    def load(self) -> float:
        """As the real runner: the seconds of the first load (``load_delay``), then 0.0 (warm)."""
        first = not self.loads
        if first:
            self.load_threads.append(threading.current_thread().name)
            time.sleep(self.load_delay)
        self.loads += 1
        return self.load_delay if first else 0.0

    def context_limit(self) -> int:
        return self.context

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def fixed_tokens(self, prompt: str, system_text: str = "") -> int:
        return 10 + len(prompt.split())

    def stream(self, transcript: str, prompt: str, cancel: threading.Event, system_text: str = "") -> Iterator[str]:
        index = len(self.calls)
        self.last_finish_reason = None
        self.calls.append((transcript, prompt))
        self.system_texts.append(system_text)
        if index in self.fail_on:
            raise HearsayError("the scripted model refused this prompt")
        if index in self.crash_on:
            raise RuntimeError("scripted crash")
        tokens = self.tokens if self.tokens is not None else ["Answer ", "to ", f"prompt {index + 1}."]
        for token in tokens:
            if self.delay and cancel.wait(self.delay):
                return
            if cancel.is_set():
                return
            yield token
        self.last_finish_reason = self.finish_reason


def wait_until(predicate, timeout=5.0):
    """Poll ``predicate`` until true or ``timeout`` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
