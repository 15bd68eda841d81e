"""The history library's SQLite schema and its migrations.

``PRAGMA user_version`` holds the schema version; ``migrate`` applies every
step above it in one transaction, so a library is always at one version,
also when several processes open a new library at once. A library written by a newer Hearsay (a higher version than
``SCHEMA_VERSION``) is refused rather than altered.

Full-text search uses SQLite's FTS5 (https://sqlite.org/fts5.html): one
``search_index`` row per transcript segment (rowid = 2 x segment rowid) and
per prompt result (rowid = 2 x result rowid + 1, text = prompt and response),
kept current by triggers, so a delete or an update touches one index row.
"""

from __future__ import annotations

import sqlite3

from app.core.errors import LibraryError

_V1 = """
CREATE TABLE analyses (
    id TEXT PRIMARY KEY,
    source_path TEXT NOT NULL,
    source_name TEXT NOT NULL,
    file_size INTEGER,
    content_sha256 TEXT,
    duration REAL NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    owner_pid INTEGER,
    whisper_model TEXT NOT NULL DEFAULT '',
    whisper_sha256 TEXT NOT NULL DEFAULT '',
    llm_model TEXT NOT NULL DEFAULT '',
    llm_sha256 TEXT NOT NULL DEFAULT '',
    device TEXT NOT NULL DEFAULT '',
    settings_json TEXT NOT NULL DEFAULT '{}',
    transcript_key TEXT NOT NULL DEFAULT '',
    language TEXT,
    transcript_complete INTEGER NOT NULL DEFAULT 0,
    transcription_time REAL NOT NULL DEFAULT 0
);
CREATE INDEX analyses_by_content ON analyses (content_sha256, transcript_key);
CREATE INDEX analyses_by_date ON analyses (created_at);

CREATE TABLE segments (
    analysis_id TEXT NOT NULL REFERENCES analyses (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    text TEXT NOT NULL,
    language TEXT,
    words_json TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (analysis_id, idx)
);

CREATE TABLE prompt_results (
    analysis_id TEXT NOT NULL REFERENCES analyses (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    prompt TEXT NOT NULL,
    response TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    error TEXT,
    exec_time REAL NOT NULL DEFAULT 0,
    ttft REAL,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    reused_tokens INTEGER NOT NULL DEFAULT 0,
    strategy TEXT NOT NULL DEFAULT 'whole',
    parts INTEGER NOT NULL DEFAULT 1,
    coverage REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (analysis_id, idx)
);

CREATE VIRTUAL TABLE search_index USING fts5 (
    text, analysis_id UNINDEXED, kind UNINDEXED, idx UNINDEXED, tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER segments_indexed AFTER INSERT ON segments BEGIN
    INSERT INTO search_index (rowid, text, analysis_id, kind, idx)
    VALUES (new.rowid * 2, new.text, new.analysis_id, 'segment', new.idx);
END;
CREATE TRIGGER segments_unindexed AFTER DELETE ON segments BEGIN
    DELETE FROM search_index WHERE rowid = old.rowid * 2;
END;
CREATE TRIGGER results_indexed AFTER INSERT ON prompt_results BEGIN
    INSERT INTO search_index (rowid, text, analysis_id, kind, idx)
    VALUES (new.rowid * 2 + 1, new.prompt || char(10) || new.response, new.analysis_id, 'response', new.idx);
END;
CREATE TRIGGER results_reindexed AFTER UPDATE OF prompt, response ON prompt_results BEGIN
    DELETE FROM search_index WHERE rowid = old.rowid * 2 + 1;
    INSERT INTO search_index (rowid, text, analysis_id, kind, idx)
    VALUES (new.rowid * 2 + 1, new.prompt || char(10) || new.response, new.analysis_id, 'response', new.idx);
END;
CREATE TRIGGER results_unindexed AFTER DELETE ON prompt_results BEGIN
    DELETE FROM search_index WHERE rowid = old.rowid * 2 + 1;
END;
"""

_V2 = """
ALTER TABLE analyses ADD COLUMN source_path_bytes BLOB;
ALTER TABLE analyses ADD COLUMN transcribed_duration REAL;
"""
"""Version 2 adds, without touching a stored row: ``source_path_bytes``, the input's path exactly as
the file system holds it (``os.fsencode``; ``source_path`` keeps a readable form, as a name that is
not UTF-8 cannot be TEXT), and ``transcribed_duration``, the seconds of the recording transcribed.
Both are NULL in rows stored before (their path was UTF-8; how much was transcribed is unknown)."""

