"""Writes analyses into the history library while they run, so a crash loses almost nothing.

``LibraryRecorder.prepare`` runs before a file is transcribed (in the
transcription thread): it hashes the input, stores the analysis with all its
prompts as waiting, and, when the library already holds a complete transcript
of the same content made with the same Whisper settings, puts that transcript
in place so the file is not transcribed again. ``handle`` sees every event
(in the thread that reads them): segments are committed in batches (every
``FLUSH_SEGMENTS`` segments or ``FLUSH_SECONDS`` seconds, and when the
transcript is complete), each prompt result as soon as it finishes.

A library that cannot be written (full disk, damaged file) never stops an
analysis: the first failure is kept in ``problem`` (one sentence) for the
caller to show, and recording stops.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
import time
from dataclasses import asdict
from datetime import timezone

from app.core.analysis import Analysis, AnalysisStatus, PromptStatus, Transcript
from app.core.errors import Cancelled, HearsayError
from app.core.hub import catalog, checksums
from app.core.library.rows import SourceRecord
from app.core.library.store import Library
from app.core.pipeline.engines import EngineSettings
from app.core.pipeline.events import (
    AnalysisFinished,
    Event,
    PromptAdded,
    PromptFinished,
    PromptStarted,
    SpeakersFound,
    SegmentDecoded,
    TranscriptReady,
)
from app.core.speech.transcript_files import is_transcript_file

log = logging.getLogger(__name__)

FLUSH_SEGMENTS = 16
FLUSH_SECONDS = 1.0
HASH_CHUNK_BYTES = 1 << 20


def content_sha256(path, cancel: threading.Event | None = None) -> tuple[int, str] | None:
    """(size in bytes, hex sha256) of the file at ``path``; None when it is not a readable regular file
    (a named pipe or a device is never opened in a way that blocks) or ``cancel`` is set."""
    try:
        return os.path.getsize(path), checksums.sha256_of(path, HASH_CHUNK_BYTES, cancel)
    except (OSError, HearsayError, Cancelled):
        return None


def transcript_key(settings: EngineSettings) -> tuple[str, str]:
    """(canonical JSON of the Whisper settings that decide a transcript, the Whisper model's sha256 or "").

    A stored transcript is reused only under the same key: a different language list, code switching,
    translation or vocabulary makes a new transcript (``"task": "translate"`` in the key also tells the
    library that a stored transcript is English, ``library.rows.to_transcript``)."""
    try:
        resolved = catalog.resolve_whisper(settings.whisper_model)
        name, sha = resolved.name, resolved.sha256
    except HearsayError:
        name, sha = settings.whisper_model or "", ""
    key = {"model": name, "sha256": sha, "language": settings.language, "beam_size": settings.beam_size,
           "vad_filter": settings.vad_filter, "batch_size": settings.batch_size}
    # Named only when set, so transcripts stored before these options existed keep their key.
    if settings.code_switching:
        key["code_switching"] = True
    if settings.translate:
        key["task"] = "translate"
    if settings.vocabulary:
        key["vocabulary"] = settings.vocabulary
    return json.dumps(key, sort_keys=True), sha


def llm_sha256(settings: EngineSettings) -> str:
    """The LLM file's sha256 when the catalog knows it, else "" (a user's GGUF is not hashed on every run)."""
    try:
        return catalog.resolve_llm(settings.llm_model).sha256
    except HearsayError:
        return ""


def for_resume(analysis: Analysis) -> Analysis:
    """Make a stored ``analysis`` ready to run again: unfinished prompts wait, finished ones stay."""
    analysis.status, analysis.error = AnalysisStatus.QUEUED, None
    for result in analysis.prompt_results:
        if result.status is not PromptStatus.DONE:
            result.status, result.error, result.response = PromptStatus.WAITING, None, ""
            result.exec_time, result.ttft, result.completion_tokens = 0.0, None, 0
    return analysis


class LibraryRecorder:
    """Records the analyses of runs made with ``settings`` into ``library``.

    ``reuse_transcripts``: when False (the user asked to transcribe again) a
    stored transcript of the same content is not reused. Thread-safety:
    ``prepare`` and ``handle`` may run in two threads, each for analyses the
    other no longer touches at that moment (prepare comes before the events).
    """

    def __init__(self, library: Library, settings: EngineSettings, reuse_transcripts: bool = True) -> None:
        self.library = library
        self.settings = settings
        self.reuse_transcripts = reuse_transcripts
        self.problem: str | None = None
        self._key, self._whisper_sha = transcript_key(settings)
        self._llm_sha = llm_sha256(settings)
        self._settings_json = json.dumps(asdict(settings), sort_keys=True)
        self._stored: dict[str, int] = {}  # analysis id -> segments stored
        self._by_content: dict[str, Analysis] = {}  # content sha256 -> first analysis of it in this run
        self._last_flush: dict[str, float] = {}

    def prepare(self, analysis: Analysis, cancel: threading.Event | None = None) -> TranscriptReady | None:
        """Store ``analysis`` before it runs; reuse a stored transcript when allowed.

        Returns the ``TranscriptReady`` event to emit when a transcript was reused, else None.
        """
        if self.problem:
            return None
        hashed = None if analysis.transcript_complete else content_sha256(analysis.source, cancel)
        reused = None
        if hashed and self.reuse_transcripts and not is_transcript_file(analysis.source):
            reused = self._reuse_from_batch(analysis, hashed[1]) or self._reuse(analysis, hashed[1])
            self._by_content.setdefault(hashed[1], analysis)
        record = SourceRecord(
            file_size=hashed[0] if hashed else None, content_sha256=hashed[1] if hashed else None,
            whisper_sha256=self._whisper_sha, llm_sha256=self._llm_sha, settings_json=self._settings_json,
            transcript_key=self._key,
        )
        self._write(self.library.save_analysis, analysis, record, AnalysisStatus.RUNNING)
        if analysis.transcript.diarization is not None:  # a reused transcript came with its speakers
            self._write(self.library.save_speakers, analysis)
        self._stored[analysis.id] = len(analysis.transcript.segments)
        self._last_flush[analysis.id] = time.monotonic()
        return reused

    def _reuse_from_batch(self, analysis: Analysis, sha: str) -> TranscriptReady | None:
        # An identical file earlier in this batch: its transcript is complete in memory (the
        # transcription thread finished it before preparing this one), maybe not yet in the library.
        earlier = self._by_content.get(sha)
        if earlier is None or not earlier.transcript_complete:
            return None
        source = earlier.transcript
        analysis.transcript = Transcript(list(source.segments), source.language, source.duration, source.translated_to,
                                         dict(source.speaker_names), copy.deepcopy(source.diarization))
        analysis.speaker_embeddings = dict(earlier.speaker_embeddings)
        analysis.duration, analysis.transcript_complete = earlier.duration, True
        analysis.whisper_model = earlier.whisper_model
        created = earlier.created_at.astimezone(timezone.utc).isoformat(timespec="seconds")
        return TranscriptReady(reused_from=earlier.id, reused_created_at=created)

    def _reuse(self, analysis: Analysis, sha: str) -> TranscriptReady | None:
        try:
            found = self.library.find_transcript(sha, self._key, exclude_id=analysis.id)
            if found is None:
                return None
            analysis.transcript = self.library.load_transcript(found[0])
        except HearsayError as exc:
            log.warning("could not reuse a stored transcript: %s", exc.message)
            return None
        analysis.duration = analysis.transcript.duration
        analysis.transcript_complete = True
        analysis.whisper_model = json.loads(self._key)["model"]
        return TranscriptReady(reused_from=found[0], reused_created_at=found[1])

    def handle(self, analysis: Analysis, event: Event) -> None:
        """Store what ``event`` changed of ``analysis``."""
        if self.problem:
            return
        if analysis.id not in self._stored:  # a follow-up, or a file cancelled before it started
            if isinstance(event, AnalysisFinished) and analysis.status is AnalysisStatus.CANCELLED \
                    and not analysis.transcript.segments:
                return  # nothing was done: keep the history free of files that never ran
            self.prepare(analysis)
        if isinstance(event, SegmentDecoded):
            pending = len(analysis.transcript.segments) - self._stored[analysis.id]
            if pending >= FLUSH_SEGMENTS or time.monotonic() - self._last_flush[analysis.id] >= FLUSH_SECONDS:
                self._flush(analysis)
        elif isinstance(event, TranscriptReady):
            self._flush(analysis)
        elif isinstance(event, SpeakersFound):
            self._write(self.library.save_speakers, analysis)
            self._stored[analysis.id] = len(analysis.transcript.segments)
        elif isinstance(event, (PromptAdded, PromptStarted, PromptFinished)):
            self._write(self.library.save_prompt_result, analysis, event.index,
                        analysis.prompt_results[event.index])
        elif isinstance(event, AnalysisFinished):
            self._flush(analysis)
            self._write(self.library.save_analysis, analysis, SourceRecord(
                whisper_sha256=self._whisper_sha, llm_sha256=self._llm_sha, settings_json=self._settings_json,
                transcript_key=self._key))

    def _flush(self, analysis: Analysis) -> None:
        stored = self._stored[analysis.id]
        segments = analysis.transcript.segments[stored:]
        self._write(self.library.append_segments, analysis, stored, segments)
        self._stored[analysis.id] = stored + len(segments)
        self._last_flush[analysis.id] = time.monotonic()

    def _write(self, method, *args) -> None:
        try:
            method(*args)
        except HearsayError as exc:
            self.problem = f"the history library could not be written, results are not being saved there: {exc.message}"
            log.warning("%s", self.problem)
        except Exception as exc:  # a value SQLite cannot bind: the library stops, the analysis never does
            log.exception("writing the history library failed")
            self.problem = f"the history library could not be written, results are not being saved there: {exc}"
