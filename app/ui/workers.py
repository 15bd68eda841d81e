"""The one worker thread that owns the engines, and its host in the GUI thread.

Shape (Anki's single-worker executor, superqt's generator workers): the
engines are created, driven and closed under ONE long-lived ``QThread``, so
they stay loaded across files, batches and follow-up questions, and jobs run
one after another. A batch runs through ``app.core.pipeline.batch.run_batch``, which
drives the transcriber and the prompt runner from two helper threads of its
own (one engine each; the LLM loads in the background while the first file
transcribes) and returns only after both ended; a follow-up runs
``app.core.pipeline.prompting.ask`` in the worker thread itself. So the ``Llama`` never
has two callers at once. The GUI thread hands over a job through a queued
signal, follows it through signals that carry the pipeline's own event
objects, and cancels by setting a ``threading.Event`` (safe from any thread).
The pipeline checks that flag between segments and between tokens, so a
cancel lands within a segment or a token. Jobs are recorded in the history (``app.ui.history.recording``).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.core.analysis import Analysis, AnalysisStatus, PromptResult, PromptStatus
from app.core.errors import HearsayError
from app.core.pipeline.batch import run_batch
from app.core.pipeline.engines import (
    EngineSettings,
    PromptRunner,
    Transcriber,
    create_window_engines,
    create_speaker_stage,
    resolve_overlap,
)
from app.core.pipeline.events import AnalysisFinished, Event, PromptAdded, PromptFinished
from app.core.pipeline.prompting import ask
from app.core.pipeline.stages import mark_cancelled, mark_failed
from app.ui.history.recording import HistoryRecording

log = logging.getLogger(__name__)

EngineFactory = Callable[[EngineSettings], tuple[Transcriber, PromptRunner]]
"""Builds (transcriber, prompt runner) for the settings; ``create_window_engines`` by default (Whisper in a child
process), fakes in tests."""
SpeakerFactory = Callable[[EngineSettings, list], object]
"""Builds the speaker stage (``app.core.pipeline.diarizing.SpeakerStage``, or None when speakers are not looked
for) from the settings and the named voiceprints; ``create_speaker_stage`` by default, a scripted diarizer's in
tests. Raises HearsayError for an impossible speaker count."""


@dataclass(eq=False)
class Batch:
    """One job for the worker: files to analyse in order with the same engine settings, or a follow-up.

    ``cancel`` is this job's flag: set it (from any thread) to stop the
    current file at its next segment or token and skip the files after it.
    ``follow_up``: when set, ``analyses`` holds one finished analysis and the
    job asks it this prompt (``app.core.pipeline.prompting.ask``) instead of analysing.
    ``reuse_transcripts`` False: the user asked to transcribe again (no stored transcript is reused).
    """

    analyses: list[Analysis]
    settings: EngineSettings
    cancel: threading.Event = field(default_factory=threading.Event)
    follow_up: str | None = None
    reuse_transcripts: bool = True


def _engine_key(settings: EngineSettings) -> EngineSettings:
    # The language is a per-call argument of the pipeline; the answer limit, the system prompt and the
    # temperature are per-call settings of the runner (set on it before each job), not part of the engines:
    # changing them reloads no model.
    # The speaker settings belong to the speaker stage (``_speakers_for``): changing them reloads neither model.
    return replace(settings, language=None, max_tokens=0, system_prompt=None, temperature=0.0, diarize=True,
                   num_speakers=None, min_speakers=None, max_speakers=None, voiceprints=False)


def _speakers_key(settings: EngineSettings) -> tuple:
    return (settings.diarize, settings.num_speakers, settings.min_speakers, settings.max_speakers,
            settings.voiceprints, settings.device)


class AnalysisWorker(QObject):
    """Runs batches of analyses and follow-up questions in the thread it was moved to, keeping the engines alive.

    Signals, all emitted from the worker thread (connect GUI slots to them; Qt
    delivers them queued, in emission order):

    - ``analysis_started(Analysis)``: a file's first event is about to come
      (not for files skipped because the batch was cancelled first). With
      overlap two files run at once: the next one transcribes while the
      prompts of the one before run, and their events interleave.
    - ``event(str, object)``: ``(analysis.id, event)`` for every pipeline event
      (``app.core.pipeline.events``), ending with ``AnalysisFinished`` for every file,
      also for files skipped because the batch was cancelled first, and for
      every follow-up (``PromptAdded`` first).
    - ``batch_finished(Batch)``: after the job's last file.
    - ``library_problem(str)``: the history library cannot be opened or written (one sentence, said once).

    Thread-safety: build it in the GUI thread and move it to its QThread; from
    other threads call only ``submit``, ``ask``, ``cancel`` and ``is_busy``
    (they take a lock or emit a queued signal). Engines are created and closed
    only in the worker thread, rebuilt only when the model settings change (the
    speaker stage, with its diarizer, only when the speaker settings change; it
    runs in ``run_batch``'s transcription thread, after each transcript),
    and used by one thread at a time (``run_batch``'s two helper threads, one
    engine each, which end before the job does). An ``Analysis`` handed over
    belongs to the worker until its ``AnalysisFinished``; the GUI must not
    read or change it before that (the events carry everything the GUI shows
    meanwhile).
    """

    analysis_started = Signal(object)
    event = Signal(str, object)
    batch_finished = Signal(object)
    library_problem = Signal(str)
    _batch_requested = Signal(object)
    _shutdown_requested = Signal()

    def __init__(self, engine_factory: EngineFactory | None = None,
                 speaker_factory: SpeakerFactory | None = None) -> None:
        super().__init__()
        self._factory = engine_factory or create_window_engines
        self._speaker_factory = speaker_factory or create_speaker_stage
        self._engines: tuple[Transcriber, PromptRunner] | None = None
        self._engine_key: EngineSettings | None = None
        self._speakers = None  # the speaker stage, kept (its diarizer loaded) while its settings stay
        self._speakers_key: tuple | None = None
        self._lock = threading.Lock()
        self._outstanding: list[Batch] = []
        self._history = HistoryRecording(self.library_problem.emit)
        self._batch_requested.connect(self._run_batch)
        self._shutdown_requested.connect(self._shutdown)

    # ---- any thread -------------------------------------------------------

    def submit(self, analyses: list[Analysis], settings: EngineSettings, reuse_transcripts: bool = True) -> Batch:
        """Queue ``analyses`` as one batch (see ``Batch``); it runs after the jobs queued before it."""
        return self._queue(Batch(list(analyses), settings, reuse_transcripts=reuse_transcripts))

    def ask(self, analysis: Analysis, prompt: str, settings: EngineSettings) -> Batch:
        """Queue a follow-up: ``prompt`` about the finished ``analysis`` (which has a transcript), on the warm engines."""
        return self._queue(Batch([analysis], settings, follow_up=prompt))

    def _queue(self, batch: Batch) -> Batch:
        with self._lock:
            self._outstanding.append(batch)
        self._batch_requested.emit(batch)
        return batch

    def cancel(self) -> None:
        """Stop the running file and skip every queued one (all outstanding jobs)."""
        with self._lock:
            batches = list(self._outstanding)
        for batch in batches:
            batch.cancel.set()

    def is_busy(self) -> bool:
        """True while a job is queued or running."""
        with self._lock:
            return bool(self._outstanding)

    # ---- worker thread ----------------------------------------------------

    @Slot(object)
    def _run_batch(self, batch: Batch) -> None:
        # A follow-up never swaps another stored transcript in under its question.
        self._history.begin(batch.settings, batch.reuse_transcripts and batch.follow_up is None)
        try:
            if batch.follow_up is not None:
                self._run_follow_up(batch.analyses[0], batch.follow_up, batch)
            else:
                self._run_analyses(batch)
        finally:
            self._history.end()
            with self._lock:
                self._outstanding.remove(batch)
            self.batch_finished.emit(batch)

    def _emit(self, analysis: Analysis, event: Event) -> None:
        self._history.record(analysis, event)  # before the GUI hears of it: a finished file is already stored
        self.event.emit(analysis.id, event)

    def _run_analyses(self, batch: Batch) -> None:
        if batch.cancel.is_set():  # cancelled while queued: no engines, no model load
            for analysis in batch.analyses:
                mark_cancelled(analysis)
                self._emit(analysis, AnalysisFinished(analysis))
            return
        engines, problem = self._try_engines(batch.settings)
        speakers = None
        if engines is not None:
            speakers, problem = self._try_speakers(batch.settings)
            engines = None if problem else engines
        if engines is None:
            for analysis in batch.analyses:
                self.analysis_started.emit(analysis)
                mark_failed(analysis, problem)
                self._emit(analysis, AnalysisFinished(analysis))
            return
        started: set[str] = set()
        events = run_batch(batch.analyses, *engines, batch.cancel, batch.settings.language,
                           resolve_overlap(batch.settings), self._history.recorder, speakers=speakers)
        try:
            for analysis, event in events:
                if analysis.id not in started:
                    started.add(analysis.id)
                    skipped = isinstance(event, AnalysisFinished) and analysis.status is AnalysisStatus.CANCELLED
                    if not skipped:
                        self.analysis_started.emit(analysis)
                self.event.emit(analysis.id, event)
        finally:
            events.close()

    def _run_follow_up(self, analysis: Analysis, prompt: str, batch: Batch) -> None:
        self.analysis_started.emit(analysis)
        engines, problem = (None, "cancelled") if batch.cancel.is_set() else self._try_engines(batch.settings)
        if engines is None:  # the question still gets its tab, saying why it did not run
            status = PromptStatus.CANCELLED if batch.cancel.is_set() else PromptStatus.FAILED
            self._add_unanswered(analysis, prompt, status, problem)
            return
        try:
            for event in ask(analysis, prompt, engines[1], batch.cancel):
                if isinstance(event, AnalysisFinished) and batch.cancel.is_set():
                    for result in analysis.prompt_results:  # cancelled before it started: not left WAITING
                        if result.status is PromptStatus.WAITING:
                            result.status = PromptStatus.CANCELLED
                self._emit(analysis, event)
        except Exception as exc:  # a bug must not leave the file busy forever
            log.exception("the follow-up on %s failed", analysis.source)
            for result in analysis.prompt_results:
                if result.status in (PromptStatus.WAITING, PromptStatus.RUNNING):
                    result.status, result.error = PromptStatus.FAILED, f"unexpected error: {exc}"
            self._emit(analysis, AnalysisFinished(analysis))

    def _add_unanswered(self, analysis: Analysis, prompt: str, status: PromptStatus, reason: str) -> None:
        result = PromptResult(prompt=prompt, status=status, error=reason if status is PromptStatus.FAILED else None)
        analysis.prompts.append(prompt)
        analysis.prompt_results.append(result)
        index = len(analysis.prompt_results) - 1
        for event in (PromptAdded(index, prompt), PromptFinished(index, result), AnalysisFinished(analysis)):
            self._emit(analysis, event)

    def _try_engines(self, settings: EngineSettings) -> tuple[tuple[Transcriber, PromptRunner] | None, str]:
        """(engines, "") or (None, the reason in one sentence)."""
        try:
            return self._engines_for(settings), ""
        except HearsayError as exc:
            return None, exc.message
        except Exception as exc:  # a broken factory must reach the user, not kill the thread
            log.exception("cannot create the engines")
            return None, f"the models could not be set up: {exc}"

    def _try_speakers(self, settings: EngineSettings) -> tuple[object, str]:
        """(the speaker stage or None, "") or (None, why it cannot be set up, in one sentence)."""
        if not settings.diarize:
            return None, ""
        voiceprints = self._history.voiceprints() if settings.voiceprints else []
        try:
            key = _speakers_key(settings)
            if self._speakers is None or key != self._speakers_key:
                self._close_speakers()
                self._speakers = self._speaker_factory(settings, voiceprints)
                self._speakers_key = key
            elif settings.voiceprints:
                self._speakers.voiceprints = list(voiceprints)  # names given since the last job count now
            return self._speakers, ""
        except HearsayError as exc:
            return None, exc.message
        except Exception as exc:  # a broken speaker engine must reach the user, not kill the thread
            log.exception("cannot set up the speaker stage")
            return None, f"the speaker engine could not be set up: {exc}"

    def _engines_for(self, settings: EngineSettings) -> tuple[Transcriber, PromptRunner]:
        key = _engine_key(settings)
        if self._engines is None or key != self._engine_key:
            self._release()
            self._engines = self._factory(settings)
            self._engine_key = key
        self._engines[1].max_tokens = settings.max_tokens
        self._engines[1].system_prompt, self._engines[1].temperature = settings.system_prompt, settings.temperature
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

    def _close_speakers(self) -> None:
        stage, self._speakers, self._speakers_key = self._speakers, None, None
        close = getattr(getattr(stage, "diarizer", None), "close", None)
        if callable(close):  # the diarizer's child process ends with it
            try:
                close()
            except Exception:
                log.exception("closing the speaker engine failed")

    @Slot()
    def _shutdown(self) -> None:
        # Queued after every batch, so it runs once they are done (cancelled).
        self._release()
        self._close_speakers()
        self._history.close()
        QThread.currentThread().quit()


def import_engine_modules() -> None:
    """Import, in the calling (GUI) thread and before any analysis, the modules the real engines need in this
    process: llama-cpp-python with its chat templates (jinja2) and prefix-state cache, CTranslate2 (which counts
    the CUDA devices), the proxies of the engines that run in child processes and multiprocessing's start-up
    modules.

    Left to the first analysis, these imports ran in its worker threads alongside the model loads and the
    children's start, and stalled the event loop for 51-58 ms at the start of every first analysis (4 runs of
    tests/data/speech.wav on 2 cores; the other stalls then stayed under 30 ms). Here, while the window is
    built, they add about 0.1 s to its start (``make bench``'s "window visible"). An engine that cannot be
    imported is left for the analysis to report in its own words."""
    import importlib

    for name in ("llama_cpp", "llama_cpp.llama_chat_format", "ctranslate2", "app.core.llm.runner",
                 "app.core.llm.kv_states", "app.core.speech.process", "app.core.speakers.process",
                 "multiprocessing.connection", "multiprocessing.resource_tracker",
                 "multiprocessing.popen_spawn_win32" if sys.platform == "win32" else "multiprocessing.popen_spawn_posix"):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - reported by the analysis that needs it
            log.info("could not import %s ahead of the first analysis", name, exc_info=True)


class WorkerHost:
    """Owns the engine thread and its ``AnalysisWorker``; used from the GUI thread only.

    The thread starts on the first ``submit`` and lives until ``shutdown``,
    which cancels, lets the worker close its engines in its own thread, quits
    the thread and waits for it: call it from ``closeEvent`` so no
    "QThread: Destroyed while thread is still running" can happen.
    """

    def __init__(self, engine_factory: EngineFactory | None = None,
                 speaker_factory: SpeakerFactory | None = None) -> None:
        if engine_factory is None:  # the real engines: their imports must not land mid-analysis
            import_engine_modules()
        self.thread = QThread()
        self.thread.setObjectName("hearsay-engines")
        self.worker = AnalysisWorker(engine_factory, speaker_factory)
        self.worker.moveToThread(self.thread)
        self._stopped = False

    def submit(self, analyses: list[Analysis], settings: EngineSettings, reuse_transcripts: bool = True) -> Batch:
        """Start the thread if needed and queue a batch (``AnalysisWorker.submit``); RuntimeError after ``shutdown``."""
        self._start()
        return self.worker.submit(analyses, settings, reuse_transcripts)

    def ask(self, analysis: Analysis, prompt: str, settings: EngineSettings) -> Batch:
        """Start the thread if needed and queue a follow-up question. Raises RuntimeError after ``shutdown``."""
        self._start()
        return self.worker.ask(analysis, prompt, settings)

    def _start(self) -> None:
        if self._stopped:
            raise RuntimeError("the analysis thread was shut down")
        if not self.thread.isRunning():
            self.thread.start()

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
