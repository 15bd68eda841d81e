"""Transcripts read back from files, so prompts can run again without transcribing.

Two inputs: a ``.txt`` transcript (one segment per non-blank line; a leading
``[mm:ss]`` or ``[h:mm:ss]`` stamp, as Hearsay's exports write, gives the start
time) and a ``.json`` result written by Hearsay (``app.core.export.json_result``; Gladia's
``result.transcription.utterances`` shape).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from app.core.analysis import Analysis, AnalysisStatus, PromptResult, PromptStatus, Segment, Transcript, Word
from app.core.errors import MediaError
from app.core.speech.media import check_readable_file

TRANSCRIPT_EXTENSIONS = (".txt", ".json")
_STAMP = re.compile(r"^\[(?:(\d+):)?(\d{1,2}):(\d{2})\]\s*")


def is_transcript_file(path: Path) -> bool:
    """True when ``path`` names a transcript input (by extension) rather than media."""
    return Path(path).suffix.lower() in TRANSCRIPT_EXTENSIONS


def load_transcript(path: Path) -> Transcript:
    """Read a ``.txt`` or Hearsay ``.json`` transcript. Raises MediaError naming the problem."""
    text = _read_text(Path(path))
    if Path(path).suffix.lower() == ".json":
        return _from_json(_parse_json(text))
    return _from_text(text)


def _read_text(path: Path) -> str:
    check_readable_file(path)
    try:
        text = path.read_text("utf-8-sig")  # a byte-order mark (Notepad) is not text
    except UnicodeDecodeError:
        raise MediaError("the transcript is not UTF-8 text") from None
    except OSError as exc:
        raise MediaError(f"cannot read the file: {exc.strerror or exc}") from None
    return text


def _parse_json(text: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError:
        raise MediaError("not a Hearsay result file (expected result.transcription.utterances)") from None
    return data


def _from_text(text: str) -> Transcript:
    segments = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        start = 0.0
        match = _STAMP.match(line)
        if match:
            hours, minutes, seconds = match.groups()
            start = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
            line = line[match.end():]
        segments.append(Segment(start=float(start), end=float(start), text=line))
    if not segments:
        raise MediaError("the transcript is empty")
    return Transcript(segments=segments)


def _from_json(data: dict) -> Transcript:
    try:
        transcription = data["result"]["transcription"]
        utterances = transcription["utterances"]
        duration = float(data.get("file", {}).get("duration") or 0.0)
        segments = [
            Segment(
                start=float(u["start"]),
                end=float(u["end"]),
                text=str(u["text"]),
                words=tuple(
                    Word(str(w["word"]), float(w["start"]), float(w["end"]), float(w.get("confidence", 0.0)))
                    for w in u.get("words", [])
                ),
                language=u.get("language"),
            )
            for u in utterances
        ]
    except (ValueError, KeyError, TypeError):
        raise MediaError("not a Hearsay result file (expected result.transcription.utterances)") from None
    languages = transcription.get("languages") or [None]
    return Transcript(segments=segments, language=languages[0], duration=duration)


def load_result(path: Path) -> Analysis | None:
    """The ``Analysis`` saved in a Hearsay ``.json`` result, with its prompt results, or None
    when ``path`` is not such a result (a ``.txt`` transcript, say). Raises MediaError for a
    damaged result file.

    The analysis keeps ``path`` as its source (so its transcript is read back
    from the file, not transcribed) and its earlier prompt results, so new
    prompts can be appended as follow-ups.
    """
    path = Path(path)
    if path.suffix.lower() != ".json":
        return None
    data = _parse_json(_read_text(path))
    transcript = _from_json(data)
    try:
        meta = data["result"].get("metadata", {})
        entries = data["result"].get("audio_to_llm", {}).get("results", [])
        results = [_prompt_result(entry) for entry in entries]
    except (AttributeError, KeyError, TypeError, ValueError):
        raise MediaError("the result file's prompt results are damaged") from None
    analysis = Analysis(source=path, prompts=[r.prompt for r in results], prompt_results=results)
    analysis.transcript = transcript
    analysis.duration = transcript.duration
    analysis.whisper_model = str(meta.get("whisper_model") or "")
    analysis.device = str(meta.get("device") or "")
    analysis.status = AnalysisStatus.QUEUED
    return analysis


def _prompt_result(entry: dict) -> PromptResult:
    status = entry.get("status") or ("done" if entry.get("success") else "failed")
    result = PromptResult(
        prompt=str(entry["results"]["prompt"]), response=str(entry["results"].get("response") or ""),
        status=PromptStatus(status), error=entry.get("error"), exec_time=float(entry.get("exec_time") or 0.0),
        ttft=entry.get("ttft"), strategy=str(entry.get("strategy") or "whole"),
        parts=int(entry.get("parts") or 1), coverage=float(entry.get("coverage") or 0.0),
    )
    if result.status in (PromptStatus.RUNNING, PromptStatus.WAITING):
        result.status = PromptStatus.CANCELLED
    return result
