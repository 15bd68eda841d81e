"""One model's row in the Models window: title, badges, size · languages · licence, the note, the state, a
progress bar while it downloads, and its actions (Download, Cancel, Use, Remove, Show in folder).

The row only shows; the window decides (``ModelsWindow``): each button emits ``action(kind, model_id)``.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from app.core.hub.advice import Recommendation
from app.core.hub.downloads import DownloadProgress
from app.core.user_files import format_bytes
from app.ui.models.listing import ModelItem, entry_note, languages_text, progress_text, state_text

PROGRESS_STEPS = 1000
"""The progress bar's range: tenths of a percent."""
ACTIONS = ("download", "cancel", "use", "remove", "folder")


def estimate_text(recommendation: Recommendation) -> str:
    """"About 12 min for a one-hour meeting on the processor (estimate)"."""
    seconds = recommendation.estimate_seconds
    minutes = seconds / 60
    took = f"{seconds:.0f} s" if seconds < 90 else f"{minutes:.0f} min" if minutes < 90 else f"{minutes / 60:.1f} h"
    where = {"cuda": "on the NVIDIA GPU", "metal": "on the GPU (Metal)"}.get(recommendation.device, "on the processor")
    job = "to transcribe" if recommendation.entry.role == "whisper" else "to answer three prompts over"
    return f"Estimate: about {took} {where} {job} a one-hour meeting"


class ModelRow(QFrame):
    """The row of ``item``. ``action(kind, model_id)``: kind is one of ``ACTIONS``."""

    action = Signal(str, str)

    def __init__(self, item: ModelItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelRow")
        self.item = item
        self.model_id = item.id
        self.title = QLabel()
        self.title.setObjectName("modelTitle")
        self.badge = QLabel("Recommended for this computer")
        self.badge.setObjectName("modelBadge")
        self.badge.hide()
        self.in_use = QLabel("In use")
        self.in_use.setObjectName("modelInUse")
        self.in_use.hide()
        self.meta = QLabel()
        self.meta.setObjectName("resultMeta")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.estimate = QLabel()
        self.estimate.setObjectName("modelEstimate")
        self.estimate.setWordWrap(True)
        self.estimate.hide()
        self.state = QLabel()
        self.state.setObjectName("modelState")
        self.state.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("modelError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.progress_label = QLabel()
        self.progress_label.setObjectName("resultMeta")
        self.progress_label.hide()
        self.buttons = {}
        for kind, text in (("download", "Download"), ("cancel", "Cancel"), ("use", "Use"), ("remove", "Remove"),
                           ("folder", "Show in folder")):
            button = QPushButton(text)
            button.setObjectName(f"model_{kind}")
            button.clicked.connect(lambda _checked=False, k=kind: self.action.emit(k, self.model_id))
            self.buttons[kind] = button

        heading = QHBoxLayout()
        heading.setSpacing(8)
        heading.addWidget(self.title)
        heading.addWidget(self.badge)
        heading.addWidget(self.in_use)
        heading.addStretch(1)
        heading.addWidget(self.meta)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.state, 1)
        for button in self.buttons.values():
            buttons.addWidget(button)
        progress = QHBoxLayout()
        progress.addWidget(self.progress, 1)
        progress.addWidget(self.progress_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(4)
        layout.addLayout(heading)
        layout.addWidget(self.note)
        layout.addWidget(self.estimate)
        layout.addLayout(progress)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.show_item(item)

    # ---- what it shows --------------------------------------------------------------------------------

    def show_item(self, item: ModelItem, in_use: bool = False, downloading: bool = False,
                  busy_reason: str = "") -> None:
        """Show ``item``'s texts and enable its actions. ``in_use``: the settings use it; ``downloading``: a
        download of it runs in this window; ``busy_reason``: why Download waits (another download runs), ""."""
        self.item = item
        self.title.setText(item.title)
        entry = item.entry
        languages, languages_tip = languages_text(entry.languages if entry else (), item.role)
        parts = [format_bytes(item.size_bytes) if item.size_bytes else "", languages,
                 entry.license if entry else f"imported ({item.model.how})" if item.model else ""]
        self.meta.setText("  ·  ".join(p for p in parts if p))
        self.meta.setToolTip(languages_tip)
        note = entry_note(entry) if entry else (str(item.model.path) if item.model else "")
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.in_use.setVisible(in_use)
        state = item.state
        if not downloading:
            self.state.setText(state_text(item))
            self.progress.hide()
            self.progress_label.hide()
        present = state in ("bundled", "installed")
        show = {
            "download": not present and not downloading and item.downloadable,
            "cancel": downloading,
            "use": present,
            "remove": state in ("bundled", "installed", "missing"),
            "folder": present,
        }
        for kind, button in self.buttons.items():
            button.setVisible(show[kind])
        download = self.buttons["download"]
        download.setText("Resume download" if state == "partial" else "Download")
        download.setEnabled(not busy_reason)
        download.setToolTip(busy_reason or (f"Fetch {item.title} ({format_bytes(item.size_bytes)}) from the hub"
                                             if item.size_bytes else f"Fetch {item.title} from the hub"))
        use = self.buttons["use"]
        use.setEnabled(not in_use)
        use.setToolTip("Already in use" if in_use else "Use this model for the next file analysed")
        remove = self.buttons["remove"]
        if state == "bundled":
            why = "Bundled with Hearsay: it belongs to the installation (pip uninstall its wheel) and stays"
        elif in_use:
            why = "In use: choose another model first, then remove this one"
        else:
            why = ""
        remove.setEnabled(not why)
        remove.setToolTip(why or "Delete this model's files (an imported model used where it lies loses only "
                                 "Hearsay's record of it)")

    def set_recommendation(self, recommendation: Recommendation | None) -> None:
        """Show the badge and the estimate (its how in a tooltip) when ``recommendation`` is this model."""
        mine = recommendation is not None and recommendation.entry.id == self.model_id
        self.badge.setVisible(mine)
        self.estimate.setVisible(mine)
        if mine:
            self.estimate.setText(estimate_text(recommendation))
            self.estimate.setToolTip(recommendation.how)
            self.badge.setToolTip(recommendation.how)

    def show_progress(self, progress: DownloadProgress) -> None:
        """A download of this model moved: the bar, bytes, rate, time left, and "Downloading n %"."""
        self.progress.show()
        self.progress_label.show()
        self.progress.setValue(int(progress.fraction * PROGRESS_STEPS))
        self.progress_label.setText(progress_text(progress))
        self.state.setText(f"Downloading {progress.fraction * 100:.0f} %")

    def start_download(self) -> None:
        """A download of this model starts: the state says so, the error goes."""
        self.show_error("")
        self.state.setText("Downloading…")
        self.progress.setValue(0)
        self.progress.show()
        self.progress_label.setText("Asking the hub…")
        self.progress_label.show()

    def show_error(self, sentence: str) -> None:
        """Show (or with "" clear) the one sentence of a failed action."""
        self.error.setText(sentence)
        self.error.setVisible(bool(sentence))
