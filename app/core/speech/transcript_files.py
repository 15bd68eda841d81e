"""Transcripts read back from files, so prompts can run again without transcribing.

Two inputs: a ``.txt`` transcript (one segment per non-blank line; a leading
``[mm:ss]`` or ``[h:mm:ss]`` stamp, as Hearsay's exports write, gives the start
time) and a ``.json`` result written by Hearsay (``app.core.export.json_result``; Gladia's
``result.transcription.utterances`` shape). A result's speakers come back: each utterance's ``speaker``
(0-based) and ``speaker_name`` (a name other than the default "Speaker N" is the user's), and
``result.diarization`` (how they were found). An ``error`` is read as Gladia's error object's ``message``,
or as text (results written before errors were objects).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

from app.core import user_files
from app.core.analysis import (Analysis, AnalysisStatus, Diarization, PromptResult, PromptStatus, Segment, Transcript,
                               Word)
from app.core.errors import MediaError

TRANSCRIPT_EXTENSIONS = (".txt", ".json")
TRANSCRIPT_LIMIT_BYTES = 64 << 20
"""The largest transcript file read (64 MiB): about 50 hours of speech as Hearsay's JSON with word
timestamps (9 MB for 8 hours), far more as text. A larger file is refused before it is read."""
NOT_A_RESULT = "not a Hearsay result file (expected result.transcription.utterances)"
_STAMP = re.compile(r"^\[(?:(\d{1,6}):)?(\d{1,2}):(\d{2})\]\s*")


def is_transcript_file(path: Path) -> bool:
    """True when ``path`` names a transcript input (by extension) rather than media."""
    return Path(path).suffix.lower() in TRANSCRIPT_EXTENSIONS


def load_transcript(path: Path) -> Transcript:
    """Read a ``.txt`` or Hearsay ``.json`` transcript (at most ``TRANSCRIPT_LIMIT_BYTES``).

    Times come out finite, not negative, each utterance ending no earlier than
    it starts and starting no earlier than the one before. Raises MediaError
    with one sentence naming the problem: the file cannot be read (see
    ``app.core.user_files``), is too large, is not UTF-8, is not a Hearsay
    result, is nested too deeply, or holds a time or text that is not valid.
    """
    text = _read_text(Path(path))
    if Path(path).suffix.lower() == ".json":
        return _from_json(_parse_json(text))
    return _from_text(text)


def _read_text(path: Path) -> str:
    try:
        data = user_files.read_limited(path, TRANSCRIPT_LIMIT_BYTES, "the transcript file")
    except user_files.FileProblem as exc:
        raise MediaError(exc.message) from None
    if not data:
        raise MediaError("the file is empty")
    try:
        return data.decode("utf-8-sig")  # a byte-order mark (Notepad) is not text
    except UnicodeDecodeError:
        raise MediaError("the transcript is not UTF-8 text") from None


def _parse_json(text: str) -> dict:
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:  # the C decoder stops at Python's recursion limit (about 1,000 levels)
        raise MediaError("the JSON is nested too deeply to be a Hearsay result") from None
    except ValueError:
        raise MediaError(NOT_A_RESULT) from None
    if not isinstance(data, dict):
        raise MediaError(NOT_A_RESULT)
    return data


def _no_constant(name: str):
    """``NaN``, ``Infinity`` and ``-Infinity`` are not JSON (Python writes them; Hearsay never does): refused."""
    raise MediaError(f"the file holds {name}, which is not valid JSON")


def _from_text(text: str) -> Transcript:
    segments = []
    stamped = 0  # the latest [mm:ss] stamp so far, in seconds: stamps must not go back
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        start = 0.0
        match = _STAMP.match(line)
        if match:
            hours, minutes, seconds = match.groups()
            start = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
            if start < stamped:
                raise MediaError(f"line {number}'s time {match.group(0).strip()} is earlier than the time "
                                 "of a line before it; the times are out of order")
            stamped = start
            line = line[match.end():]
        segments.append(Segment(start=float(start), end=float(start), text=line))
    if not segments:
        raise MediaError("the transcript is empty")
    return Transcript(segments=segments)


def _from_json(data: dict) -> Transcript:
    try:
        transcription = data["result"]["transcription"]
        utterances = transcription["utterances"]
        file = data.get("file") or {}
        duration = _seconds(file.get("duration") or 0.0, "the duration")
        if not isinstance(utterances, list):
            raise TypeError
        segments = [_segment(u, n) for n, u in enumerate(utterances, start=1)]
        speaker_names = _speaker_names(utterances, segments)
        diarization = _diarization(data["result"].get("diarization"))
        languages = transcription.get("languages") or [None]
        language = languages[0] if isinstance(languages, list) else None
        translated_to = (data["result"].get("metadata") or {}).get("translated_to")
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        raise MediaError(NOT_A_RESULT) from None
    for n in range(1, len(segments)):
        if segments[n].start < segments[n - 1].start:
            raise MediaError(f"utterance {n + 1} starts before utterance {n}; the times are out of order")
    if language is not None and not isinstance(language, str):
        raise MediaError(NOT_A_RESULT)
    if translated_to is not None and not isinstance(translated_to, str):
        raise MediaError(NOT_A_RESULT)
    return Transcript(segments=segments, language=language, duration=duration, translated_to=translated_to,
                      speaker_names=speaker_names, diarization=diarization)


def _speaker(value) -> int | None:
    """An utterance's ``speaker``: a 0-based index or None; TypeError for anything else."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10_000:
        raise TypeError
    return value


