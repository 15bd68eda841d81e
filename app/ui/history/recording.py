"""The worker thread's side of the history library: one ``Library`` for the thread's life, a recorder per job.

Recording is a bonus, never a condition: a library that cannot be opened,
or a recorder that cannot write, leaves the analyses running, and the user
is told once, in one sentence.

Thread-safety: use from the worker thread only (the owner's ``QThread``);
the ``Library`` opened here gives each helper thread of ``run_batch`` its own
connection. Those threads are new for every job, so the connections are
closed when a job ends (else a long session would hold two file handles per job).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.core.analysis import Analysis
from app.core.errors import HearsayError
from app.core.library.store import Library
from app.core.pipeline.engines import EngineSettings
from app.core.pipeline.events import Event
from app.core.pipeline.recorder import LibraryRecorder

log = logging.getLogger(__name__)


class HistoryRecording:
    """Records one job at a time (``begin``, ``record`` per event, ``end``); reports the first problem
    through ``tell(sentence)``.

    The library is opened on the first job (not in the GUI thread, not at
    start-up) and closed by ``close``; when it cannot be opened, no job is
    recorded for the rest of the session. ``recorder`` is the current job's
    ``LibraryRecorder`` (None between jobs or without a library), for ``run_batch``.
    """

    def __init__(self, tell: Callable[[str], None], open_library: Callable[[], Library] = Library) -> None:
        self._tell = tell
        self._open_library = open_library
        self._library: Library | None = None
        self._tried = self._told = False
        self.recorder: LibraryRecorder | None = None

    def begin(self, settings: EngineSettings, reuse_transcripts: bool = True) -> LibraryRecorder | None:
        """Start recording a job run with ``settings``; returns its recorder (None when the library cannot be used).

        ``reuse_transcripts`` False: a stored transcript of the same file is not reused.
        """
        self.recorder = None
        if not self._tried:
            self._tried = True
            try:
                self._library = self._open_library()
            except HearsayError as exc:
                self._say(f"History is off for this session, analyses still run: {exc.message}.")
        if self._library is not None:
            try:
                self.recorder = LibraryRecorder(self._library, settings, reuse_transcripts=reuse_transcripts)
            except Exception:  # e.g. a model catalog that cannot be read: the job runs unrecorded
                log.exception("cannot record this job in the history library")
        return self.recorder

    def record(self, analysis: Analysis, event: Event) -> None:
        """Store what ``event`` changed of ``analysis`` (for events that do not come through ``run_batch``)."""
        if self.recorder is not None:
            self.recorder.handle(analysis, event)

    def voiceprints(self) -> list:
        """The named voiceprints kept in the library (``Library.voiceprints``) for the speaker stage to
        recognise; [] without a library or when they cannot be read (logged: the job runs without them)."""
        if self._library is None:
            return []
        try:
            return self._library.voiceprints()
        except HearsayError as exc:
            log.warning("voiceprints are not used: %s", exc.message)
            return []

    def end(self) -> None:
        """The job ended: tell the user (once) when its recorder could not write the library, and close the
        job's connections (``run_batch``'s helper threads are gone; each had opened one of its own)."""
        recorder, self.recorder = self.recorder, None
        if recorder is not None and recorder.problem:
            self._say(recorder.problem[0].upper() + recorder.problem[1:] + ".")
        if self._library is not None:
            self._library.close()  # the next job reconnects (a few milliseconds)

    def _say(self, sentence: str) -> None:
        if not self._told:
            self._told = True
            self._tell(sentence)

    def close(self) -> None:
        """Close the library (every thread's connection); the next job opens it again."""
        if self._library is not None:
            self._library.close()
        self._library, self._tried = None, False
