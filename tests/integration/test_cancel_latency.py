"""Cancel on the real default models (tiny.en + SmolLM2-135M), timed: during model load, transcription and
generation, through the core (``run_batch``) and the window's worker (``WorkerHost``); then a next analysis works.

``latency`` is the time from setting the cancel flag to the run being over: ``run_batch``'s iterator
exhausted (both its threads joined) or the worker's ``batch_finished`` delivered in the GUI thread.
Some engine steps cannot be interrupted once started: a model load, and one faster-whisper window
(30 s of audio: encode, the decode with its temperature fallbacks, word alignment, then its segments). The
pipeline waits on them in a way a cancel cuts short (``app.core.pipeline.cancellable``), so every stage must stop
within 1 s of the cancel, whatever is in flight. The step in flight finishes in the background; the
test waits for it afterwards and reports how long it ran on (what a cancel would have waited for before).
Run with ``-s`` to see the figures; they are also recorded as the tests' ``cancel_latency_s`` and
``step_in_flight_ran_on_s`` properties.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from app.core.analysis import Analysis, AnalysisStatus, PromptStatus
from app.core.pipeline.batch import run_batch
from app.core.pipeline.cancellable import join_abandoned
from app.core.pipeline.engines import EngineSettings, create_engines, resolve_overlap
from app.core.pipeline.events import AnalysisFinished, ResponseDelta, SegmentDecoded, Stage, StageChanged
from tests.makers import repeated_speech

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent.parent / "data"
BOUND_S = 1.0
SETTINGS = EngineSettings(max_tokens=256)  # long answers: generation is still running when it is cancelled
PROMPT = "Write a long, detailed report of this meeting, with every decision, person and date."
STAGES = {
    "model load": lambda event: isinstance(event, StageChanged) and event.stage is Stage.LOADING_WHISPER,
    "transcription": lambda event: isinstance(event, SegmentDecoded),
    "generation": lambda event: isinstance(event, ResponseDelta),
}


@pytest.fixture(scope="module")
def long_speech(tmp_path_factory) -> Path:
    """About 60 s of speech: tests/data/speech.wav five times with half a second of silence between."""
    return repeated_speech(tmp_path_factory.mktemp("speech") / "long.wav", 5, seconds=60)


class NativeSteps:
    """Records when the engines' uninterruptible steps run: (name, start, end) in perf_counter seconds."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, float, float]] = []

    def wrap(self, monkeypatch, owner, name: str) -> None:
        """Time every call of ``owner.name`` (a class attribute) for the rest of the test."""
        real = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                self.spans.append((f"{owner.__name__}.{name}", started, time.perf_counter()))

        monkeypatch.setattr(owner, name, timed)

    def units(self) -> list[tuple[str, float, float]]:
        """The uninterruptible units: each load, and each faster-whisper window (from its encode to the
        end of its last step: the decode with fallbacks and the word alignment follow without a cancel check)."""
        units, window = [], None
        for name, start, end in sorted(self.spans, key=lambda span: span[1]):
            if not name.startswith("WhisperModel."):
                units.append((name, start, end))
            elif name.endswith(".encode") or window is None:
                window = ["a Whisper window", start, end]
                units.append(window)
            else:
                window[2] = max(window[2], end)
        return [tuple(unit) for unit in units]

    def blocked(self, cancelled_at: float, ended_at: float) -> tuple[float, str]:
        """Seconds after ``cancelled_at`` spent in units already running then, and which they were."""
        running = [(name, end) for name, start, end in self.units() if start < cancelled_at < end]
        if not running:
            return 0.0, "nothing"
        last = max(end for _, end in running)
        return min(last, ended_at) - cancelled_at, ", ".join(sorted({name for name, _ in running}))


@pytest.fixture
def native_steps(monkeypatch) -> NativeSteps:
    from faster_whisper.transcribe import WhisperModel

    from app.core.llm.runner import LlamaPromptRunner
    from app.core.speech.transcription import WhisperTranscriber

    steps = NativeSteps()
    for owner, name in [(WhisperTranscriber, "load"), (LlamaPromptRunner, "load"), (WhisperModel, "encode"),
                        (WhisperModel, "generate_with_fallback"), (WhisperModel, "add_word_timestamps")]:
        steps.wrap(monkeypatch, owner, name)
    return steps


