"""The history library: every analysis, stored as it progresses, in SQLite.

One file, ``paths.data_dir()/library.sqlite3`` (``HEARSAY_HOME`` or
``HEARSAY_DATA_DIR`` move it), in WAL mode with ``synchronous=NORMAL``: a
committed write survives the process being killed. One connection per
``Library``, shared by its threads under a lock (the transcription thread and
the thread reading events both write); other processes and other ``Library``
objects read and write alongside through SQLite's own locking. Rows and their conversion to ``Analysis`` live in
``app.core.library.rows``; the schema in ``app.core.library.schema``.

Several processes at once: every write is one ``BEGIN IMMEDIATE`` transaction
and waits up to ``BUSY_TIMEOUT_S`` for another writer (a Hearsay process holds
the lock for milliseconds); creating and migrating a new library is one such
transaction too, and switching it to WAL (which SQLite refuses at once, without
waiting, while another connection holds a lock on it) is retried for as long. An analysis
stored as running by a live process belongs to that process: it cannot be
deleted, and no other process may store it (``AnalysisBusyError``).

A library that cannot be written (a read-only folder or file) is opened
read-only when it exists: it can be listed, searched and shown; every write
raises LibraryError.

Statuses are those of ``AnalysisStatus`` plus "interrupted": stored as
running, but the process that ran it is gone (killed, crashed, power lost).
Every sqlite3 failure is raised as LibraryError naming the cause.
"""

from __future__ import annotations

import html
import json
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from app.core import paths
from app.core.analysis import (
    Analysis,
    AnalysisStatus,
    PromptResult,
    Segment,
    Transcript,
    TranscriptChange,
    TranscriptVersion,
    Voiceprint,
)
from app.core.errors import AnalysisBusyError, FolderError, LibraryError
from app.core.library import rows as library_rows
from app.core.library import speakers as library_speakers
from app.core.library import versions
from app.core.library.schema import SCHEMA_VERSION, migrate
from app.core.processes import pid_alive
from app.core.user_files import display_name

LIBRARY_FILE = "library.sqlite3"
INTERRUPTED = "interrupted"
BUSY_TIMEOUT_S = 30.0
"""How long a write waits for another process's write to end before it fails (seconds)."""
_SQLITE_READONLY, _SQLITE_CANTOPEN = 8, 14


@dataclass(frozen=True)
class LibraryEntry:
    """One stored analysis as the History list shows it.

    ``created_at`` is timezone-aware UTC; ``duration`` seconds of audio;
    ``status`` an ``AnalysisStatus`` value or "interrupted". ``source_name`` and
    ``source_path`` are for showing (one line, escaped where the name is not UTF-8 text).
    """

    id: str
    source_name: str
    source_path: str
    created_at: datetime
    duration: float
    status: str
    error: str | None
    prompts_total: int
    prompts_done: int
    transcript_complete: bool
    owner_pid: int | None = None
    """The process that stored it last; while ``status`` is "running", the one running it now."""
    llm_model: str = ""
    whisper_model: str = ""
    recording: str = ""
    """What identifies the recording: its content's sha256 (the same sound under another name or place is
    the same recording), else its path. Runs of one recording share it."""
    prompt_names: str = ""
    """The names of its prompts (or their first words), joined with " · ", for showing."""

    @property
    def resumable(self) -> bool:
        """True when a Resume has work to do: an interrupted or cancelled run, or one whose prompts did not all finish."""
        return self.status in (INTERRUPTED, "cancelled", "failed") or (
            self.status == "done" and self.prompts_done < self.prompts_total and self.transcript_complete
        )


@dataclass(frozen=True)
class SearchHit:
    """One full-text match: in a transcript ``segment`` or a prompt ``response`` (``kind``) at ``idx``.

    ``snippet`` is the text around the match, with each matched word between ``MATCH_START`` and
    ``MATCH_END`` (control characters no transcript holds); ``marked`` shows it with other marks.
    """

    analysis_id: str
    source_name: str
    created_at: datetime
    kind: str
    idx: int
    snippet: str

    def marked(self, start: str = "[", end: str = "]") -> str:
        """The snippet on one line with each match between ``start`` and ``end`` (a terminal's "[", "]";
        the window's highlight tags). ``start`` and ``end`` are put in as they are: escape the text first
        where that matters (``marked_html``)."""
        text = " ".join(self.snippet.split())
        return text.replace(library_rows.MATCH_START, start).replace(library_rows.MATCH_END, end)

    def marked_html(self, start: str, end: str) -> str:
        """``marked`` for rich text: the snippet HTML-escaped, the matches between ``start`` and ``end`` tags."""
        escaped = html.escape(" ".join(self.snippet.split()))
        return escaped.replace(library_rows.MATCH_START, start).replace(library_rows.MATCH_END, end)


