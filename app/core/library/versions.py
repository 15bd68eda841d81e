"""Transcript versions in the history library (schema version 6, ``app.core.library.schema``).

A snapshot is the transcript's segments and speaker names as zlib-compressed JSON (RFC 1950 via Python's
``zlib``): ``{"segments": [[start, end, text, language, speaker, [[word, start, end, confidence], ...]],
...], "names": {"0": "Alice"}}``; times in seconds. An hour's transcript of about 900 segments with word
timestamps takes some 60 KB. Version 0 (the transcription as made) is stored at the first edit, so an
analysis never edited has no rows here.

Thread-safety: the functions take a connection inside a write transaction of ``Library``.
"""

from __future__ import annotations

import json
import sqlite3
import zlib

from app.core.analysis import Segment, TranscriptChange, TranscriptVersion, Word
from app.core.errors import LibraryError
from app.core.library import rows as library_rows

ORIGINAL = 0
"""The number of the transcription as made."""


def encode_snapshot(segments: list[Segment], names: dict[int, str]) -> bytes:
    """``segments`` and speaker ``names`` as a snapshot (the module docstring's format)."""
    value = {
        "segments": [[s.start, s.end, s.text, s.language, s.speaker,
                      [[w.word, w.start, w.end, w.confidence] for w in s.words]] for s in segments],
        "names": {str(k): v for k, v in sorted(names.items())},
    }
    return zlib.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6)


def decode_snapshot(blob: bytes) -> tuple[list[Segment], dict[int, str]]:
    """(segments, speaker names) from a snapshot. Raises ValueError (or zlib.error) for a damaged one."""
    value = json.loads(zlib.decompress(blob).decode("utf-8"))
    segments = [Segment(start, end, text, tuple(Word(*w) for w in words), language, speaker)
                for start, end, text, language, speaker, words in value["segments"]]
    return segments, {int(k): str(v) for k, v in value.get("names", {}).items()}


def to_version(row: sqlite3.Row) -> TranscriptVersion:
    """A ``TranscriptVersion`` from a ``transcript_versions`` row."""
    return TranscriptVersion(row["number"], row["parent"], library_rows.parse_time(row["created_at"]), row["kind"],
                             row["description"], bool(row["edited"]))


def ensure_original(conn: sqlite3.Connection, analysis_id: str, segments: list[Segment], names: dict[int, str],
                    created_at: str) -> None:
    """Store version 0 from the segments and names stored now, unless it is stored already."""
    conn.execute(
        "INSERT OR IGNORE INTO transcript_versions (analysis_id, number, parent, created_at, kind, description, "
        "edited, snapshot) VALUES (?, 0, NULL, ?, 'transcription', 'The transcription', 0, ?)",
        (analysis_id, created_at, encode_snapshot(segments, names)))


def add_version(conn: sqlite3.Connection, analysis_id: str, parent: int, change: TranscriptChange, edited: bool,
                segments: list[Segment], names: dict[int, str], created_at: str) -> int:
    """Store a new version made from ``parent`` by ``change``; returns its number (one more than the highest)."""
    number = conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM transcript_versions WHERE analysis_id = ?",
                          (analysis_id,)).fetchone()[0]
    conn.execute(
        "INSERT INTO transcript_versions (analysis_id, number, parent, created_at, kind, description, edited, "
        "snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (analysis_id, number, parent, created_at, change.kind, change.description, int(edited),
         encode_snapshot(segments, names)))
    return number


def snapshot(conn: sqlite3.Connection, analysis_id: str, number: int) -> tuple[list[Segment], dict[int, str]] | None:
    """The segments and names of version ``number``; None when it is not stored. Raises LibraryError when
    the stored snapshot cannot be read (damaged), sqlite3.Error from the query."""
    row = conn.execute("SELECT snapshot FROM transcript_versions WHERE analysis_id = ? AND number = ?",
                       (analysis_id, number)).fetchone()
    if row is None:
        return None
    try:
        return decode_snapshot(row[0])
    except (ValueError, TypeError, KeyError, zlib.error) as exc:
        raise LibraryError(f"transcript version {number} of {analysis_id[:8]} cannot be read: {exc}") from None


def is_edited(conn: sqlite3.Connection, analysis_id: str, number: int) -> bool:
    """Whether version ``number`` differs from the transcription (False for 0 and for an unknown number)."""
    row = conn.execute("SELECT edited FROM transcript_versions WHERE analysis_id = ? AND number = ?",
                       (analysis_id, number)).fetchone()
    return bool(row[0]) if row is not None else False


def write_current(conn: sqlite3.Connection, analysis_id: str, number: int, edited: bool,
                  segments: list[Segment]) -> None:
    """Make version ``number`` the one shown and used: its segments into ``segments`` (the search index
    follows through the triggers) and the analysis's ``transcript_version`` / ``transcript_edited``."""
    conn.execute("DELETE FROM segments WHERE analysis_id = ?", (analysis_id,))
    conn.executemany(library_rows.INSERT_SEGMENT, library_rows.segment_values(analysis_id, segments, first_idx=0))
    conn.execute("UPDATE analyses SET transcript_version = ?, transcript_edited = ? WHERE id = ?",
                 (number, int(edited), analysis_id))
