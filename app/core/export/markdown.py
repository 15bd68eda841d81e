"""The Markdown export of an Analysis, and the time formats shared by every text view.

Layout: ``# <file name>`` (``app.core.user_files.display_name``), a metadata list (with
``Transcribed: only ...`` when less than the whole recording was), ``## <prompt>`` + response per
prompt (with a coverage line), then ``## Transcript`` with one ``[mm:ss] text``
line per segment. Times are seconds (floats).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from app.core.analysis import Analysis, AnalysisStatus, PromptResult, PromptStatus, Segment
from app.core.user_files import display_name


def format_timestamp(seconds: float) -> str:
    """``[mm:ss]`` for ``seconds`` (``[h:mm:ss]`` from one hour on); ``[--:--]`` for a time that is not finite."""
    if not math.isfinite(seconds):
        return "[--:--]"
    total = int(max(seconds, 0.0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"[{hours}:{minutes:02d}:{secs:02d}]" if hours else f"[{minutes:02d}:{secs:02d}]"


def format_duration(seconds: float) -> str:
    """Human duration: ``1 h 02 min 05 s``, ``3 min 07 s``, ``4.2 s`` (``unknown`` when not finite)."""
    if not math.isfinite(seconds):
        return "unknown"
    if seconds < 60:
        return f"{seconds:.1f} s"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes:02d} min {secs:02d} s" if hours else f"{minutes} min {secs:02d} s"


def segment_lines(segments: Iterable[Segment]) -> list[str]:
    """One ``[mm:ss] text`` line per segment with text."""
    return [f"{format_timestamp(s.start)} {s.text.strip()}" for s in segments if s.text.strip()]


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


def is_partial(analysis: Analysis) -> bool:
    """True when less of the recording was transcribed than its duration (by more than 1 s and 2 %):
    the file ended early or changed while it was transcribed."""
    done = analysis.transcribed_duration
    return done is not None and analysis.duration - done > max(1.0, 0.02 * analysis.duration)


def render_markdown(analysis: Analysis) -> str:
    """The Markdown export: title, metadata, ``## <prompt>`` + response per prompt, then ``## Transcript``."""
    lines = [f"# {display_name(analysis.source)}", ""]
    lines += [
        f"- **Duration:** {format_duration(analysis.duration)}",
        *([f"- **Transcribed:** only {format_duration(analysis.transcribed_duration)}"]
          if is_partial(analysis) else []),
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