def default_path() -> Path:
    """Where the user's library lives (created on first use). Raises FolderError when the data folder
    cannot be created."""
    return paths.data_dir() / LIBRARY_FILE


class Library:
    """The history library at ``path`` (default: ``default_path()``); opens and migrates it on first use.

    Thread-safety: any thread may call any method; calls take turns on one
    connection. Other processes read and write alongside; a write waits up to
    ``BUSY_TIMEOUT_S`` for theirs. Raises LibraryError when the file (or its
    folder) cannot be opened or was written by a newer Hearsay. ``read_only``
    is True when the library could only be opened for reading.
    """

    def __init__(self, path: Path | None = None) -> None:
        try:
            self.path = Path(path) if path else default_path()
        except FolderError as exc:
            raise LibraryError(f"cannot open the history library: {exc.message}") from None
        self.read_only = False
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self.connection()  # fail now, not in the middle of an analysis

    def connection(self) -> sqlite3.Connection:
        """The library's one connection (autocommit mode; writes go through ``transaction``).

        Use it only while holding ``lock`` when other threads may use this library.
        Raises LibraryError when the library cannot be opened.
        """
        with self._lock:
            if self._conn is None:
                try:
                    conn = self._open_writable()
                except sqlite3.Error as exc:
                    conn = self._open_read_only(exc)
                conn.row_factory = sqlite3.Row
                self._conn = conn
            return self._conn

    def _open_writable(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        try:
            _retry_while_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn)
        except BaseException:
            conn.close()
            raise
        # SQLite opens a file it may not write read-only without a word (when its -wal and -shm are there)
        self.read_only = not os.access(self.path, os.W_OK)
        return conn

    def _open_read_only(self, cause: sqlite3.Error) -> sqlite3.Connection:
        """A read-only connection to an existing library that cannot be written (its folder or the file is
        read-only); raises LibraryError naming ``cause`` (why it could not be opened for writing) otherwise."""
        code = getattr(cause, "sqlite_errorcode", 0) & 0xFF
        if code not in (_SQLITE_READONLY, _SQLITE_CANTOPEN) or not self.path.is_file():
            raise LibraryError(f"cannot open the history library {self.path}: {_os_cause(self.path, cause)}") \
                from None
        uri = self.path.absolute().as_uri()
        # A WAL library in a read-only folder can only be read as immutable when its -shm file is gone.
        for query in ("mode=ro", "mode=ro&immutable=1"):
            try:
                conn = sqlite3.connect(f"{uri}?{query}", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                       check_same_thread=False)
            except sqlite3.Error:
                continue
            try:
                found = conn.execute("PRAGMA user_version").fetchone()[0]
                conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            except sqlite3.Error:
                conn.close()
                continue
            if found != SCHEMA_VERSION:
                conn.close()
                raise LibraryError(f"cannot open the history library {self.path}: it is read-only and was "
                                   f"written by {'a newer' if found > SCHEMA_VERSION else 'an older'} Hearsay")
            self.read_only = True
            return conn
        raise LibraryError(f"cannot open the history library {self.path}: {_os_cause(self.path, cause)}")

    @property
    def lock(self) -> threading.RLock:
        """Held by every read and write of this object; hold it to use ``connection()`` directly."""
        return self._lock

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``: it waits up to ``BUSY_TIMEOUT_S`` for another
        process's write to end); any sqlite3 error rolls it back and is raised as LibraryError, also every
        write to a read-only library."""
        with self._lock:
            conn = self.connection()
            if self.read_only:
                raise LibraryError(f"cannot write the history library {self.path}: it is read-only")
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if _is_busy(exc):
                    raise LibraryError(f"cannot write the history library: another program kept it locked "
                                       f"for {BUSY_TIMEOUT_S:.0f} s") from None
                if getattr(exc, "sqlite_errorcode", 0) & 0xFF == _SQLITE_READONLY:
                    self.read_only = True
                    raise LibraryError(f"cannot write the history library {self.path}: it is read-only") from None
                raise LibraryError(f"cannot write the history library: {exc}") from None
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _read(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self.connection().execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise LibraryError(f"cannot read the history library: {exc}") from None

    def close(self) -> None:
        """Close the connection (a later call opens it again)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # writing ---------------------------------------------------------------

    def save_analysis(self, analysis: Analysis, record: library_rows.SourceRecord,
                      status: AnalysisStatus | None = None) -> None:
        """Store ``analysis`` whole: create or update its row (with ``status`` instead of its own when
        given), every prompt result, and the segments not stored yet. Marks it as owned by this process.

        Raises AnalysisBusyError (nothing written) when another live process is running that analysis now,
        LibraryError when the library cannot be written."""
        with self.transaction() as conn:
            _refuse_if_running(conn, analysis.id, "store", others_only=True)
            values = library_rows.analysis_values(analysis, record, os.getpid())
            if status is not None:
                values["status"] = status.value
            conn.execute(library_rows.UPSERT_ANALYSIS, values)
            stored = conn.execute("SELECT COUNT(*) FROM segments WHERE analysis_id = ?", (analysis.id,)).fetchone()[0]
            conn.executemany(library_rows.INSERT_SEGMENT, library_rows.segment_values(
                analysis.id, analysis.transcript.segments[stored:], first_idx=stored))
            conn.executemany(library_rows.UPSERT_RESULT, [
                library_rows.result_values(analysis.id, idx, r) for idx, r in enumerate(analysis.prompt_results)])

    def append_segments(self, analysis: Analysis, first_idx: int, segments: list[Segment]) -> None:
        """Store ``segments`` as segments ``first_idx``... of ``analysis`` (already saved), with its progress."""
        with self.transaction() as conn:
            conn.executemany(library_rows.INSERT_SEGMENT, library_rows.segment_values(analysis.id, segments, first_idx))
            conn.execute(library_rows.UPDATE_PROGRESS, library_rows.progress_values(analysis))

    def save_prompt_result(self, analysis: Analysis, idx: int, result: PromptResult) -> None:
        """Store prompt ``idx`` of ``analysis`` (already saved) as it stands."""
        with self.transaction() as conn:
            conn.execute(library_rows.UPSERT_RESULT, library_rows.result_values(analysis.id, idx, result))
            conn.execute(library_rows.UPDATE_PROGRESS, library_rows.progress_values(analysis))

    def save_speakers(self, analysis: Analysis) -> None:
        """Store ``analysis``'s speakers: its segments anew (diarization splits them where the speaker
        changes), the names, the diarization block and (with consent) the speakers' voice embeddings."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM segments WHERE analysis_id = ?", (analysis.id,))
            conn.executemany(library_rows.INSERT_SEGMENT, library_rows.segment_values(
                analysis.id, analysis.transcript.segments, first_idx=0))
            conn.execute("UPDATE analyses SET speakers_json = ? WHERE id = ?",
                         (library_speakers.speakers_json(analysis), analysis.id))
            library_speakers.index_names(conn, analysis.id, analysis.transcript)

    def rename_speaker(self, analysis_id: str, speaker: int, name: str) -> Analysis:
        """Name ``speaker`` (0-based) of ``analysis_id`` (an id or unique prefix) ``name`` ("" gives it back
        its "Speaker N"); the name shows in every view, export and search from now on. A recognised mark
        on that speaker is settled (the user named it). With a stored voice embedding for that speaker
        (the user consented to voiceprints when it ran), the name's voiceprint is kept or replaced.
        Returns the analysis as stored now. Raises LibraryError for an unknown analysis or speaker, or a name
        longer than 80 characters or holding a line break."""
        name = " ".join(name.split())
        if len(name) > 80:
            raise LibraryError("a speaker name can be at most 80 characters long")
        analysis = self.load(analysis_id)
        transcript = analysis.transcript
        names_before = dict(transcript.speaker_names)
        if speaker not in transcript.speakers:
            known = ", ".join(transcript.speaker_name(k) for k in transcript.speakers) or "none"
            raise LibraryError(f"{analysis.source.name} has no speaker {speaker + 1} (its speakers: {known})")
        if name:
            transcript.speaker_names[speaker] = name
        else:
            transcript.speaker_names.pop(speaker, None)
        if transcript.diarization is not None:
            transcript.diarization.recognised.pop(speaker, None)
            transcript.diarization.similarity.pop(speaker, None)
        with self.transaction() as conn:
            if transcript.speaker_names != names_before:  # a new name is a new transcript version
                before = names_before.get(speaker) or f"Speaker {speaker + 1}"
                change = TranscriptChange("rename", f"{before} renamed {transcript.speaker_name(speaker)}")
                self._add_version(conn, analysis, names_before, change, edited=True)
            conn.execute("UPDATE analyses SET speakers_json = ? WHERE id = ?",
                         (library_speakers.speakers_json(analysis), analysis.id))
            library_speakers.index_names(conn, analysis.id, transcript)
            embedding = analysis.speaker_embeddings.get(speaker)
            if name and embedding and transcript.diarization is not None:
                conn.execute(
                    "INSERT INTO voiceprints (name, embedding_json, model, created_at, source_name, analysis_id) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET embedding_json = excluded.embedding_json, "
                    "model = excluded.model, created_at = excluded.created_at, source_name = excluded.source_name, "
                    "analysis_id = excluded.analysis_id",
                    (name, json.dumps(list(embedding)), transcript.diarization.model, now_iso(),
                     display_name(analysis.source), analysis.id))
        return analysis

    def confirm_voice(self, analysis_id: str, speaker: int) -> Analysis:
        """Accept the name a voiceprint gave ``speaker``: it stays, without the "recognised" mark."""
        analysis = self.load(analysis_id)
        name = analysis.transcript.speaker_names.get(speaker, "")
        return self.rename_speaker(analysis.id, speaker, name) if name else analysis

    def reject_voice(self, analysis_id: str, speaker: int) -> Analysis:
        """Undo the name a voiceprint gave ``speaker``: back to "Speaker N", no voiceprint changed."""
        analysis = self.load(analysis_id)
        diarization = analysis.transcript.diarization
        if diarization is None or speaker not in diarization.recognised:
            return analysis
        diarization.recognised.pop(speaker, None)
        diarization.similarity.pop(speaker, None)
        analysis.transcript.speaker_names.pop(speaker, None)
        with self.transaction() as conn:
            conn.execute("UPDATE analyses SET speakers_json = ? WHERE id = ?",
                         (library_speakers.speakers_json(analysis), analysis.id))
            library_speakers.index_names(conn, analysis.id, analysis.transcript)
        return analysis

    # transcript versions ------------------------------------------------------

    def edit_transcript(self, analysis_id: str, segments: list[Segment], speaker_names: dict[int, str],
                        change: TranscriptChange) -> Analysis:
        """Store an edit of ``analysis_id``'s current transcript (``segments`` and ``speaker_names`` as
        ``app.core.editing`` made them, ``change`` saying what changed) as a new transcript version made
        from the current one, and make it current: the history search, exports, follow-up questions and
        answers run again read it from now on; answers made before are stale (``Analysis.is_stale``).
        The first edit also stores the transcription as made (version 0). Returns the analysis as stored now.

        Raises AnalysisBusyError (nothing written) while a live process, this one included, is running the
        analysis, LibraryError for an unknown analysis or a library that cannot be written."""
        analysis = self.load(analysis_id)
        names_before = dict(analysis.transcript.speaker_names)
        segments_before = analysis.transcript.segments
        analysis.transcript.segments = list(segments)
        analysis.transcript.speaker_names = dict(speaker_names)
        with self.transaction() as conn:
            _refuse_if_running(conn, analysis.id, "edit", others_only=False)
            self._add_version(conn, analysis, names_before, change, edited=change.kind != "revert",
                              segments_before=segments_before)
            conn.execute("UPDATE analyses SET speakers_json = ? WHERE id = ?",
                         (library_speakers.speakers_json(analysis), analysis.id))
            library_speakers.index_names(conn, analysis.id, analysis.transcript)
        return self.load(analysis.id)

    def _add_version(self, conn: sqlite3.Connection, analysis: Analysis, names_before: dict[int, str],
                     change: TranscriptChange, edited: bool, segments_before: list[Segment] | None = None) -> None:
        """Store ``analysis``'s transcript as it is now as a new version made from the current one (its
        ``transcript_version``), and make it current; version 0 first, from the state before, if not there."""
        created = now_iso()
        before = analysis.transcript.segments if segments_before is None else segments_before
        versions.ensure_original(conn, analysis.id, before, names_before, created)
        number = versions.add_version(conn, analysis.id, analysis.transcript_version, change, edited,
                                      analysis.transcript.segments, analysis.transcript.speaker_names, created)
        versions.write_current(conn, analysis.id, number, edited, analysis.transcript.segments)
        analysis.transcript_version, analysis.transcript_edited = number, edited

    def switch_transcript_version(self, analysis_id: str, number: int) -> Analysis:
        """Make stored version ``number`` of ``analysis_id``'s transcript the current one again (Undo and
        Redo go back and forth between versions this way; nothing is deleted). Returns the analysis as
        stored now. Raises LibraryError for an unknown analysis or version, AnalysisBusyError while it runs."""
        analysis = self.load(analysis_id)
        with self.transaction() as conn:
            _refuse_if_running(conn, analysis.id, "edit", others_only=False)
            stored = versions.snapshot(conn, analysis.id, number)
            if stored is None:
                raise LibraryError(f"{analysis.source.name} has no transcript version {number}")
            segments, names = stored
            versions.write_current(conn, analysis.id, number, versions.is_edited(conn, analysis.id, number), segments)
            analysis.transcript.segments, analysis.transcript.speaker_names = segments, names
            conn.execute("UPDATE analyses SET speakers_json = ? WHERE id = ?",
                         (library_speakers.speakers_json(analysis), analysis.id))
            library_speakers.index_names(conn, analysis.id, analysis.transcript)
        return self.load(analysis.id)

    def revert_transcript(self, analysis_id: str) -> Analysis:
        """Store the transcription as made (version 0) as a new version and make it current ("Revert to the
        transcription"; the edits stay stored and can be gone back to). Raises LibraryError when the current
        transcript is not edited, AnalysisBusyError while it runs."""
        analysis = self.load(analysis_id)
        if not analysis.transcript_edited:
            raise LibraryError(f"the transcript of {analysis.source.name} is the transcription as made already")
        stored = self._snapshot(analysis.id, versions.ORIGINAL)
        if stored is None:
            raise LibraryError(f"{analysis.source.name} has no stored transcription to go back to")
        segments, names = stored
        return self.edit_transcript(analysis.id, segments, names,
                                    TranscriptChange("revert", "Reverted to the transcription"))

    def _snapshot(self, analysis_id: str, number: int) -> tuple[list[Segment], dict[int, str]] | None:
        with self._lock:
            try:
                return versions.snapshot(self.connection(), analysis_id, number)
            except sqlite3.Error as exc:
                raise LibraryError(f"cannot read the history library: {exc}") from None

    def transcript_version_state(self, analysis_id: str, number: int) -> tuple[list[Segment], dict[int, str], bool]:
        """(segments, speaker names, edited) of stored version ``number`` of ``analysis_id``'s transcript,
        without making it current. Raises LibraryError for an unknown analysis or version."""
        full = self.resolve_id(analysis_id)
        stored = self._snapshot(full, number)
        if stored is None:
            raise LibraryError(f"no transcript version {number} of {full[:8]} in the history library")
        with self._lock:
            edited = versions.is_edited(self.connection(), full, number)
        return stored[0], stored[1], edited

    def transcript_versions(self, analysis_id: str) -> list[TranscriptVersion]:
        """Every stored version of ``analysis_id``'s transcript, oldest first (empty when never edited)."""
        full = self.resolve_id(analysis_id)
        rows = self._read("SELECT analysis_id, number, parent, created_at, kind, description, edited "
                          "FROM transcript_versions WHERE analysis_id = ? ORDER BY number", (full,))
        return [versions.to_version(row) for row in rows]

    def voiceprints(self) -> list[Voiceprint]:
        """The named voiceprints, by name."""
        return [library_speakers.to_voiceprint(row)
                for row in self._read("SELECT * FROM voiceprints ORDER BY name COLLATE NOCASE")]

    def delete_voiceprint(self, name: str) -> bool:
        """Forget the voiceprint ``name`` (compared without case). True when there was one."""
        with self.transaction() as conn:
            return conn.execute("DELETE FROM voiceprints WHERE name = ?", (name.strip(),)).rowcount > 0

    def update_progress(self, analysis: Analysis) -> None:
        """Store ``analysis``'s status, error, models, duration and whether its transcript is complete."""
        with self.transaction() as conn:
            conn.execute(library_rows.UPDATE_PROGRESS, library_rows.progress_values(analysis))

    def delete(self, analysis_id: str) -> bool:
        """Remove an analysis with its segments and results (and their search entries). True when it existed.

        Raises AnalysisBusyError (nothing deleted) when a live process, this one included, is running it
        now, LibraryError when the library cannot be written."""
        with self.transaction() as conn:
            _refuse_if_running(conn, analysis_id, "delete", others_only=False)
            conn.execute("DELETE FROM search_index WHERE rowid = -(SELECT rowid FROM analyses WHERE id = ?)",
                         (analysis_id,))
            return conn.execute("DELETE FROM analyses WHERE id = ?", (analysis_id,)).rowcount > 0

    # reading ---------------------------------------------------------------

    def entries(self, limit: int = 500) -> list[LibraryEntry]:
        """The newest ``limit`` analyses, newest first."""
        rows = self._read(library_rows.SELECT_ENTRIES + " ORDER BY a.created_at DESC, a.rowid DESC LIMIT ?", (limit,))
        return [_entry(row) for row in rows]

    def entry(self, analysis_id: str) -> LibraryEntry:
        """The entry for ``analysis_id`` (a full id or a unique prefix). Raises LibraryError when unknown."""
        full = self.resolve_id(analysis_id)
        return _entry(self._read(library_rows.SELECT_ENTRIES + " WHERE a.id = ?", (full,))[0])

    def resolve_id(self, prefix: str) -> str:
        """The full id that ``prefix`` starts. Raises LibraryError when none or several match."""
        prefix = prefix.strip()
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._read("SELECT id FROM analyses WHERE id LIKE ? ESCAPE '\\' LIMIT 2", (escaped + "%",))
        if not prefix or not rows:
            raise LibraryError(f"no analysis {prefix!r} in the history library")
        if len(rows) > 1:
            raise LibraryError(f"several analyses start with {prefix!r}; give more of the id")
        return rows[0]["id"]

    def load(self, analysis_id: str) -> Analysis:
        """The stored analysis (id or unique prefix) with its transcript and prompt results, as stored.
        An interrupted run reads as CANCELLED with the error "interrupted". Raises LibraryError."""
        full = self.resolve_id(analysis_id)
        row = self._read("SELECT * FROM analyses WHERE id = ?", (full,))[0]
        segments = self._read("SELECT * FROM segments WHERE analysis_id = ? ORDER BY idx", (full,))
        results = self._read("SELECT * FROM prompt_results WHERE analysis_id = ? ORDER BY idx", (full,))
        return library_rows.to_analysis(row, segments, results, alive=pid_alive(row["owner_pid"]))

    def load_transcript(self, analysis_id: str) -> Transcript:
        """Only the stored transcript of ``analysis_id`` (a full id), as transcribed: the segments of the
        transcription as made (version 0) when the user edited them, so reusing it for another run gives what
        transcribing again would; the names the user gave its speakers come with it."""
        row = self._read("SELECT duration, language, transcript_key, speakers_json FROM analyses WHERE id = ?",
                         (analysis_id,))
        segments = self._read("SELECT * FROM segments WHERE analysis_id = ? ORDER BY idx", (analysis_id,))
        if not row:
            raise LibraryError(f"no analysis {analysis_id!r} in the history library")
        transcript = library_rows.to_transcript(row[0], segments)
        original = self._snapshot(analysis_id, versions.ORIGINAL)
        if original is not None:  # edited: a reused transcript is the transcription, never the user's edits
            transcript.segments = original[0]  # (the names the user gave its speakers come along)
        return transcript

    def stored_settings(self, analysis_id: str) -> dict:
        """The settings an analysis (a full id) ran with, as stored (an ``EngineSettings`` as a dict)."""
        rows = self._read("SELECT settings_json FROM analyses WHERE id = ?", (analysis_id,))
        if not rows:
            raise LibraryError(f"no analysis {analysis_id!r} in the history library")
        try:
            return json.loads(rows[0]["settings_json"])
        except ValueError:
            return {}

    def find_transcript(self, content_sha256: str, transcript_key: str, exclude_id: str) -> tuple[str, str] | None:
        """(id, created_at ISO) of the newest complete transcript of the same content made with the same
        Whisper settings (``transcript_key``), other than ``exclude_id``; None when there is none."""
        rows = self._read(
            "SELECT id, created_at FROM analyses WHERE content_sha256 = ? AND transcript_key = ? "
            "AND transcript_complete = 1 AND id != ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (content_sha256, transcript_key, exclude_id),
        )
        return (rows[0]["id"], rows[0]["created_at"]) if rows else None

    def search(self, text: str, limit: int = 100) -> list[SearchHit]:
        """Transcript segments and responses matching ``text`` (FTS5; each word must appear), best first."""
        query = library_rows.fts_query(text)
        if not query:
            return []
        rows = self._read(library_rows.SEARCH, (query, limit))
        return [SearchHit(r["analysis_id"], library_rows.shown_source(r)[0],
                          library_rows.parse_time(r["created_at"]), r["kind"], int(r["idx"]), r["snippet"])
                for r in rows]


def _entry(row: sqlite3.Row) -> LibraryEntry:
    status = row["status"]
    if status == "running" and not pid_alive(row["owner_pid"]):
        status = INTERRUPTED
    return LibraryEntry(
        row["id"], *library_rows.shown_source(row), library_rows.parse_time(row["created_at"]),
        row["duration"], status, row["error"], row["prompts_total"], row["prompts_done"],
        bool(row["transcript_complete"]), row["owner_pid"], row["llm_model"] or "", row["whisper_model"] or "",
        row["recording"] or "", row["prompt_names"] or "",
    )


def running_elsewhere(entry: LibraryEntry) -> bool:
    """Whether ``entry`` is being run now by another live process (not this one)."""
    return entry.status == "running" and entry.owner_pid not in (None, os.getpid())


def busy_message(analysis_id: str, source_name: str, pid: int) -> str:
    """The sentence for an analysis that Hearsay process ``pid`` is running now."""
    return f"{analysis_id[:8]} ({source_name}) is being analysed by {_who(pid)}"


def _who(pid: int) -> str:
    return "this Hearsay process" if pid == os.getpid() else f"another Hearsay process (pid {pid})"


def _refuse_if_running(conn: sqlite3.Connection, analysis_id: str, verb: str, others_only: bool) -> None:
    # Inside the write transaction, so the owner cannot start or end between this check and the write.
    row = conn.execute("SELECT status, owner_pid, source_name FROM analyses WHERE id = ?", (analysis_id,)).fetchone()
    if row is None or row[0] != "running" or not pid_alive(row[1]) or (others_only and row[1] == os.getpid()):
        return
    raise AnalysisBusyError(f"cannot {verb} {analysis_id[:8]} ({row[2]}): it is being analysed by {_who(row[1])}; "
                            "wait for it to finish or stop it first", row[1])


def _is_busy(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF == 5 or "database is locked" in str(exc)


def _retry_while_busy(step, timeout: float = BUSY_TIMEOUT_S):
    """``step()``, tried again while SQLite answers "database is locked" without waiting (switching the
    journal mode does), for up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() > deadline:
                raise
        time.sleep(random.uniform(0.005, 0.05))


def _os_cause(path: Path, exc: sqlite3.Error) -> str:
    """SQLite says "unable to open database file" for a folder it cannot write; say what the system says."""
    if getattr(exc, "sqlite_errorcode", 0) & 0xFF != _SQLITE_CANTOPEN or path.exists():
        return str(exc)
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))  # what the system says about creating it
    except OSError as os_exc:
        return os_exc.strerror or str(exc)
    return str(exc)


def now_iso() -> str:
    """The current time, UTC, ISO 8601 (how the library stores dates)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
