"""Export finished files as Markdown, JSON, subtitles (SRT, WebVTT), text, Word (DOCX) or PDF: one file asks
for a file name, several ask for a folder.

Text comes in two kinds, two entries of the File menu rather than an options dialog before every export:
"Text (with timestamps)" keeps the Markdown's transcript (speaker names and ``[mm:ss]`` times: a
reference to check against the recording), "Text (plain)" keeps the names but drops the times (a copy
to read, quote or paste into an e-mail). Who said what is part of what was said, so neither drops the
names; ``hearsay ... --format txt --no-speakers`` does, for a tool that wants the words alone.

An existing file is never replaced without asking: the save dialog asks for
one file, and a folder export lists the files that exist in one question
(Replace / Skip existing / Cancel) before anything is written. Errors never
crash the window: each failed write is reported in one message box.

Thread-safety: called on the GUI thread (dialogs). Only finished analyses are exported, which the
worker no longer touches; each is copied (``snapshot``) on the GUI thread, then rendered and written on a
background thread while the window's event loop keeps running (``in_background``), so a long recording's
subtitles or JSON (about 0.3 s for 2 hours of speech on 2 cores) never freeze the window, and a rename or a
question asked meanwhile cannot change an export half-way. One export runs at a time.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QEventLoop, QMetaObject, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.core.analysis import Analysis
from app.core.errors import HearsayError
from app.core.export.files import existing_targets, output_names, render, write_export
from app.core.user_files import display_name
from app.ui.files.entry import FileEntry
from app.ui.messages import exported
from app.ui.settings.store import Settings

FORMATS = {"md": ("Markdown", "Markdown (*.md)"), "json": ("JSON", "JSON (*.json)"),
           "srt": ("Subtitles (SRT)", "SubRip subtitles (*.srt)"),
           "vtt": ("Subtitles (WebVTT)", "WebVTT subtitles (*.vtt)"),
           "txt": ("Text (with timestamps)", "Text (*.txt)"),
           "txt-plain": ("Text (plain)", "Text (*.txt)"),
           "docx": ("Word document (DOCX)", "Word documents (*.docx)"),
           "pdf": ("PDF", "PDF documents (*.pdf)")}
"""Export kinds: (the name dialogs show, the save dialog's file filter), by ``app.core.export.files.FORMATS``
or a variant of one (``VARIANTS``)."""
VARIANTS = {"txt-plain": ("txt", {"timestamps": False})}
"""Export kinds that are a format with options: (the format, ``render``'s keywords), by kind."""
MAX_LISTED = 10
"""File names listed in the replace question; more are counted."""


T = TypeVar("T")
_running = threading.Lock()  # held by the export being written


def snapshot(analysis: Analysis) -> Analysis:
    """A copy of ``analysis`` that later changes to it (a renamed speaker, a question asked) do not reach:
    new lists and dicts, new prompt results; segments and words are immutable and shared."""
    transcript = analysis.transcript
    copied = dataclasses.replace(transcript, segments=list(transcript.segments),
                                 speaker_names=dict(transcript.speaker_names),
                                 diarization=None if transcript.diarization is None else dataclasses.replace(
                                     transcript.diarization, requested=dict(transcript.diarization.requested),
                                     recognised=dict(transcript.diarization.recognised),
                                     similarity=dict(transcript.diarization.similarity)))
    return dataclasses.replace(analysis, transcript=copied, prompts=list(analysis.prompts),
                               prompt_results=[dataclasses.replace(r) for r in analysis.prompt_results])


def in_background(work: Callable[[], T]) -> T:
    """``work()`` on a background thread while this (the GUI) thread's events keep being handled in a local
    event loop; returns its result or raises its exception when it is done."""
    loop = QEventLoop()
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except BaseException as exc:  # handed to the GUI thread, raised there
            outcome["error"] = exc
        finally:
            QMetaObject.invokeMethod(loop, "quit", Qt.ConnectionType.QueuedConnection)

    thread = threading.Thread(target=run, name="hearsay-export", daemon=True)
    thread.start()
    loop.exec()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def exporting_now() -> bool:
    """True while an export is being written (the window's events run meanwhile, so its menus may ask again)."""
    return _running.locked()


def format_of(kind: str) -> str:
    """The file format (and suffix) of the export kind ``kind`` (a key of ``FORMATS``): "txt" for "txt-plain"."""
    return VARIANTS[kind][0] if kind in VARIANTS else kind


def _write_all(pairs: list[tuple[Analysis, Path]], kind: str, overwrite: bool) -> tuple[list[Path], list[str]]:
    """Render and write each (analysis, target); returns (the files written, one sentence per failure)."""
    written: list[Path] = []
    problems: list[str] = []
    fmt, options = VARIANTS.get(kind, (kind, {}))
    for analysis, target in pairs:
        try:
            write_export(target, render(analysis, fmt, **options), overwrite=overwrite)
        except HearsayError as exc:
            problems.append(f"Could not export {display_name(analysis.source)}: {exc.message}.")
        except Exception as exc:  # never let an export take the window down
            problems.append(f"Could not export {display_name(analysis.source)}: {exc}.")
        else:
            written.append(target)
    return written, problems


class Overwrite(str, Enum):
    """The answer to "some export files already exist"."""

    REPLACE = "replace"
    SKIP = "skip"
    CANCEL = "cancel"


def choose_targets(parent: QWidget, analyses: list[Analysis], fmt: str, settings: Settings
                   ) -> tuple[list[Path], bool] | None:
    """Ask where to write ``fmt`` (a key of ``FORMATS``): a file name for one analysis, a folder for several.
    None when cancelled.

    Returns (targets, confirmed): ``confirmed`` is True when the dialog itself
    asked about replacing the target (the save dialog confirms an existing
    file name: Qt's and the native dialogs do unless ``DontConfirmOverwrite``
    is passed, which it is not), False when Hearsay must still ask.
    """
    label, file_filter = FORMATS[fmt]
    fmt = format_of(fmt)
    start = settings.get_str(Settings.Key.LAST_EXPORT_DIR) or str(analyses[0].source.parent)
    if len(analyses) == 1:
        suggested = str(Path(start) / output_names([a.source for a in analyses], fmt)[0])
        path, _ = QFileDialog.getSaveFileName(parent, f"Export {label}", suggested, file_filter)
        if not path:
            return None
        path = Path(path)
        if not path.suffix:  # the dialog confirmed the name typed, not this one
            return [path.with_suffix(f".{fmt}")], False
        return [path], True
    folder = QFileDialog.getExistingDirectory(parent, f"Export {len(analyses)} files as {label} into a folder", start)
    if not folder:
        return None
    return [Path(folder) / name for name in output_names([a.source for a in analyses], fmt)], False


def ask_overwrite(parent: QWidget, existing: list[Path], can_skip: bool) -> Overwrite:
    """Ask once what to do with the export files in ``existing`` (which already exist).

    Buttons: Replace, Skip existing (when ``can_skip``: other files are being
    exported too) and Cancel (also Esc). The safe choice is the default.
    """
    names = [display_name(p) for p in existing]
    listed = "\n".join(names[:MAX_LISTED])
    if len(names) > MAX_LISTED:
        listed += f"\n… and {len(names) - MAX_LISTED} more"
    where = existing[0].parent
    text = (f"{names[0]} already exists in {where}." if len(names) == 1
            else f"{len(names)} of these files already exist in {where}:\n\n{listed}")
    box = QMessageBox(QMessageBox.Icon.Warning, "Replace existing files?", text, parent=parent)
    box.setInformativeText("Replacing them loses their current contents.")
    replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
    skip = box.addButton("Skip existing", QMessageBox.ButtonRole.AcceptRole) if can_skip else None
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(skip or cancel)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    if clicked is replace:
        return Overwrite.REPLACE
    return Overwrite.SKIP if skip is not None and clicked is skip else Overwrite.CANCEL


def export_analyses(parent: QWidget, analyses: list[Analysis], fmt: str, settings: Settings) -> list[Path]:
    """Render and write ``analyses`` as ``fmt`` (a key of ``FORMATS``) where the user chooses.

    Never replaces a file the user was not asked about: the save dialog asks
    for one file; for a folder (or a name the suffix was added to) existing
    files are listed in one ``ask_overwrite`` question first. The files are
    rendered and written in the background (``in_background``); the window
    keeps working meanwhile. Returns the files written. Failures
    (``ExportError`` and any other error) are collected and shown in one
    ``QMessageBox.critical``.
    """
    if not analyses or exporting_now():
        return []
    chosen = choose_targets(parent, analyses, fmt, settings)
    if not chosen or not chosen[0]:
        return []
    targets, overwrite = chosen
    settings.set_value(Settings.Key.LAST_EXPORT_DIR, str(targets[0].parent))
    pairs = list(zip(analyses, targets))
    existing = [] if overwrite else existing_targets(targets)
    if existing:
        answer = ask_overwrite(parent, existing, can_skip=len(existing) < len(targets))
        if answer is Overwrite.CANCEL:
            return []
        overwrite = answer is Overwrite.REPLACE
        if not overwrite:
            pairs = [(a, t) for a, t in pairs if t not in existing]
    pairs = [(snapshot(a), t) for a, t in pairs]
    if not _running.acquire(blocking=False):  # another export began while this one's dialogs were open
        return []
    try:
        written, problems = in_background(lambda: _write_all(pairs, fmt, overwrite))
    finally:
        _running.release()
    if problems:
        QMessageBox.critical(parent, "Export failed", "\n".join(problems))
    return written


def export_entries(parent: QWidget, selected: list[FileEntry], entries: list[FileEntry], fmt: str,
                   settings: Settings) -> tuple[list[Path], str]:
    """Export the exportable ``selected`` files, or when none of them is, all exportable ``entries``.

    Returns (the files written, a status-bar message or "").
    """
    targets = [e.analysis for e in selected if e.exportable] or [e.analysis for e in entries if e.exportable]
    if not targets:
        return [], "Nothing to export yet: analyse a file first."
    if exporting_now():
        return [], "An export is still being written; try again when it ends."
    written = export_analyses(parent, targets, fmt, settings)
    return written, exported(written) if written else ""