def check(record_property, steps: NativeSteps, driver: str, stage: str, cancelled_at: float, ended_at: float):
    latency = ended_at - cancelled_at
    join_abandoned(timeout=60)  # let the step in flight finish in the background, to say how long it ran on
    ran_on, what = steps.blocked(cancelled_at, time.perf_counter())
    record_property("cancel_latency_s", round(latency, 3))
    record_property("step_in_flight_ran_on_s", round(ran_on, 3))
    print(f"\ncancel latency, {driver}, during {stage}: {latency * 1000:.0f} ms "
          f"(the step in flight, {what}, ran on {ran_on * 1000:.0f} ms in the background)")
    assert latency < BOUND_S  # whatever was in flight: loads and Whisper windows are waited on cancellably


def analyse_normally(engines) -> Analysis:
    analysis = Analysis(source=DATA / "speech.wav", prompts=["Who writes the press release?"])
    for _ in run_batch([analysis], *engines, threading.Event(), overlap=resolve_overlap(SETTINGS)):
        pass
    return analysis


@pytest.mark.parametrize("stage", list(STAGES))
def test_core_cancel_and_the_next_analysis(stage, long_speech, native_steps, record_property):
    for attempt in range(2):
        engines = create_engines(SETTINGS)  # fresh: nothing loaded yet, so "model load" really is loading
        analysis = Analysis(source=long_speech, prompts=[PROMPT])
        cancel = threading.Event()
        cancelled_at = None
        for _, event in run_batch([analysis], *engines, cancel, overlap=resolve_overlap(SETTINGS)):
            if cancelled_at is None and STAGES[stage](event):
                cancel.set()
                cancelled_at = time.perf_counter()
        ended_at = time.perf_counter()
        if cancelled_at is not None:
            break
        # Seen twice in about 20 full runs, cause not found yet: say what the run ended with, try once more.
        print(f"\nattempt {attempt + 1} ended before {stage}: {analysis.status} {analysis.error} "
              f"{len(analysis.transcript.segments)} segments")
        record_property(f"attempt_{attempt + 1}_ended_before_stage", f"{analysis.status} {analysis.error}")
        engines[1].close()
    try:
        assert cancelled_at is not None, f"the run ended before {stage}: {analysis.status} {analysis.error}"
        assert analysis.status is AnalysisStatus.CANCELLED
        assert analysis.prompt_results[0].status is PromptStatus.CANCELLED
        check(record_property, native_steps, "core run_batch", stage, cancelled_at, ended_at)
        after = analyse_normally(engines)
        assert after.status is AnalysisStatus.DONE, after.error
        assert after.prompt_results[0].status is PromptStatus.DONE and after.prompt_results[0].response
    finally:
        engines[1].close()


@pytest.mark.parametrize("stage", list(STAGES))
def test_worker_cancel_and_the_next_analysis(stage, long_speech, native_steps, qtbot, record_property):
    from PySide6.QtCore import QObject, Slot

    from app.ui.workers import WorkerHost

    host = WorkerHost(create_engines)
    finished: list[Analysis] = []
    cancelled_at: list[float] = []

    class Canceller(QObject):
        """Lives in the GUI thread: the worker's signals reach it queued, as they reach the window."""

        @Slot(str, object)
        def on_event(self, analysis_id, event):
            if not cancelled_at and STAGES[stage](event):
                host.cancel()
                cancelled_at.append(time.perf_counter())
            if isinstance(event, AnalysisFinished):
                finished.append(event.analysis)

    canceller = Canceller()
    host.worker.event.connect(canceller.on_event)
    try:
        analysis = Analysis(source=long_speech, prompts=[PROMPT])
        with qtbot.waitSignal(host.worker.batch_finished, timeout=120_000):
            host.submit([analysis], SETTINGS)
        ended_at = time.perf_counter()
        assert cancelled_at, f"the run ended before {stage}"
        assert finished == [analysis] and analysis.status is AnalysisStatus.CANCELLED
        assert not host.is_busy()
        check(record_property, native_steps, "GUI worker", stage, cancelled_at[0], ended_at)

        again = Analysis(source=DATA / "speech.wav", prompts=["Who writes the press release?"])
        with qtbot.waitSignal(host.worker.batch_finished, timeout=120_000):
            host.submit([again], SETTINGS)
        assert again.status is AnalysisStatus.DONE, again.error
        assert again.prompt_results[0].response
    finally:
        host.shutdown()
