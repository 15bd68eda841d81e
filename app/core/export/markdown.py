"""Markdown and JSON renderings of an Analysis, and atomic writing of exports.

The JSON shape follows Gladia's pre-recorded result (``result.transcription``
with ``full_transcript`` and ``utterances[].words[]``, ``result.audio_to_llm``
with one entry per prompt in prompt order), plus a ``result.metadata`` block.
Times are seconds (floats).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from app.core.analysis import Analysis, AnalysisStatus, PromptResult, PromptStatus, Segment
from app.core.errors import ExportError

JSON_FORMAT_VERSION = 1


def format_timestamp(seconds: float) -> str:
    """``[mm:ss]`` for ``seconds`` (``[h:mm:ss]`` from one hour on)."""
    total = int(max(seconds, 0.0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"[{hours}:{minutes:02d}:{secs:02d}]" if hours else f"[{minutes:02d}:{secs:02d}]"


def format_duration(seconds: float) -> str:
    """Human duration: ``1 h 02 min 05 s``, ``3 min 07 s``, ``4.2 s``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min {secs:02d} s" if hours else f"{minutes} min {secs:02d} s"


def segment_lines(segments: Iterable[Segment]) -> list[str]:
    """One ``[mm:ss] text`` line per segment with text."""
    return [f"{format_timestamp(s.start)} {s.text.strip()}" for s in segments if s.text.strip()]


def output_names(sources: list[Path], fmt: str) -> list[str]:
    """Export file names for ``sources``: ``<stem>.<fmt>``; sources sharing a stem keep their
    extension (``speech.wav.md``, ``speech.mp3.md``) so one never overwrites another."""
    stems = [Path(s).stem for s in sources]
    return [(Path(s).name if stems.count(Path(s).stem) > 1 else Path(s).stem) + f".{fmt}" for s in sources]


def _response_markdown(result: PromptResult) -> str:
    if result.status is PromptStatus.DONE:
        return result.response or "_(empty response)_"
    note = {
        PromptStatus.FAILED: f"Failed: {result.error}",
        PromptStatus.CANCELLED: "Cancelled before it finished.",
        PromptStatus.SKIPPED: f"Not run: {result.error or 'skipped'}.",
    }.get(result.status, "Not run.")
    partial = f"\n\n{result.response}" if result.response else ""
    return f"> {note}{partial}"


def coverage_note(result: PromptResult) -> str:
    """One italic line on what the response read: ``_Coverage: 100% of the transcript, in one pass._``
    or ``..., map-reduce over 3 parts._``."""
    how = "in one pass" if result.strategy == "whole" else f"map-reduce over {result.parts} parts"
    return f"_Coverage: {result.coverage:.0%} of the transcript, {how}._"


def render_markdown(analysis: Analysis) -> str:
    """The Markdown export: title, metadata, ``## <prompt>`` + response per prompt, then ``## Transcript``."""
    lines = [f"# {analysis.source.name}", ""]
    lines += [
        f"- **Duration:** {format_duration(analysis.duration)}",
        f"- **Whisper model:** {analysis.whisper_model or '—'}",
        f"- **LLM model:** {analysis.llm_model or '—'}",
        f"- **Device:** {analysis.device or '—'}",
        f"- **Date:** {analysis.created_at.strftime('%Y-%m-%d %H:%M %Z').strip()}",
    ]
    if analysis.status is not AnalysisStatus.DONE:
        lines.append(f"- **Status:** {analysis.status.value}" + (f" ({analysis.error})" if analysis.error else ""))
    lines.append("")
    for result in analysis.prompt_results:
        heading = " ".join(result.prompt.split())
        lines += [f"## {heading}", "", _response_markdown(result), ""]
        if result.coverage > 0:
            lines += [coverage_note(result), ""]
    lines += ["## Transcript", ""]
    for line in segment_lines(analysis.transcript.segments) or ["_(no speech found)_"]:
        lines += [line, ""]
    return "\n".join(lines).rstrip() + "\n"


