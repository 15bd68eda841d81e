"""The one worker thread that owns the engines, and its host in the GUI thread.

Shape (Anki's single-worker executor, superqt's generator workers): every use
of the engines happens in ONE long-lived ``QThread``, so the ``Llama`` is never
called from two threads and stays loaded across files and batches. The GUI
thread hands over a batch through a queued signal, follows it through signals
that carry the pipeline's own event objects, and cancels by setting a
``threading.Event`` (safe from any thread). The pipeline checks that flag
between segments and between tokens, so a cancel lands within a segment or a
token.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.core.analysis import Analysis
from app.core.engines import EngineSettings, PromptRunner, Transcriber, create_engines
from app.core.errors import HearsayError
from app.core.events import AnalysisFinished
from app.core.pipeline import analyze, mark_cancelled, mark_failed

log = logging.getLogger(__name__)

EngineFactory = Callable[[EngineSettings], tuple[Transcriber, PromptRunner]]
"""Builds (transcriber, prompt runner) for the settings; ``create_engines`` by default, fakes in tests."""


@dataclass(eq=False)
class Batch:
    """Files to analyse one after another with the same engine settings.

    ``cancel`` is this batch's flag: set it (from any thread) to stop the
    current file at its next segment or token and skip the files after it.
    """

    analyses: list[Analysis]
    settings: EngineSettings
    cancel: threading.Event = field(default_factory=threading.Event)


def _engine_key(settings: EngineSettings) -> EngineSettings:
    # The language is a per-call argument of the pipeline, not part of the engines.
    return replace(settings, language=None)


class AnalysisWorker(QObject):
    """Runs batches of analyses in the thread it was moved to, keeping the engines alive.

    Signals, all emitted from the worker thread (connect GUI slots to them; Qt
    delivers them queued, in emission order):

    - ``analysis_started(Analysis)``: a file begins.
    - ``event(str, object)``: ``(analysis.id, event)`` for every pipeline event
      (``app.core.events``), ending with ``AnalysisFinished`` for every file,
      also for files skipped because the batch was cancelled first.
    - ``batch_finished(Batch)``: after the batch's last file.

    Thread-safety: build it in the GUI thread and move it to its QThread; from
    other threads call only ``submit``, ``cancel`` and ``is_busy`` (they take a
    lock or emit a queued signal). Engines are created, used and closed only in
    the worker thread, and rebuilt only when the model settings change. An
    ``Analysis`` handed over belongs to the worker until its
    ``AnalysisFinished``; the GUI must not read or change it before that (the
    events carry everything the GUI shows meanwhile).
    """

    analysis_started = Signal(object)
    event = Signal(str, object)
    batch_finished = Signal(object)
    _batch_requested = Signal(object)
    _shutdown_requested = Signal()

    def __init__(self, engine_factory: EngineFactory | None = None) -> None:
        super().__init__()
        self._factory = engine_factory or create_engines
        self._engines: tuple[Transcriber, PromptRunner] | None = None
        self._engine_key: EngineSettings | None = None
        self._lock = threading.Lock()
        self._outstanding: list[Batch] = []
        self._batch_requested.connect(self._run_batch)
        self._shutdown_requested.connect(self._shutdown)

    # ---- any thread -------------------------------------------------------

    def submit(self, analyses: list[Analysis], settings: EngineSettings) -> Batch:
        """Queue ``analyses`` as one batch; it runs after the batches queued before it."""
        batch = Batch(list(analyses), settings)
        with self._lock:
            self._outstanding.append(batch)
        self._batch_requested.emit(batch)
        return batch

    def cancel(self) -> None:
        """Stop the running file and skip every queued one (all outstanding batches)."""
        with self._lock:
            batches = list(self._outstanding)
        for batch in batches:
            batch.cancel.set()

    def is_busy(self) -> bool:
        """True while a batch is queued or running."""
        with self._lock:
            return bool(self._outstanding)

    # ---- worker thread ----------------------------------------------------

    @Slot(object)
    def _run_batch(self, batch: Batch) -> None:
        try:
            for analysis in batch.analyses:
                self._run_one(analysis, batch)
        finally:
            with self._lock:
                self._outstanding.remove(batch)
            self.batch_finished.emit(batch)

    def _run_one(self, analysis: Analysis, batch: Batch) -> None:
        if batch.cancel.is_set():
            mark_cancelled(analysis)
            self.event.emit(analysis.id, AnalysisFinished(analysis))
            return
        self.analysis_started.emit(analysis)
        try:
            transcriber, runner = self._engines_for(batch.settings)
        except HearsayError as exc:
            self._fail(analysis, exc.message)
            return
        except Exception as exc:  # a broken factory must reach the user, not kill the thread
            log.exception("cannot create the engines")
            self._fail(analysis, f"the models could not be set up: {exc}")
            return
        for event in analyze(analysis, transcriber, runner, batch.cancel, batch.settings.language):
            self.event.emit(analysis.id, event)

    def _fail(self, analysis: Analysis, message: str) -> None:
        mark_failed(analysis, message)
        self.event.emit(analysis.id, AnalysisFinished(analysis))

    def _engines_for(self, settings: EngineSettings) -> tuple[Transcriber, PromptRunner]:
        key = _engine_key(settings)
        if self._engines is None or key != self._engine_key:
            self._release()
            self._engines = self._factory(settings)
            self._engine_key = key
        return self._engines

    def _release(self) -> None:
        engines, self._engines, self._engine_key = self._engines, None, None
        for engine in engines or ():
            close = getattr(engine, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:
                    log.exception("closing an engine failed")

    @Slot()
    def _shutdown(self) -> None:
        # Queued after every batch, so it runs once they are done (cancelled).
        self._release()
        QThread.currentThread().quit()


class WorkerHost:
    """Owns the engine thread and its ``AnalysisWorker``; used from the GUI thread only.

    The thread starts on the first ``submit`` and lives until ``shutdown``,
    which cancels, lets the worker close its engines in its own thread, quits
    the thread and waits for it: call it from ``closeEvent`` so no
    "QThread: Destroyed while thread is still running" can happen.
    """

    def __init__(self, engine_factory: EngineFactory | None = None) -> None:
        self.thread = QThread()
        self.thread.setObjectName("hearsay-engines")
        self.worker = AnalysisWorker(engine_factory)
        self.worker.moveToThread(self.thread)
        self._stopped = False

    def submit(self, analyses: list[Analysis], settings: EngineSettings) -> Batch:
        """Start the thread if needed and queue a batch. Raises RuntimeError after ``shutdown``."""
        if self._stopped:
            raise RuntimeError("the analysis thread was shut down")
        if not self.thread.isRunning():
            self.thread.start()
        return self.worker.submit(analyses, settings)

    def cancel(self) -> None:
        """Cancel the running file and the queued ones (returns at once)."""
        self.worker.cancel()

    def is_busy(self) -> bool:
        """True while a batch is queued or running."""
        return self.worker.is_busy()

    def shutdown(self) -> None:
        """Cancel everything, release the engines, stop the thread and wait for it (idempotent)."""
        self._stopped = True
        if not self.thread.isRunning():
            return
        self.worker.cancel()
        self.worker._shutdown_requested.emit()
        self.thread.wait()