_V3 = """
ALTER TABLE prompt_results ADD COLUMN finish_reason TEXT;
ALTER TABLE prompt_results ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE prompt_results ADD COLUMN kind TEXT NOT NULL DEFAULT 'prompt';
"""
"""Version 3 adds to each prompt result, without touching a stored row: ``finish_reason`` ("stop", or
"length" for an answer cut off at the answer limit; NULL when unknown), the prompt's short ``name`` ("" for
none) and its ``kind`` ("prompt", or "question" for one asked afterwards with the Ask line)."""

_V4 = """
ALTER TABLE analyses ADD COLUMN llm_demo INTEGER NOT NULL DEFAULT 0;
UPDATE analyses SET llm_demo = 1
WHERE llm_sha256 = 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53';
ALTER TABLE prompt_results ADD COLUMN usage_prompt_tokens INTEGER;
ALTER TABLE prompt_results ADD COLUMN usage_completion_tokens INTEGER;
"""
"""Version 4 adds ``analyses.llm_demo`` (1 when the answers come from the bundled demo language model,
``CatalogEntry.demo``), set for the rows already stored whose language model file has the demo model's
sha256 (SmolLM2-135M-Instruct Q4_1, the only demo model when version 4 was made), and to each prompt
result ``usage_prompt_tokens`` / ``usage_completion_tokens``: the tokens read and generated over every
model call that made the answer (NULL: the same as ``prompt_tokens`` / ``completion_tokens``, which is what
a single pass used; rows stored before keep NULL)."""

_V5 = """
ALTER TABLE segments ADD COLUMN speaker INTEGER;
ALTER TABLE analyses ADD COLUMN speakers_json TEXT;
CREATE TABLE voiceprints (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    embedding_json TEXT NOT NULL,
    model TEXT NOT NULL,
    created_at TEXT NOT NULL,
    source_name TEXT NOT NULL DEFAULT '',
    analysis_id TEXT
);
"""
"""Version 5 adds speakers (issue 13): each segment's 0-based ``speaker`` (NULL: not looked for), each
analysis's ``speakers_json`` (the names the user gave, the diarization block, and — only with the user's
consent to voiceprints — each speaker's mean voice embedding; NULL when speakers were not looked for), and
``voiceprints``: one named voice embedding per name (never audio), kept only with that consent. Speaker
names are indexed for the history search as rows of kind 'speaker' with rowid = -(the analysis's rowid),
outside the segments' (2n) and results' (2n + 1) rowids."""

_V6 = """
CREATE TABLE transcript_versions (
    analysis_id TEXT NOT NULL REFERENCES analyses (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    parent INTEGER,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    edited INTEGER NOT NULL,
    snapshot BLOB NOT NULL,
    PRIMARY KEY (analysis_id, number)
);
ALTER TABLE analyses ADD COLUMN transcript_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE analyses ADD COLUMN transcript_edited INTEGER NOT NULL DEFAULT 0;
ALTER TABLE prompt_results ADD COLUMN transcript_version INTEGER NOT NULL DEFAULT 0;
"""
"""Version 6 adds transcript versions (issue 14): ``transcript_versions`` holds every version of an edited
transcript (number 0, the transcription as made, stored at the first edit; then one per edit, with the
version it was made from, what changed in one line, and a zlib-compressed JSON snapshot of the segments
and speaker names: ``app.core.library.versions``); ``analyses.transcript_version`` is the version shown and
used now, whose segments the ``segments`` table holds (so search, exports and answers read it), and
``transcript_edited`` whether it differs from the transcription; each prompt result's
``transcript_version`` is the version its answer was made from. Rows stored before read as version 0."""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5, _V6)
"""Step k (0-based) takes a library from version k to k + 1. Append; never edit a released step."""

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(connection: sqlite3.Connection) -> int:
    """Bring the library behind ``connection`` (autocommit mode) to ``SCHEMA_VERSION``; return the version
    found before.

    Every step runs in one ``BEGIN IMMEDIATE`` transaction that reads the version again once it holds the
    write lock, so two processes opening a new library at once do not both create it: the second waits
    (the connection's busy timeout) and finds it done. Raises LibraryError when the library is newer than
    this Hearsay, sqlite3.Error when a step fails (nothing of it is kept).
    """
    found = _version(connection)
    if found == SCHEMA_VERSION:
        return found
    connection.execute("BEGIN IMMEDIATE")
    try:
        found = _version(connection)  # another process may have migrated while this one waited
        for version in range(found, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[version]):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {version + 1}")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return found


def _version(connection: sqlite3.Connection) -> int:
    found = connection.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise LibraryError(
            f"the history library was written by a newer Hearsay (schema {found}, this one reads up to "
            f"{SCHEMA_VERSION}); update Hearsay"
        )
    return found


def _statements(script: str) -> list[str]:
    """The SQL statements of ``script``, one by one (``executescript`` would commit the transaction first)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
