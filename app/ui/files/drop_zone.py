"""The drop zone: accepts audio, video and transcript files dragged from the file manager.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QHeaderView, QLabel, QTreeView, QVBoxLayout, QWidget

from app.core.speech.media import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS
from app.core.speech.transcript_files import TRANSCRIPT_EXTENSIONS
from app.ui import theme
from app.ui.settings.store import Settings

MEDIA_EXTENSIONS = tuple(sorted(set(AUDIO_EXTENSIONS) | set(VIDEO_EXTENSIONS)))
ACCEPTED_EXTENSIONS = MEDIA_EXTENSIONS + TRANSCRIPT_EXTENSIONS
PLACEHOLDER = "Drop audio or video files here — or press Ctrl+O"


def _patterns(extensions: Iterable[str]) -> str:
    return " ".join(f"*{e}" for e in extensions)


OPEN_FILTERS = ";;".join([
    f"Audio and video ({_patterns(MEDIA_EXTENSIONS + TRANSCRIPT_EXTENSIONS)})",
    f"Audio ({_patterns(AUDIO_EXTENSIONS)})",
    f"Video ({_patterns(VIDEO_EXTENSIONS)})",
    f"Transcripts ({_patterns(TRANSCRIPT_EXTENSIONS)})",
    "All files (*)",
])


def choose_files(parent: QWidget, settings: Settings) -> list[str]:
    """File → Open's dialog: the recordings (or transcripts) chosen, remembering their folder; [] when cancelled."""
    start = settings.get_str(Settings.Key.LAST_OPEN_DIR) or str(Path.home())
    dialog = QFileDialog(parent, "Open recordings", start, OPEN_FILTERS)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    dialog.resize(940, 580)  # Qt's own dialog (no native one): room for the name, size, type and date columns
    for view in dialog.findChildren(QTreeView):
        view.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        view.header().setMinimumSectionSize(90)
    paths = dialog.selectedFiles() if dialog.exec() else []
    if paths:
        settings.set_value(Settings.Key.LAST_OPEN_DIR, str(Path(paths[0]).parent))
    return paths


def is_supported(path: Path) -> bool:
    """True for a file Hearsay can analyse, judged by its extension."""
    return Path(path).suffix.lower() in ACCEPTED_EXTENSIONS


def dropped_paths(mime: QMimeData) -> tuple[list[Path], list[Path]]:
    """Split the local files of a drop into (accepted, rejected).

    Only ``file:`` URLs count; a dropped folder contributes the supported files
    directly inside it (sorted by name). Text, web links and other drops give
    two empty lists.
    """
    accepted: list[Path] = []
    rejected: list[Path] = []
    if not mime.hasUrls():
        return accepted, rejected
    for url in mime.urls():
        if not url.isLocalFile():
            continue
        path = Path(url.toLocalFile())
        if os.path.isdir(path):  # os.path never raises: an unreachable path is simply no folder
            try:
                inside = sorted((p for p in path.iterdir() if os.path.isfile(p) and is_supported(p)),
                                key=lambda p: p.name)
            except OSError:  # a folder that cannot be listed: refused as a whole
                rejected.append(path)
                continue
            accepted += inside
        elif is_supported(path):
            accepted.append(path)
        else:
            rejected.append(path)
    return accepted, rejected


class DropZone(QFrame):
    """A dashed area that takes file drops and opens the file dialog when clicked.

    Signals: ``files_dropped(list[Path])`` with the accepted files of a drop,
    ``files_rejected(list[Path])`` with the files of a drop Hearsay cannot
    read, ``clicked()`` on a click. Non-file drops (text, web links) are refused
    during the drag, so the cursor shows they cannot land.

    Thread-safety: GUI thread only.
    """

    files_dropped = Signal(list)
    files_rejected = Signal(list)
    clicked = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setProperty("dragActive", False)
        self.setToolTip("Audio: " + " ".join(AUDIO_EXTENSIONS) + "\nVideo: " + " ".join(VIDEO_EXTENSIONS)
                        + "\nTranscripts: .txt, Hearsay .json")
        self.setAccessibleName("Drop zone")
        icon = QLabel()
        icon.setPixmap(theme.icon("drop").pixmap(26, 26))
        self.hint = QLabel(PLACEHOLDER)
        self.hint.setObjectName("dropHint")
        self.hint.setWordWrap(True)
        row = QHBoxLayout()
        row.setSpacing(10)
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(self.hint, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.addLayout(row)

    def _set_active(self, active: bool) -> None:
        self.setProperty("dragActive", active)
        self.style().unpolish(self)
        self.style().polish(self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        accepted, rejected = dropped_paths(event.mimeData())
        if accepted or rejected:
            event.acceptProposedAction()
            self._set_active(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_active(False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_active(False)
        accepted, rejected = dropped_paths(event.mimeData())
        if not accepted and not rejected:
            event.ignore()
            return
        event.acceptProposedAction()
        if rejected:
            self.files_rejected.emit(rejected)
        if accepted:
            self.files_dropped.emit(accepted)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit()
        super().mouseReleaseEvent(event)
