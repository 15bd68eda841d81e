"""Rows of the history library and their conversion to and from ``Analysis``.

The SQL here matches ``app.core.library.schema``. Dates are stored as ISO 8601
UTC text, times and durations as seconds (REAL), word timestamps as a JSON
array of ``[word, start, end, confidence]``. The input's path is stored as the
file system's bytes (``source_path_bytes``, lossless) and, for reading and
search, as ``app.core.user_files.display_path`` shows it (``source_path``,
``source_name``: valid UTF-8 whatever the name).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from app.core.analysis import Analysis, AnalysisStatus, PromptResult, PromptStatus, Segment, Transcript, Word
from app.core.library.speakers import apply_speakers
from app.core.user_files import display_name, display_path, path_bytes, path_from_bytes


@dataclass(frozen=True)
class SourceRecord:
    """What the library keeps about an analysis besides the ``Analysis`` itself.

    ``file_size`` in bytes and ``content_sha256`` of the input (None when it
    could not be read); the model files' sha256 ("" when unknown); the
    settings used (a JSON object); ``transcript_key``: the Whisper settings that
    decide a transcript, as canonical JSON, so an identical run can reuse it.
    """

    file_size: int | None = None
    content_sha256: str | None = None
    whisper_sha256: str = ""
    llm_sha256: str = ""
    settings_json: str = "{}"
    transcript_key: str = ""


UPSERT_ANALYSIS = """
INSERT INTO analyses (id, source_path, source_name, file_size, content_sha256, duration, status, error,
    created_at, updated_at, owner_pid, whisper_model, whisper_sha256, llm_model, llm_sha256, device,
    settings_json, transcript_key, language, transcript_complete, transcription_time, source_path_bytes,
    transcribed_duration, llm_demo)
VALUES (:id, :source_path, :source_name, :file_size, :content_sha256, :duration, :status, :error,
    :created_at, :updated_at, :owner_pid, :whisper_model, :whisper_sha256, :llm_model, :llm_sha256, :device,
    :settings_json, :transcript_key, :language, :transcript_complete, :transcription_time, :source_path_bytes,
    :transcribed_duration, :llm_demo)
ON CONFLICT (id) DO UPDATE SET
    status = excluded.status, error = excluded.error, updated_at = excluded.updated_at,
    owner_pid = excluded.owner_pid, duration = excluded.duration,
    file_size = COALESCE(excluded.file_size, file_size),
    content_sha256 = COALESCE(excluded.content_sha256, content_sha256),
    whisper_model = excluded.whisper_model, whisper_sha256 = excluded.whisper_sha256,
    llm_model = excluded.llm_model, llm_sha256 = excluded.llm_sha256, device = excluded.device,
    settings_json = excluded.settings_json, transcript_key = excluded.transcript_key,
    language = excluded.language, transcript_complete = excluded.transcript_complete,
    transcription_time = excluded.transcription_time, transcribed_duration = excluded.transcribed_duration,
    llm_demo = excluded.llm_demo
"""

UPDATE_PROGRESS = """
UPDATE analyses SET status = :status, error = :error, updated_at = :updated_at, duration = :duration,
    whisper_model = :whisper_model, llm_model = :llm_model, device = :device, language = :language,
    transcript_complete = :transcript_complete, transcription_time = :transcription_time,
    transcribed_duration = :transcribed_duration, llm_demo = :llm_demo
WHERE id = :id
"""

INSERT_SEGMENT = """
INSERT OR IGNORE INTO segments (analysis_id, idx, start, end, text, language, words_json, speaker)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""

UPSERT_RESULT = """
INSERT INTO prompt_results (analysis_id, idx, prompt, response, status, error, exec_time, ttft,
    completion_tokens, prompt_tokens, reused_tokens, strategy, parts, coverage, finish_reason, name, kind,
    usage_prompt_tokens, usage_completion_tokens, transcript_version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (analysis_id, idx) DO UPDATE SET
    prompt = excluded.prompt, response = excluded.response, status = excluded.status, error = excluded.error,
    exec_time = excluded.exec_time, ttft = excluded.ttft, completion_tokens = excluded.completion_tokens,
    prompt_tokens = excluded.prompt_tokens, reused_tokens = excluded.reused_tokens,
    strategy = excluded.strategy, parts = excluded.parts, coverage = excluded.coverage,
    finish_reason = excluded.finish_reason, name = excluded.name, kind = excluded.kind,
    usage_prompt_tokens = excluded.usage_prompt_tokens, usage_completion_tokens = excluded.usage_completion_tokens,
    transcript_version = excluded.transcript_version
"""