def _speaker_names(utterances: list, segments: list[Segment]) -> dict[int, str]:
    """The names given to speakers: each utterance's ``speaker_name`` that is not the default "Speaker N"."""
    names: dict[int, str] = {}
    for n, (utterance, segment) in enumerate(zip(utterances, segments), start=1):
        name = utterance.get("speaker_name")
        if segment.speaker is None or name is None:
            continue
        name = _text(name, f"utterance {n}'s speaker_name").strip()
        if name and name != f"Speaker {segment.speaker + 1}":
            names[segment.speaker] = name
    return names


def _diarization(block) -> Diarization | None:
    """``result.diarization`` as Hearsay writes it, or None when absent; TypeError/ValueError for another shape."""
    if block is None:
        return None
    error = block.get("error")
    requested = block.get("diarization_config") or {}
    found = Diarization(
        engine=_text(block.get("engine") or "", "the diarization engine"),
        model=_text(block.get("model") or "", "the diarization model"),
        speaker_count=int(_number(block.get("number_of_speakers") or 0, "the number of speakers")),
        time=_seconds(block.get("exec_time") or 0.0, "the diarization time"),
        requested={str(k): int(_number(v, f"diarization_config's {k}")) for k, v in requested.items()},
        error=_error_message(error, "the diarization error"),
    )
    for entry in block.get("recognised") or []:
        speaker = _speaker(entry["speaker"])
        found.recognised[speaker] = _text(entry["name"], "a recognised speaker's name")
        if entry.get("similarity") is not None:
            found.similarity[speaker] = _number(entry["similarity"], "a recognised speaker's similarity")
    return found


def _error_message(error, what: str) -> str | None:
    """An ``error`` field: Gladia's error object's ``message``, or text (results written before errors were
    objects); None for no error."""
    if error is None:
        return None
    if isinstance(error, dict):
        error = error["message"]
    return _text(error, what)


