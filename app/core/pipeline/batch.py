"""Several files in a row: transcription and prompts in two threads, the LLM loading in the background.

``run_batch`` runs the transcription stage in one thread and the prompt stage
in another (``app.core.pipeline.stages``). The prompt thread starts by loading the
LLM, so the model is warm by the time the first transcript is ready. With
``overlap`` the transcription of file k+1 runs while the prompts of file k do
(at most one finished transcript waits); without it the files go strictly one
after another. Events come back in one stream, tagged with their analysis.

Thread-safety: the transcriber is used only by the transcription thread and
the runner only by the prompt thread, so neither engine has two callers.
Setting ``cancel`` (or closing the iterator, which sets it) stops both
threads at their next segment, prefill slice or token; the iterator ends
after both threads have.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator

from app.core.analysis import Analysis, AnalysisStatus
from app.core.errors import Cancelled
from app.core.pipeline.cancellable import wait_cancellable
from app.core.pipeline.diarizing import SpeakerStage
from app.core.pipeline.engines import PromptRunner, Transcriber
from app.core.pipeline.events import AnalysisFinished, Event
from app.core.pipeline.recorder import LibraryRecorder
from app.core.pipeline.stages import mark_cancelled, mark_failed, prompt_stage, transcribe_stage

log = logging.getLogger(__name__)
_DONE = object()


def run_batch(
    analyses: list[Analysis],
    transcriber: Transcriber,
    runner: PromptRunner,
    cancel: threading.Event,
    language: str | None = None,
    overlap: bool = False,
    recorder: LibraryRecorder | None = None,
    speakers: SpeakerStage | None = None,
) -> Iterator[tuple[Analysis, Event]]:
    """Analyse ``analyses`` in order; yield ``(analysis, event)`` for every pipeline event.

    Every analysis ends with its ``AnalysisFinished``, also those skipped
    because ``cancel`` was set first. Files finish in order. With a
    ``recorder``, each file is stored in the history library before it is
    transcribed (a stored transcript of the same content may be reused, then a
    ``TranscriptReady`` with ``reused_from`` comes first) and every event is
    recorded before it is yielded, also those left when the iterator is closed early. ``speakers``: the
    speaker stage, run in the transcription thread after each transcript (None: speakers not looked for).
    """
    events: queue.Queue = queue.Queue()
    handoff: queue.Queue = queue.Queue(maxsize=1)
    turn = threading.Semaphore(1)  # without overlap: one file at a time through both stages

    def emit(analysis: Analysis, event: Event) -> None:
        events.put((analysis, event))

    def finish(analysis: Analysis) -> None:
        emit(analysis, AnalysisFinished(analysis))
        if not overlap:
            turn.release()

    def transcription_thread() -> None:
        started = 0
        try:
            for analysis in analyses:
                started += 1
                if not overlap:
                    turn.acquire()
                if cancel.is_set():
                    mark_cancelled(analysis)
                    finish(analysis)
                    continue
                try:
                    if recorder is not None and (reused := recorder.prepare(analysis, cancel)) is not None:
                        emit(analysis, reused)
                    for event in transcribe_stage(analysis, transcriber, cancel, language, speakers):
                        emit(analysis, event)
                except Exception as exc:  # a bug met on one file ends that file only, never the next ones
                    log.exception("preparing %s failed", analysis.id)
                    mark_failed(analysis, f"unexpected error: {exc}")
                if analysis.status is AnalysisStatus.RUNNING:
                    handoff.put(analysis)
                else:
                    finish(analysis)
        except Exception as exc:  # a bug here must still end every file not yet started
            log.exception("the transcription thread failed")
            for analysis in analyses[started:]:
                mark_failed(analysis, f"unexpected error: {exc}")
                emit(analysis, AnalysisFinished(analysis))
        finally:
            handoff.put(None)

    def prompt_thread() -> None:
        try:
            preload_time = 0.0
            try:
                if not cancel.is_set():  # in the background, while the first file transcribes
                    preload_time = wait_cancellable(runner.load, cancel, "hearsay-llm-load")
            except Cancelled:
                pass  # the files are cancelled too; the load finishes unobserved
            except Exception:  # the prompt stage loads again and reports it for the file that needs it
                log.info("the background LLM load failed; the prompt stage reports it", exc_info=True)
            while (analysis := handoff.get()) is not None:
                for event in prompt_stage(analysis, runner, cancel, preload_time):
                    emit(analysis, event)
                preload_time = 0.0  # said once, for the first file
                finish(analysis)
        except Exception:
            log.exception("the prompt thread failed")
        finally:
            events.put(_DONE)

    threads = [
        threading.Thread(target=transcription_thread, name="hearsay-transcribe", daemon=True),
        threading.Thread(target=prompt_thread, name="hearsay-prompts", daemon=True),
    ]
    for thread in threads:
        thread.start()
    exhausted = False
    try:
        while (item := events.get()) is not _DONE:
            if recorder is not None:
                recorder.handle(*item)
            yield item
        exhausted = True
    finally:
        if not exhausted:  # closed early: stop the threads rather than leave them running
            cancel.set()
        for thread in threads:
            thread.join()
        if not exhausted and recorder is not None:  # the library still learns how each file ended
            while not events.empty():
                if (item := events.get()) is not _DONE:
                    recorder.handle(*item)
