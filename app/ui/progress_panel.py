"""Progress of the running file: a busy bar while a model loads, seconds while transcribing, prompts after.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QToolButton, QVBoxLayout

from app.core.events import Stage
from app.core.export import format_timestamp
from app.ui.file_entry import FileEntry

STEPS = 1000


def _clock(seconds: float) -> str:
    return format_timestamp(seconds).strip("[]")


class ProgressPanel(QFrame):
    """Shows what the worker is doing for one file; hidden while idle.

    - loading a model: an indeterminate (busy) bar;
    - transcribing: seconds done / total from the segment end times;
    - prompting: "prompt i of n".

    Thread-safety: GUI thread only.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("progressPanel")
        self.label = QLabel()
        self.label.setObjectName("progressText")
        self.detail = QLabel()
        self.detail.setObjectName("resultMeta")
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setRange(0, STEPS)
        self.cancel_button = QToolButton()
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.label, 1)
        top.addWidget(self.detail)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 10, 10, 10)
        layout.setSpacing(12)
        column = QVBoxLayout()
        column.setSpacing(6)
        column.addLayout(top)
        column.addWidget(self.bar)
        layout.addLayout(column, 1)
        layout.addWidget(self.cancel_button)
        self.hide()

    def is_busy_indicator(self) -> bool:
        """True while the bar is indeterminate (a model is loading)."""
        return self.bar.maximum() == 0

    def show_entry(self, entry: FileEntry, queued_after: int = 0) -> None:
        """Show the running ``entry``'s stage; ``queued_after`` files wait behind it."""
        name = entry.path.name
        more = f"  ·  {queued_after} more queued" if queued_after else ""
        stage = entry.stage
        if stage is Stage.TRANSCRIBING:
            total = entry.seconds_total
            self.label.setText(f"Transcribing {name}")
            self.detail.setText(f"{_clock(entry.seconds_done)} / {_clock(total)}{more}" if total else more.strip(" ·"))
            self.bar.setRange(0, STEPS)
            self.bar.setValue(int(STEPS * min(entry.seconds_done / total, 1.0)) if total else 0)
        elif stage is Stage.PROMPTING:
            count = len(entry.prompts)
            current = max(entry.prompt_index, 0)
            self.label.setText(f"Running prompts on {name}")
            self.detail.setText(f"prompt {current + 1} of {count}{more}")
            self.bar.setRange(0, max(count, 1))
            self.bar.setValue(current)
        else:
            self.label.setText(f"{stage.value.capitalize()} for {name}…" if stage else f"Starting {name}…")
            self.detail.setText(more.strip(" ·"))
            self.bar.setRange(0, 0)  # busy indicator
        self.show()

    def finish(self) -> None:
        """Nothing is running: hide."""
        self.bar.setRange(0, STEPS)
        self.bar.setValue(0)
        self.hide()