MATCH_START, MATCH_END = "\x02", "\x03"
"""What marks a search match in a snippet (``SearchHit.marked``): control characters no transcript holds."""

SELECT_ENTRIES = """
SELECT a.id, a.source_name, a.source_path, a.source_path_bytes, a.created_at, a.duration, a.status, a.error,
    a.owner_pid, a.transcript_complete, a.llm_model, a.whisper_model,
    COALESCE(NULLIF(a.content_sha256, ''), a.source_path) AS recording,
    (SELECT group_concat(CASE WHEN r.name != '' THEN r.name ELSE substr(r.prompt, 1, 24) END, ' · ')
     FROM prompt_results r WHERE r.analysis_id = a.id AND r.kind = 'prompt') AS prompt_names,
    (SELECT COUNT(*) FROM prompt_results r WHERE r.analysis_id = a.id) AS prompts_total,
    (SELECT COUNT(*) FROM prompt_results r WHERE r.analysis_id = a.id AND r.status = 'done') AS prompts_done
FROM analyses a
"""

SEARCH = """
SELECT s.analysis_id, s.kind, s.idx, a.source_name, a.source_path, a.source_path_bytes, a.created_at,
    snippet(search_index, 0, char(2), char(3), '…', 12) AS snippet
FROM search_index s JOIN analyses a ON a.id = s.analysis_id
WHERE search_index MATCH ? ORDER BY rank LIMIT ?
"""


def analysis_values(analysis: Analysis, record: SourceRecord, owner_pid: int) -> dict:
    """Named parameters of ``UPSERT_ANALYSIS`` for ``analysis``."""
    values = progress_values(analysis)
    values.update(
        source_path=display_path(analysis.source), source_name=display_name(analysis.source),
        source_path_bytes=path_bytes(analysis.source), file_size=record.file_size,
        content_sha256=record.content_sha256, created_at=analysis.created_at.astimezone(timezone.utc).isoformat(
            timespec="seconds"), owner_pid=owner_pid, whisper_sha256=record.whisper_sha256,
        llm_sha256=record.llm_sha256, settings_json=record.settings_json, transcript_key=record.transcript_key,
    )
    return values


def progress_values(analysis: Analysis) -> dict:
    """Named parameters of ``UPDATE_PROGRESS`` for ``analysis``."""
    return dict(
        id=analysis.id, status=analysis.status.value, error=analysis.error,
        updated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), duration=analysis.duration,
        whisper_model=analysis.whisper_model, llm_model=analysis.llm_model, device=analysis.device,
        language=analysis.transcript.language, transcript_complete=int(analysis.transcript_complete),
        transcription_time=analysis.transcription_time, transcribed_duration=analysis.transcribed_duration,
        llm_demo=int(analysis.llm_demo),
    )


def segment_values(analysis_id: str, segments: list[Segment], first_idx: int) -> list[tuple]:
    """Rows of ``INSERT_SEGMENT`` for ``segments`` numbered from ``first_idx``."""
    return [
        (analysis_id, first_idx + k, s.start, s.end, s.text, s.language,
         json.dumps([[w.word, w.start, w.end, w.confidence] for w in s.words]), s.speaker)
        for k, s in enumerate(segments)
    ]


def result_values(analysis_id: str, idx: int, r: PromptResult) -> tuple:
    """One row of ``UPSERT_RESULT``."""
    return (analysis_id, idx, r.prompt, r.response, r.status.value, r.error, r.exec_time, r.ttft,
            r.completion_tokens, r.prompt_tokens, r.reused_tokens, r.strategy, r.parts, r.coverage,
            r.finish_reason, r.name, r.kind, r.usage_prompt_tokens, r.usage_completion_tokens, r.transcript_version)


def parse_time(text: str) -> datetime:
    """A stored ISO 8601 date as an aware datetime (UTC assumed when it carries no zone)."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def to_transcript(row: sqlite3.Row, segments: list[sqlite3.Row]) -> Transcript:
    """The transcript of an analysis row (``duration``, ``language``, ``transcript_key``, ``speakers_json``)
    and its segment rows. The text is an English translation when the key says ``"task": "translate"``
    (``pipeline.recorder``); speaker names and the diarization block come from ``speakers_json``."""
    transcript = Transcript(
        segments=[
            Segment(s["start"], s["end"], s["text"], tuple(Word(*w) for w in json.loads(s["words_json"])),
                    s["language"], s["speaker"])
            for s in segments
        ],
        language=row["language"],
        duration=row["duration"],
        translated_to="en" if _translated(row) else None,
    )
    apply_speakers(row["speakers_json"], transcript)
    return transcript


def _translated(row: sqlite3.Row) -> bool:
    """True when the row's transcript key names the translate task (a row without a key: False)."""
    try:
        key = json.loads(row["transcript_key"] or "{}")
    except (IndexError, ValueError):
        return False
    return isinstance(key, dict) and key.get("task") == "translate"