def _segment(utterance: dict, n: int) -> Segment:
    """Utterance ``n`` (1-based) as a Segment; MediaError for a time or text that is not valid."""
    where = f"utterance {n}"
    start, end = _seconds(utterance["start"], f"{where}'s start"), _seconds(utterance["end"], f"{where}'s end")
    if end < start:
        raise MediaError(f"{where} ends at {end:g} s, before it starts at {start:g} s")
    words = []
    for k, w in enumerate(utterance.get("words") or [], start=1):
        at = f"word {k} of {where}"
        word = Word(_text(w["word"], at), _seconds(w["start"], f"{at}'s start"), _seconds(w["end"], f"{at}'s end"),
                    _number(w.get("confidence", 0.0), f"{at}'s confidence"))
        words.append(word)
    language = utterance.get("language")
    if language is not None and not isinstance(language, str):
        raise TypeError
    return Segment(start=start, end=end, text=_text(utterance["text"], f"{where}'s text"), words=tuple(words),
                   language=language, speaker=_speaker(utterance.get("speaker")))


def _number(value, what: str) -> float:
    """``value`` as a finite float: MediaError naming ``what`` when it is infinite (``1e999``), TypeError
    when it is not a number at all."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        number = math.inf
    if not math.isfinite(number):
        raise MediaError(f"{what} is not a finite number")
    return number


def _seconds(value, what: str) -> float:
    seconds = _number(value, what)
    if seconds < 0:
        raise MediaError(f"{what} is negative ({seconds:g} s)")
    return seconds


def _text(value, what: str) -> str:
    """``value`` when it is text that is Unicode; MediaError naming ``what`` for a lone surrogate escape
    (``\\ud800``, which no UTF-8 file, view or library can hold), TypeError when it is not text."""
    if not isinstance(value, str):
        raise TypeError
    if not user_files.is_valid_text(value):
        raise MediaError(f"{what} is not valid Unicode (it holds a lone surrogate escape)")
    return value


def load_result(path: Path) -> Analysis | None:
    """The ``Analysis`` saved in a Hearsay ``.json`` result, with its prompt results, or None
    when ``path`` is not such a result (a ``.txt`` transcript, say). Raises MediaError for a
    damaged result file, as ``load_transcript`` does, and for prompt results whose numbers or
    text are not valid.

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
        results = [_prompt_result(entry, n) for n, entry in enumerate(entries, start=1)]
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        raise MediaError("the result file's prompt results are damaged") from None
    analysis = Analysis(source=path, prompts=[r.prompt for r in results], prompt_results=results)
    analysis.transcript = transcript
    analysis.duration = transcript.duration
    analysis.whisper_model = str(meta.get("whisper_model") or "")
    analysis.device = str(meta.get("device") or "")
    analysis.status = AnalysisStatus.QUEUED
    return analysis


def _prompt_result(entry: dict, n: int) -> PromptResult:
    """Entry ``n`` (1-based) of ``audio_to_llm.results``; MediaError for a number or text that is not valid,
    KeyError, TypeError or ValueError for a shape that is not Hearsay's."""
    where = f"prompt result {n}"
    status = entry.get("status") or ("done" if entry.get("success") else "failed")
    ttft, error = entry.get("ttft"), entry.get("error")
    result = PromptResult(
        prompt=_text(entry["results"]["prompt"], f"{where}'s prompt"),
        response=_text(entry["results"].get("response") or "", f"{where}'s response"),
        status=PromptStatus(status), error=_error_message(error, f"{where}'s error"),
        exec_time=_seconds(entry.get("exec_time") or 0.0, f"{where}'s exec_time"),
        ttft=None if ttft is None else _seconds(ttft, f"{where}'s ttft"),
        strategy=_text(entry.get("strategy") or "whole", f"{where}'s strategy"),
        parts=int(_number(entry.get("parts") or 1, f"{where}'s parts")),
        coverage=_number(entry.get("coverage") or 0.0, f"{where}'s coverage"),
        completion_tokens=int(_number(entry.get("completion_tokens") or 0, f"{where}'s completion_tokens")),
    )
    reason = entry.get("finish_reason")
    result.finish_reason = reason if reason in ("stop", "length") else None
    result.name = _text(entry.get("name") or "", f"{where}'s name")
    result.kind = "question" if entry.get("kind") == "question" else "prompt"
    if result.status in (PromptStatus.RUNNING, PromptStatus.WAITING):
        result.status = PromptStatus.CANCELLED
    return result
