"""The GUI's sentences: status-bar messages naming the file and the cause, the context meter, coverage notes.

Plain functions returning text (no widgets), so the wording lives in one place.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.analysis import AnalysisStatus, PromptResult, PromptStatus
from app.core.export.markdown import format_duration
from app.core.hub import catalog
from app.core.llm.prompts import short_title
from app.core.pipeline.engines import EngineSettings
from app.core.pipeline.events import ContextMeasured, ModelReady
from app.core.user_files import display_name, display_path

if TYPE_CHECKING:  # files.entry uses coverage_note, so no import at run time
    from app.ui.files.entry import FileEntry

SHORT_MS, LONG_MS, STAY = 5000, 8000, 0
"""How long a message stays, in milliseconds (0: until the next one)."""


def rejected_files(paths: list[Path]) -> str:
    """Dropped or opened files that are not audio, video or transcripts."""
    names = ", ".join(display_name(p) for p in paths[:3]) + (", …" if len(paths) > 3 else "")
    noun = "it is" if len(paths) == 1 else "they are"
    return f"Skipped {names}: {noun} not audio, video or transcript files."


def model_loaded(event: ModelReady) -> str:
    """A model finished loading."""
    return f"Loaded {event.name} on {event.device} in {event.load_time:.1f} s."


def prompt_failed(entry: FileEntry, result: PromptResult) -> str:
    """One prompt of ``entry`` failed (the others go on)."""
    return f"Prompt “{short_title(result.prompt)}” failed on {display_name(entry.path)}: {result.error}."


def file_finished(entry: FileEntry) -> tuple[str, int]:
    """(message, timeout in ms) for a file whose analysis ended."""
    name = display_name(entry.path)
    if entry.status is AnalysisStatus.FAILED:
        return f"Could not analyse {name}: {entry.error}.", STAY
    if entry.status is AnalysisStatus.CANCELLED:
        return f"Cancelled {name}; finished files were kept.", LONG_MS
    failed = len(entry.failed_prompts())
    if failed:
        return f"Finished {name}, but {failed} of {len(entry.prompts)} prompts failed (see their tabs).", STAY
    return f"Finished {name}.", LONG_MS


def cannot_ask(entry: FileEntry) -> str:
    """Why no follow-up question can be asked about ``entry`` now."""
    if entry.active:
        return f"{display_name(entry.path)} is still being analysed; ask once it has finished."
    return f"{display_name(entry.path)} has no transcript to ask about."


def follow_up_finished(entry: FileEntry) -> str:
    """A follow-up question about ``entry`` (its last prompt) ended."""
    question, name = f"“{short_title(entry.prompts[-1])}”", display_name(entry.path)
    status = entry.prompt_statuses[-1]
    if status is PromptStatus.DONE:
        return f"Answered {question} about {name}."
    if status is PromptStatus.FAILED:
        return f"Could not answer {question} about {name}: {entry.prompt_errors[-1]}."
    return f"Cancelled the question {question} about {name}."


def batch_finished(entries: list[FileEntry], follow_up: bool = False) -> str | None:
    """A summary when files of a batch failed, or how a ``follow_up`` question ended (None: nothing to add)."""
    if follow_up:
        return follow_up_finished(entries[0]) if entries else None
    failed = [e for e in entries if e.status is AnalysisStatus.FAILED]
    if len(failed) == 1 and len(entries) > 1:
        return (f"Could not analyse {display_name(failed[0].path)}: {failed[0].error}; "
                f"the other {len(entries) - 1} finished.")
    if len(failed) > 1:
        return f"{len(failed)} of {len(entries)} files could not be analysed; point at them in the list to see why."
    return None


def exported(written: list[Path]) -> str:
    """Export files were written (at least one)."""
    if len(written) == 1:
        return f"Exported {display_path(written[0])}."
    return f"Exported {len(written)} files to {display_path(written[0].parent)}."


def _default_model(role: str) -> str:
    try:
        return catalog.default_entry(role).name
    except Exception:  # a broken catalog must not keep the window from opening
        return f"default {role} model"


def models_summary(chosen: EngineSettings) -> str:
    """The models and device the next file uses, for the permanent status-bar label."""
    whisper = chosen.whisper_model or _default_model("whisper")
    llm = Path(chosen.llm_model).name if chosen.llm_model else _default_model("llm")
    return f"{whisper}  ·  {llm}  ·  device {chosen.device}  "


def context_summary(measured: ContextMeasured) -> str:
    """The context meter's line: "Transcript 2,712 tokens / context 8,192", plus " — map-reduce over 3 parts"."""
    text = f"Transcript {measured.transcript_tokens:,} tokens / context {measured.context_window:,}"
    if measured.strategy == "map-reduce":
        text += f" — map-reduce over {measured.parts} part{'s' if measured.parts != 1 else ''}"
    return text