def to_json_dict(analysis: Analysis) -> dict:
    """The JSON export as a dict (shape: Gladia's pre-recorded result plus ``metadata``)."""
    transcript = analysis.transcript
    languages = sorted({s.language for s in transcript.segments if s.language} or ({transcript.language} - {None}))
    prompt_entries = [
        {
            "success": r.success,
            "is_empty": not r.response,
            "exec_time": round(r.exec_time, 3),
            "error": r.error,
            "status": r.status.value,
            "ttft": None if r.ttft is None else round(r.ttft, 3),
            "prompt_tokens": r.prompt_tokens,
            "reused_tokens": r.reused_tokens,
            "strategy": r.strategy,
            "parts": r.parts,
            "coverage": round(r.coverage, 4),
            "results": {"prompt": r.prompt, "response": r.response},
        }
        for r in analysis.prompt_results
    ]
    failed = [r for r in analysis.prompt_results if not r.success]
    return {
        "id": analysis.id,
        "status": "done" if analysis.status is AnalysisStatus.DONE else "error",
        "error": analysis.error,
        "version": JSON_FORMAT_VERSION,
        "file": {"path": str(analysis.source), "filename": analysis.source.name, "duration": analysis.duration},
        "result": {
            "metadata": {
                "audio_duration": analysis.duration,
                "transcription_time": round(analysis.transcription_time, 3),
                "whisper_model": analysis.whisper_model,
                "llm_model": analysis.llm_model,
                "device": analysis.device,
                "created_at": analysis.created_at.isoformat(),
            },
            "transcription": {
                "full_transcript": transcript.text,
                "languages": languages,
                "utterances": [
                    {
                        "text": s.text.strip(),
                        "start": s.start,
                        "end": s.end,
                        "language": s.language or transcript.language,
                        "words": [
                            {"word": w.word, "start": w.start, "end": w.end, "confidence": w.confidence}
                            for w in s.words
                        ],
                    }
                    for s in transcript.segments
                ],
            },
            "audio_to_llm": {
                "success": not failed and analysis.status is AnalysisStatus.DONE,
                "is_empty": transcript.is_empty,
                "exec_time": round(analysis.prompts_exec_time, 3),
                "error": (f"{len(failed)} of {len(prompt_entries)} prompts did not finish" if failed else None),
                "results": prompt_entries,
            },
        },
    }


def render_json(analysis: Analysis) -> str:
    """The JSON export as text (UTF-8, indented, non-ASCII kept)."""
    return json.dumps(to_json_dict(analysis), indent=2, ensure_ascii=False) + "\n"


def render(analysis: Analysis, fmt: str) -> str:
    """Render as ``fmt`` ("md" or "json"). Raises ValueError for another format."""
    if fmt == "md":
        return render_markdown(analysis)
    if fmt == "json":
        return render_json(analysis)
    raise ValueError(f"unknown export format {fmt!r}")


def _new_file_mode(path: Path) -> int:
    # A temp file is created 0600; the export should get what a plain open() would give:
    # the old file's mode when replacing one, else 0666 less the umask.
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


class ExportExistsError(ExportError):
    """The export's target already exists and replacing it was not asked for. ``path``: the target."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists")
        self.path = Path(path)


def existing_targets(paths: Iterable[Path | None]) -> list[Path]:
    """The ``paths`` that already exist (``None`` entries, meaning stdout, are ignored), in order."""
    return [Path(p) for p in paths if p is not None and os.path.lexists(p)]


def write_export(path: Path, text: str, overwrite: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically: a temp file in the same folder, fsync, then rename.

    A reader never sees a half-written file, and a failed write leaves any
    earlier file untouched. An existing ``path`` is replaced only with
    ``overwrite``; otherwise ExportExistsError is raised and nothing changes
    (the no-replace move is a hard link, which fails atomically when the name
    is taken; where the file system has no hard links, an existence check
    just before the rename). Raises ExportError naming the cause for any
    other failure (missing folder, permissions, full disk).
    """
    path = Path(path)
    if not overwrite and os.path.lexists(path):
        raise ExportExistsError(path)  # early, before a possibly large temp file is written
    tmp_name = None
    try:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
        ) as handle:
            tmp_name = handle.name
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, _new_file_mode(path))
        if overwrite:
            os.replace(tmp_name, path)
            tmp_name = None
        else:
            _move_without_replacing(tmp_name, path)
    except ExportExistsError:
        raise
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if tmp_name:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


def _move_without_replacing(tmp_name: str, path: Path) -> None:
    """Give the finished temp file the name ``path`` unless it is taken; the caller removes ``tmp_name``."""
    try:
        os.link(tmp_name, path)
    except FileExistsError:
        raise ExportExistsError(path) from None
    except OSError:  # no hard links here (some network and FAT file systems)
        if os.path.lexists(path):
            raise ExportExistsError(path) from None
        os.replace(tmp_name, path)  # the temp name is gone afterwards; the caller's unlink finds nothing
