"""The analysis of one file: transcribe (or load a transcript), then run each prompt.

``analyze`` is a generator of ``app.core.pipeline.events`` events, built from two
stages that ``app.core.pipeline.batch`` also runs in two threads: ``transcribe_stage``
and ``prompt_stage``. Neither raises for bad input or a failing model: those
end the file with ``AnalysisStatus.FAILED`` and a one-sentence ``error``; a
failing prompt fails only that prompt. Setting the ``cancel`` event stops work
between segments, prefill slices and tokens; model loads and Whisper windows,
which cannot be interrupted, are waited on in a way a cancel cuts short
(``app.core.pipeline.cancellable``), so a cancel lands within about 50 ms.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from app.core import user_files
from app.core.analysis import Analysis, AnalysisStatus, PromptStatus, Transcript
from app.core.errors import Cancelled, HearsayError, MediaError
from app.core.export.markdown import format_duration
from app.core.pipeline.cancellable import iterate_cancellable, wait_cancellable
from app.core.pipeline.diarizing import SpeakerStage, diarize_stage, needs_speakers
from app.core.pipeline.engines import PromptRunner, Transcriber
from app.core.pipeline.events import (
    AnalysisFinished,
    Event,
    ModelReady,
    SegmentDecoded,
    Stage,
    StageChanged,
    TranscriptionProgress,
    TranscriptReady,
)
from app.core.pipeline.prompting import note_generation, run_prompts
from app.core.speech import media, transcript_files

log = logging.getLogger(__name__)


def analyze(
    analysis: Analysis,
    transcriber: Transcriber,
    prompt_runner: PromptRunner,
    cancel: threading.Event,
    language: str | None = None,
    speakers: SpeakerStage | None = None,
) -> Iterator[Event]:
    """Run ``analysis`` (its ``source`` and ``prompts``) and yield progress events.

    Fills ``analysis`` in place and ends with ``AnalysisFinished(analysis)``. ``speakers``: the speaker
    stage to run after transcription (None: speakers are not looked for).
    """
    yield from transcribe_stage(analysis, transcriber, cancel, language, speakers)
    if analysis.status is AnalysisStatus.RUNNING:
        yield from prompt_stage(analysis, prompt_runner, cancel)
    yield AnalysisFinished(analysis)


def transcribe_stage(analysis: Analysis, transcriber: Transcriber, cancel: threading.Event,
                     language: str | None = None, speakers: SpeakerStage | None = None) -> Iterator[Event]:
    """Fill ``analysis.transcript`` (transcribed, or read from a ``.txt``/``.json`` transcript), then, with
    ``speakers``, its speakers (``app.core.pipeline.diarizing``; not for a transcript file, which has no
    audio, nor for a transcript whose speakers were already looked for).

    Leaves ``analysis.status`` RUNNING when the prompts should run next;
    otherwise it is final (FAILED, CANCELLED, or DONE with no speech found).
    Does not yield ``AnalysisFinished``.
    """
    analysis.status = AnalysisStatus.RUNNING
    try:
        if analysis.transcript_complete:
            if analysis.transcribed_duration is None:  # restored or reused from the history library
                analysis.transcribed_duration = analysis.duration
        elif transcript_files.is_transcript_file(analysis.source):
            analysis.transcript = transcript_files.load_transcript(analysis.source)
            analysis.duration = analysis.transcribed_duration = analysis.transcript.duration
            for segment in analysis.transcript.segments:
                yield SegmentDecoded(segment)
            analysis.transcript_complete = True
            yield TranscriptReady()
        else:
            yield from _transcribe(analysis, transcriber, cancel, language)
        if (speakers is not None and not cancel.is_set() and analysis.transcript_complete
                and not transcript_files.is_transcript_file(analysis.source) and needs_speakers(analysis, speakers)):
            yield from diarize_stage(analysis, speakers, cancel)
        if cancel.is_set():
            mark_cancelled(analysis)
        elif analysis.transcript.is_empty:
            for result in analysis.prompt_results:
                result.status = PromptStatus.SKIPPED
                result.error = "no speech was found in the recording"
            analysis.status = AnalysisStatus.DONE
    except Cancelled:  # given up waiting for a model load or a Whisper window
        mark_cancelled(analysis)
    except HearsayError as exc:
        mark_failed(analysis, exc.message)
    except Exception as exc:  # an engine bug must not take the batch down
        log.exception("transcribing %s failed", analysis.source)
        mark_failed(analysis, f"unexpected error: {exc}")


def prompt_stage(analysis: Analysis, runner: PromptRunner, cancel: threading.Event,
                 preload_time: float = 0.0) -> Iterator[Event]:
    """Load the LLM if needed and run ``analysis``'s prompts; ends ``analysis.status``.

    ``preload_time``: seconds a load made beforehand took (a batch loads the LLM in the
    background), reported in ``ModelReady`` when no load is needed here.
    Does not yield ``AnalysisFinished``.
    """
    try:
        yield StageChanged(Stage.LOADING_LLM)
        load_time = wait_cancellable(runner.load, cancel, "hearsay-llm-load") or preload_time
        analysis.llm_model = runner.model_name
        note_generation(analysis, runner)
        llm_device = f"LLM on {runner.device}"
        analysis.device = f"{analysis.device}, {llm_device}" if analysis.device else llm_device
        yield ModelReady("llm", runner.model_name, runner.device, load_time, demo=analysis.llm_demo)
        yield StageChanged(Stage.PROMPTING)
        yield from run_prompts(analysis, runner, cancel)
        if cancel.is_set():
            mark_cancelled(analysis)
        else:
            analysis.status = AnalysisStatus.DONE
    except Cancelled:
        mark_cancelled(analysis)
    except HearsayError as exc:
        mark_failed(analysis, exc.message)
    except Exception as exc:
        log.exception("the prompts on %s failed", analysis.source)
        mark_failed(analysis, f"unexpected error: {exc}")


def _transcribe(
    analysis: Analysis, transcriber: Transcriber, cancel: threading.Event, language: str | None
) -> Iterator[Event]:
    before = user_files.file_state(analysis.source)  # to tell a file changed while it is transcribed
    info = media.probe(analysis.source)
    yield StageChanged(Stage.LOADING_WHISPER)
    load_time = wait_cancellable(transcriber.load, cancel, "hearsay-whisper-load")
    analysis.whisper_model = transcriber.model_name
    analysis.device = f"whisper on {transcriber.device}"
    yield ModelReady("whisper", transcriber.model_name, transcriber.device, load_time)
    yield StageChanged(Stage.TRANSCRIBING)
    started = time.perf_counter()
    kept = analysis.transcript.segments  # a resumed analysis keeps what was stored
    resume_at = kept[-1].end if kept else 0.0
    duration, segments = wait_cancellable(
        lambda: transcriber.transcribe(analysis.source, cancel, language, start=resume_at), cancel,
        "hearsay-whisper-start")
    analysis.duration = duration or info.duration
    analysis.transcript = Transcript(segments=list(kept), language=analysis.transcript.language,
                                     duration=analysis.duration,
                                     translated_to=getattr(transcriber, "translated_to", None))
    yield TranscriptionProgress(resume_at, analysis.duration)
    for segment in iterate_cancellable(segments, cancel, "hearsay-whisper-windows"):
        analysis.transcript.segments.append(segment)
        yield SegmentDecoded(segment)
        yield TranscriptionProgress(min(segment.end, analysis.duration), analysis.duration)
        if cancel.is_set():
            break
    languages = [s.language for s in analysis.transcript.segments if s.language]
    analysis.transcript.language = languages[0] if languages else language
    analysis.transcription_time += time.perf_counter() - started
    if cancel.is_set():
        return
    decoded = getattr(transcriber, "decoded_until", None)
    last_end = analysis.transcript.segments[-1].end if analysis.transcript.segments else resume_at
    reached = max(decoded if decoded is not None else analysis.duration, last_end)
    short = analysis.duration - reached > max(1.0, 0.02 * analysis.duration)  # as the transcriber's own warning
    analysis.transcribed_duration = reached if short or analysis.duration <= 0 else analysis.duration
    change = user_files.describe_change(before, user_files.file_state(analysis.source)) if before else None
    if change is not None:
        yield TranscriptionProgress(analysis.transcribed_duration, analysis.duration)
        covered = (f"only {format_duration(analysis.transcribed_duration)} of {format_duration(analysis.duration)} "
                   "were transcribed" if short else "the transcript is of the file as it was before")
        raise MediaError(f"the file changed while it was being transcribed ({change}); {covered}")
    if short:
        log.warning("%s: only %.1f s of %.1f s decoded", user_files.display_name(analysis.source), reached,
                    analysis.duration)
    yield TranscriptionProgress(analysis.duration, analysis.duration)
    analysis.transcript_complete = True
    yield TranscriptReady()


def mark_cancelled(analysis: Analysis) -> None:
    """End ``analysis`` as cancelled; prompts that had not finished become CANCELLED."""
    analysis.status = AnalysisStatus.CANCELLED
    analysis.error = "cancelled"
    _mark_unfinished(analysis, PromptStatus.CANCELLED)


def mark_failed(analysis: Analysis, message: str) -> None:
    """End ``analysis`` as failed with ``message`` (one sentence); unfinished prompts become SKIPPED."""
    analysis.status = AnalysisStatus.FAILED
    analysis.error = message
    _mark_unfinished(analysis, PromptStatus.SKIPPED)


def _mark_unfinished(analysis: Analysis, status: PromptStatus) -> None:
    for result in analysis.prompt_results:
        if result.status in (PromptStatus.WAITING, PromptStatus.RUNNING):
            result.status = status