def to_analysis(row: sqlite3.Row, segments: list[sqlite3.Row], results: list[sqlite3.Row], alive: bool) -> Analysis:
    """An ``Analysis`` from its rows. A "running" row whose process is gone (``alive`` False) reads as
    CANCELLED with the error "interrupted", and its unfinished prompts as CANCELLED."""
    status, error = AnalysisStatus(row["status"]), row["error"]
    interrupted = status is AnalysisStatus.RUNNING and not alive
    if interrupted:
        status, error = AnalysisStatus.CANCELLED, "interrupted"
    prompt_results = []
    for r in results:
        result_status = PromptStatus(r["status"])
        if interrupted and result_status in (PromptStatus.WAITING, PromptStatus.RUNNING):
            result_status = PromptStatus.CANCELLED
        prompt_results.append(PromptResult(
            prompt=r["prompt"], response=r["response"], status=result_status, error=r["error"],
            exec_time=r["exec_time"], completion_tokens=r["completion_tokens"], ttft=r["ttft"],
            prompt_tokens=r["prompt_tokens"], reused_tokens=r["reused_tokens"], strategy=r["strategy"],
            parts=r["parts"], coverage=r["coverage"], finish_reason=r["finish_reason"], name=r["name"],
            kind=r["kind"], usage_prompt_tokens=r["usage_prompt_tokens"],
            usage_completion_tokens=r["usage_completion_tokens"], transcript_version=r["transcript_version"],
        ))
    generation = _generation(row["settings_json"])
    analysis = Analysis(
        source=source_of(row), prompts=[r.prompt for r in prompt_results],
        transcript=to_transcript(row, segments), prompt_results=prompt_results, status=status, error=error,
        duration=row["duration"], transcription_time=row["transcription_time"],
        whisper_model=row["whisper_model"], llm_model=row["llm_model"], device=row["device"],
        created_at=parse_time(row["created_at"]), id=row["id"], transcript_complete=bool(row["transcript_complete"]),
        transcribed_duration=row["transcribed_duration"], llm_demo=bool(row["llm_demo"]),
        temperature=generation[0], system_prompt=generation[1],
        transcript_version=row["transcript_version"], transcript_edited=bool(row["transcript_edited"]),
    )
    apply_speakers(row["speakers_json"], analysis.transcript, analysis)
    return analysis


def _generation(settings_json: str) -> tuple[float | None, str | None]:
    """(temperature, system prompt) from an analysis row's stored settings; (None, None) when they were
    not stored (a run before they existed) or cannot be read."""
    try:
        settings = json.loads(settings_json or "{}")
    except ValueError:
        return None, None
    if not isinstance(settings, dict):
        return None, None
    temperature, system_prompt = settings.get("temperature"), settings.get("system_prompt")
    return (float(temperature) if isinstance(temperature, (int, float)) and not isinstance(temperature, bool)
            else None, system_prompt.strip() if isinstance(system_prompt, str) and system_prompt.strip() else None)


def shown_source(row: sqlite3.Row) -> tuple[str, str]:
    """(file name, path) of an analysis row as a list or a message shows them: one line of valid
    Unicode whatever the name holds (``app.core.user_files.display_path``)."""
    source = source_of(row)
    return display_name(source), display_path(source)


def source_of(row: sqlite3.Row) -> Path:
    """The input's path of an analysis row, exactly as it was: from ``source_path_bytes`` (any bytes a
    POSIX name may hold), else from ``source_path`` (rows stored before schema 2, whose path was UTF-8)."""
    raw = row["source_path_bytes"]
    return path_from_bytes(raw) if raw is not None else Path(row["source_path"])


def fts_query(text: str) -> str:
    """An FTS5 query where every word of ``text`` must appear (each quoted, so no syntax leaks in);
    the last word also matches as a prefix. "" when ``text`` has no word."""
    words = re.findall(r"\w+", text)
    if not words:
        return ""
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)
