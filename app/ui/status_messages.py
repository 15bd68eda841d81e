"""The status bar's sentences: one per thing that happened, naming the file and the cause.

Plain functions returning text (no widgets), so the wording lives in one place.
"""

from __future__ import annotations

from pathlib import Path

from app.core import models
from app.core.analysis import AnalysisStatus, PromptResult
from app.core.engines import EngineSettings
from app.core.events import ModelReady
from app.core.prompts import short_title
from app.ui.file_entry import FileEntry

SHORT_MS, LONG_MS, STAY = 5000, 8000, 0
"""How long a message stays, in milliseconds (0: until the next one)."""


def rejected_files(paths: list[Path]) -> str:
    """Dropped or opened files that are not audio, video or transcripts."""
    names = ", ".join(p.name for p in paths[:3]) + (", …" if len(paths) > 3 else "")
    noun = "it is" if len(paths) == 1 else "they are"
    return f"Skipped {names}: {noun} not audio, video or transcript files."


def model_loaded(event: ModelReady) -> str:
    """A model finished loading."""
    return f"Loaded {event.name} on {event.device} in {event.load_time:.1f} s."


def prompt_failed(entry: FileEntry, result: PromptResult) -> str:
    """One prompt of ``entry`` failed (the others go on)."""
    return f"Prompt “{short_title(result.prompt)}” failed on {entry.path.name}: {result.error}."


def file_finished(entry: FileEntry) -> tuple[str, int]:
    """(message, timeout in ms) for a file whose analysis ended."""
    name = entry.path.name
    if entry.status is AnalysisStatus.FAILED:
        return f"Could not analyse {name}: {entry.error}.", STAY
    if entry.status is AnalysisStatus.CANCELLED:
        return f"Cancelled {name}; finished files were kept.", LONG_MS
    failed = len(entry.failed_prompts())
    if failed:
        return f"Finished {name}, but {failed} of {len(entry.prompts)} prompts failed (see their tabs).", STAY
    return f"Finished {name}.", LONG_MS


def batch_finished(entries: list[FileEntry]) -> str | None:
    """A summary when files of a batch failed (None when there is nothing to add)."""
    failed = [e for e in entries if e.status is AnalysisStatus.FAILED]
    if len(failed) == 1 and len(entries) > 1:
        return (f"Could not analyse {failed[0].path.name}: {failed[0].error}; "
                f"the other {len(entries) - 1} finished.")
    if len(failed) > 1:
        return f"{len(failed)} of {len(entries)} files could not be analysed; point at them in the list to see why."
    return None


def exported(written: list[Path]) -> str:
    """Export files were written (at least one)."""
    return f"Exported {written[0]}." if len(written) == 1 else f"Exported {len(written)} files to {written[0].parent}."


def _default_model(role: str) -> str:
    try:
        return models.default_entry(role).name
    except Exception:  # a broken catalog must not keep the window from opening
        return f"default {role} model"


def models_summary(chosen: EngineSettings) -> str:
    """The models and device the next file uses, for the permanent status-bar label."""
    whisper = chosen.whisper_model or _default_model("whisper")
    llm = Path(chosen.llm_model).name if chosen.llm_model else _default_model("llm")
    return f"{whisper}  ·  {llm}  ·  device {chosen.device}  "