def coverage_note(result: PromptResult) -> str | None:
    """A line under a finished map-reduce response saying how it was read and how much it covers (else None)."""
    if result.strategy != "map-reduce" or result.status is not PromptStatus.DONE:
        return None
    covered = "the whole transcript" if result.coverage >= 0.995 else f"{result.coverage:.0%} of the transcript"
    note = f"Map-reduce: read in {result.parts} parts, then combined · based on {covered}"
    return note if result.coverage >= 0.995 else note + " (some parts could not be read)"


def usage_tip(result: PromptResult) -> str:
    """What an answer took in tokens, for its tab's tooltip: "Tokens: 1,234 read (1,200 of them reused from the
    cache) + 87 generated = 1,321" ("" before it ran)."""
    usage = result.usage
    if not usage["total_tokens"]:
        return ""
    reused = f" ({result.reused_tokens:,} of them reused from the cache)" if result.reused_tokens else ""
    return (f"Tokens: {usage['prompt_tokens']:,} read{reused} + {usage['completion_tokens']:,} generated "
            f"= {usage['total_tokens']:,}")


def map_progress(part: int, parts: int) -> str:
    """Where a map-reduce prompt stands: "part 1 of 4"."""
    return f"part {part} of {parts}"


def local_date(when: datetime) -> str:
    """An aware date in local time, short: "21 Nov 14:03" this year, "21 Nov 2024 14:03" before."""
    local = when.astimezone()
    year = "" if local.year == datetime.now().astimezone().year else f" {local.year}"
    return f"{local.day} {local:%b}{year} {local:%H:%M}"


def transcript_reused(created_at: str | None) -> str:
    """The file was not transcribed again: the transcript of an earlier analysis (ISO date) was reused."""
    when = f" of {local_date(datetime.fromisoformat(created_at))}" if created_at else ""
    return f"Transcript reused from the analysis{when} (same file and settings)"


def from_history(when: datetime) -> str:
    """The note on a file opened from the History panel."""
    return f"from History, {local_date(when)}"


def history_opened(name: str, when: datetime) -> str:
    """A stored analysis was opened (nothing runs)."""
    return f"Opened {name} from History ({local_date(when)}); nothing was run again."


def deleted(names: list[str]) -> str:
    """Stored analyses were removed from the history."""
    return f"Deleted {names[0]} from History." if len(names) == 1 else f"Deleted {len(names)} analyses from History."


def stop_question(doing: str, entries: list[FileEntry]) -> str:
    """The question before stopping a run: ``doing`` ("Stop analysing", "Quit while analysing") the running
    file (and how many wait), and what is kept."""
    running = [e for e in entries if e.status is AnalysisStatus.RUNNING]
    waiting = sum(1 for e in entries if e.status is AnalysisStatus.QUEUED and e.submitted)
    name = running[0].path.name if running else "the queued files"
    more = f" ({waiting} more file{'s' if waiting != 1 else ''} waiting)" if waiting else ""
    return (f"{doing} {name}{more}?\n\nThe transcript so far and the finished answers are kept, "
            "and History → Resume finishes the rest later.")


def run_summary(entries: list[FileEntry], seconds: float) -> str:
    """What the run that just ended did, for the idle progress panel: "Done: speech.wav in 4.2 s",
    "Done: 3 files in 1 min 12 s (1 could not be analysed)", "Stopped after 12.0 s; finished files were kept."."""
    took = format_duration(seconds)
    if any(e.status is AnalysisStatus.CANCELLED for e in entries):
        return f"Stopped after {took}; finished files were kept."
    name = entries[0].path.name if len(entries) == 1 else f"{len(entries)} files"
    failed = sum(1 for e in entries if e.status is AnalysisStatus.FAILED)
    return f"Done: {name} in {took}" + (f" ({failed} could not be analysed)" if failed else "")


def all_answered(entries: list[FileEntry]) -> str:
    """Analyze found nothing to run on these finished files: say how to re-run or transcribe again."""
    what = entries[0].path.name if len(entries) == 1 else f"{len(entries)} files"
    return (f"Every prompt of {what} has an answer. To replace one, right-click its tab → Run again; "
            "to start over, Analysis → Transcribe again.")
