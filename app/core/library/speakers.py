"""Speakers in the history library: the ``speakers_json`` of an analysis, speaker names in the search
index, and voiceprints (schema version 5, ``app.core.library.schema``).

``speakers_json`` is ``{"names": {"1": "Alice"}, "diarization": {...Diarization's fields...},
"embeddings": {"0": [192 floats]}}``; ``embeddings`` is present only when the user consented to voiceprints.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, fields
from datetime import datetime, timezone

from app.core.analysis import Analysis, Diarization, Transcript, Voiceprint


def speakers_json(analysis: Analysis) -> str | None:
    """The ``speakers_json`` value of ``analysis`` (None when its speakers were not looked for)."""
    transcript = analysis.transcript
    if transcript.diarization is None and not transcript.speaker_names and not transcript.has_speakers:
        return None
    value: dict = {"names": {str(k): v for k, v in sorted(transcript.speaker_names.items())}}
    if transcript.diarization is not None:
        block = asdict(transcript.diarization)
        block["recognised"] = {str(k): v for k, v in transcript.diarization.recognised.items()}
        block["similarity"] = {str(k): v for k, v in transcript.diarization.similarity.items()}
        value["diarization"] = block
    if analysis.speaker_embeddings:
        value["embeddings"] = {str(k): list(v) for k, v in sorted(analysis.speaker_embeddings.items())}
    return json.dumps(value, ensure_ascii=False)


def apply_speakers(text: str | None, transcript: Transcript, analysis: Analysis | None = None) -> None:
    """Put what ``speakers_json`` ``text`` holds into ``transcript`` (names, diarization) and, given
    ``analysis``, its speaker embeddings. A value this version cannot read is ignored (speakers unknown)."""
    if not text:
        return
    try:
        value = json.loads(text)
        transcript.speaker_names = {int(k): str(v) for k, v in value.get("names", {}).items() if str(v).strip()}
        block = value.get("diarization")
        if block is not None:
            known = {f.name for f in fields(Diarization)}
            block = {k: v for k, v in block.items() if k in known}
            block["recognised"] = {int(k): v for k, v in block.get("recognised", {}).items()}
            block["similarity"] = {int(k): float(v) for k, v in block.get("similarity", {}).items()}
            transcript.diarization = Diarization(**block)
        if analysis is not None:
            analysis.speaker_embeddings = {int(k): tuple(float(x) for x in v)
                                           for k, v in value.get("embeddings", {}).items()}
    except (ValueError, TypeError, AttributeError):
        return


def index_names(conn: sqlite3.Connection, analysis_id: str, transcript: Transcript) -> None:
    """Make the history search find ``analysis_id`` by the names the user gave its speakers."""
    row = conn.execute("SELECT rowid FROM analyses WHERE id = ?", (analysis_id,)).fetchone()
    if row is None:
        return
    conn.execute("DELETE FROM search_index WHERE rowid = ?", (-row[0],))
    names = " ".join(sorted(set(transcript.speaker_names.values())))
    if names:
        conn.execute("INSERT INTO search_index (rowid, text, analysis_id, kind, idx) VALUES (?, ?, ?, 'speaker', 0)",
                     (-row[0], names, analysis_id))


def to_voiceprint(row: sqlite3.Row) -> Voiceprint:
    """A ``Voiceprint`` from a ``voiceprints`` row."""
    created = datetime.fromisoformat(row["created_at"])
    return Voiceprint(row["name"], tuple(json.loads(row["embedding_json"])), row["model"],
                      created if created.tzinfo else created.replace(tzinfo=timezone.utc), row["source_name"])
