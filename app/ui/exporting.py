"""Export finished files as Markdown or JSON: one file asks for a file name, several ask for a folder.

Errors never crash the window: each failed write is reported in one message box.

Thread-safety: GUI thread only (dialogs). Only finished analyses are exported,
which the worker no longer touches.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.core.analysis import Analysis
from app.core.errors import HearsayError
from app.core.export import output_names, render, write_export
from app.ui.file_entry import FileEntry
from app.ui.settings import Settings
from app.ui.status_messages import exported

FORMATS = {"md": ("Markdown", "Markdown (*.md)"), "json": ("JSON", "JSON (*.json)")}


def choose_targets(parent: QWidget, analyses: list[Analysis], fmt: str, settings: Settings) -> list[Path] | None:
    """Ask where to write: a file name for one analysis, a folder for several. None when cancelled."""
    label, file_filter = FORMATS[fmt]
    start = settings.get_str(Settings.Key.LAST_EXPORT_DIR) or str(analyses[0].source.parent)
    if len(analyses) == 1:
        suggested = str(Path(start) / output_names([a.source for a in analyses], fmt)[0])
        path, _ = QFileDialog.getSaveFileName(parent, f"Export {label}", suggested, file_filter)
        if not path:
            return None
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(f".{fmt}")
        return [path]
    folder = QFileDialog.getExistingDirectory(parent, f"Export {len(analyses)} files as {label} into a folder", start)
    if not folder:
        return None
    return [Path(folder) / name for name in output_names([a.source for a in analyses], fmt)]


def export_analyses(parent: QWidget, analyses: list[Analysis], fmt: str, settings: Settings) -> list[Path]:
    """Render and write ``analyses`` as ``fmt`` ("md" or "json") where the user chooses.

    Returns the files written. Failures (``ExportError`` and any other error)
    are collected and shown in one ``QMessageBox.critical``.
    """
    if not analyses:
        return []
    targets = choose_targets(parent, analyses, fmt, settings)
    if not targets:
        return []
    settings.set_value(Settings.Key.LAST_EXPORT_DIR, str(targets[0].parent))
    written: list[Path] = []
    problems: list[str] = []
    for analysis, target in zip(analyses, targets):
        try:
            write_export(target, render(analysis, fmt))
        except HearsayError as exc:
            problems.append(f"Could not export {analysis.source.name}: {exc.message}.")
        except Exception as exc:  # never let an export take the window down
            problems.append(f"Could not export {analysis.source.name}: {exc}.")
        else:
            written.append(target)
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
    written = export_analyses(parent, targets, fmt, settings)
    return written, exported(written) if written else ""
