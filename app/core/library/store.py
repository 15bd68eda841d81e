"""The history library: every analysis, stored as it progresses, in SQLite.

One file, ``paths.data_dir()/library.sqlite3`` (``HEARSAY_HOME`` or
``HEARSAY_DATA_DIR`` move it), in WAL mode with ``synchronous=NORMAL``: a
committed write survives the process being killed. One connection per
``Library``, shared by its threads under a lock (the transcription thread and
the thread reading events both write); other processes and other ``Library``
objects read and write alongside through SQLite's own locking. Rows and their conversion to ``Analysis`` live in
``app.core.library.rows``; the schema in ``app.core.library.schema``.

Statuses are those of ``AnalysisStatus`` plus "interrupted": stored as
running, but the process that ran it is gone (killed, crashed, power lost).
Every sqlite3 failure is raised as LibraryError naming the cause.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from app.core import paths
from app.core.analysis import Analysis, AnalysisStatus, PromptResult, Segment, Transcript
from app.core.errors import LibraryError
from app.core.library import rows as library_rows
from app.core.library.schema import migrate
from app.core.processes import pid_alive

LIBRARY_FILE = "library.sqlite3"
INTERRUPTED = "interrupted"


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

    @property
    def resumable(self) -> bool:
        """True when a Resume has work to do: an interrupted or cancelled run, or one whose prompts did not all finish."""
        return self.status in (INTERRUPTED, "cancelled", "failed") or (
            self.status == "done" and self.prompts_done < self.prompts_total and self.transcript_complete
        )


@dataclass(frozen=True)
class SearchHit:
    """One full-text match: in a transcript ``segment`` or a prompt ``response`` (``kind``) at ``idx``.

    ``snippet`` is the matched text with the match between ``[`` and ``]``.
    """

    analysis_id: str
    source_name: str
    created_at: datetime
    kind: str
    idx: int
    snippet: str


def default_path() -> Path:
    """Where the user's library lives (created on first use)."""
    return paths.data_dir() / LIBRARY_FILE


class Library:
    """The history library at ``path`` (default: ``default_path()``); opens and migrates it on first use.

    Thread-safety: any thread may call any method; calls take turns on one
    connection. Writers in other processes wait up to 10 s (busy timeout). Raises LibraryError when the file cannot be
    opened or was written by a newer Hearsay.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else default_path()
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self.connection()  # fail now, not in the middle of an analysis

    def connection(self) -> sqlite3.Connection:
        """The library's one connection (autocommit mode; writes go through ``transaction``).

        Use it only while holding ``lock`` when other threads may use this library.
        """
        with self._lock:
            if self._conn is None:
                try:
                    conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
                    conn.execute("PRAGMA journal_mode = WAL")
                    conn.execute("PRAGMA synchronous = NORMAL")
                    conn.execute("PRAGMA foreign_keys = ON")
                    migrate(conn)
                except sqlite3.Error as exc:
                    raise LibraryError(f"cannot open the history library {self.path}: {exc}") from None
                conn.row_factory = sqlite3.Row
                self._conn = conn
            return self._conn

    @property
    def lock(self) -> threading.RLock:
        """Held by every read and write of this object; hold it to use ``connection()`` directly."""
        return self._lock

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; any sqlite3 error rolls it back and is raised as LibraryError."""
        with self._lock:
            conn = self.connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
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
        given), every prompt result, and the segments not stored yet. Marks it as owned by this process."""
        with self.transaction() as conn:
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

    def update_progress(self, analysis: Analysis) -> None:
        """Store ``analysis``'s status, error, models, duration and whether its transcript is complete."""
        with self.transaction() as conn:
            conn.execute(library_rows.UPDATE_PROGRESS, library_rows.progress_values(analysis))

    def delete(self, analysis_id: str) -> bool:
        """Remove an analysis with its segments and results (and their search entries). True when it existed."""
        with self.transaction() as conn:
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
        """Only the stored transcript of ``analysis_id`` (a full id)."""
        row = self._read("SELECT duration, language FROM analyses WHERE id = ?", (analysis_id,))
        segments = self._read("SELECT * FROM segments WHERE analysis_id = ? ORDER BY idx", (analysis_id,))
        if not row:
            raise LibraryError(f"no analysis {analysis_id!r} in the history library")
        return library_rows.to_transcript(row[0], segments)

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
        bool(row["transcript_complete"]),
    )


def now_iso() -> str:
    """The current time, UTC, ISO 8601 (how the library stores dates)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
