"""Progress of the running files: a busy bar while a model loads, seconds while transcribing, prompts after.

With overlap two files run at once (the next one transcribes while the
prompts of the one before run); the panel then shows one row per running file.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QToolButton, QVBoxLayout, QWidget

from app.core.analysis import AnalysisStatus
from app.core.export.markdown import format_timestamp
from app.core.pipeline.events import Stage
from app.core.user_files import display_name
from app.ui.files.entry import FileEntry
from app.ui.messages import map_progress

STEPS = 1000


def _clock(seconds: float) -> str:
    return format_timestamp(seconds).strip("[]")


class ProgressRow(QWidget):
    """One running file: what it is doing (``label``), how far (``detail``) and a bar."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setObjectName("progressText")
        self.detail = QLabel()
        self.detail.setObjectName("resultMeta")
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setRange(0, STEPS)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.label, 1)
        top.addWidget(self.detail)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addLayout(top)
        column.addWidget(self.bar)

    def show_entry(self, entry: FileEntry, more: str = "") -> None:
        """Show ``entry``'s stage; ``more`` ("2 more queued") is added to the detail."""
        name = display_name(entry.path)
        more = f"  ·  {more}" if more else ""
        stage = entry.stage
        if entry.transcribed:
            self.label.setText(f"Transcribed {name}")
            self.detail.setText(f"waiting for the language model{more}")
            self.bar.setRange(0, STEPS)
            self.bar.setValue(STEPS)
        elif stage is Stage.TRANSCRIBING:
            total = entry.seconds_total
            self.label.setText(f"Transcribing {name}")
            self.detail.setText(f"{_clock(entry.seconds_done)} / {_clock(total)}{more}" if total else more.strip(" ·"))
            self.bar.setRange(0, STEPS)
            self.bar.setValue(int(STEPS * min(entry.seconds_done / total, 1.0)) if total else 0)
        elif stage is Stage.PROMPTING:
            count = len(entry.prompts)
            current = max(entry.prompt_index, 0)
            part = f" · {map_progress(*entry.map_part)}" if entry.map_part else ""
            self.label.setText(f"Running prompts on {name}")
            self.detail.setText(f"prompt {current + 1} of {count}{part}{more}")
            self.bar.setRange(0, max(count, 1))
            self.bar.setValue(current)
        else:
            self.label.setText(f"{stage.value.capitalize()} for {name}…" if stage else f"Starting {name}…")
            self.detail.setText(more.strip(" ·"))
            self.bar.setRange(0, 0)  # busy indicator


class ProgressPanel(QFrame):
    """Shows what the worker is doing, one ``ProgressRow`` per running file; hidden while idle.

    - loading a model: an indeterminate (busy) bar;
    - transcribing: seconds done / total from the segment end times;
    - prompting: "prompt i of n" (and "part p of q" while a map-reduce prompt reads its parts).

    ``label``, ``detail`` and ``bar`` are those of the first row (the file
    that started first).

    Thread-safety: GUI thread only.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("progressPanel")
        self.rows: list[ProgressRow] = [ProgressRow()]
        self.cancel_button = QToolButton()
        self._column = QVBoxLayout()
        self._column.setSpacing(10)
        self._column.addWidget(self.rows[0])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 10, 10, 10)
        layout.setSpacing(12)
        layout.addLayout(self._column, 1)
        layout.addWidget(self.cancel_button)
        self.hide()

    @property
    def label(self) -> QLabel:
        """The first row's text."""
        return self.rows[0].label

    @property
    def detail(self) -> QLabel:
        """The first row's detail (times, prompt count, queue)."""
        return self.rows[0].detail

    @property
    def bar(self) -> QProgressBar:
        """The first row's progress bar."""
        return self.rows[0].bar

    def is_busy_indicator(self) -> bool:
        """True while the first row's bar is indeterminate (a model is loading)."""
        return self.bar.maximum() == 0

    def visible_rows(self) -> list[ProgressRow]:
        """The rows shown now, one per running file."""
        return [row for row in self.rows if not row.isHidden()]

    def show_running(self, entries: list[FileEntry], queued_after: int = 0) -> None:
        """Show the running ``entries`` (in start order); ``queued_after`` files wait behind them."""
        if not entries:
            return
        while len(self.rows) < len(entries):
            self.rows.append(ProgressRow())
            self._column.addWidget(self.rows[-1])
        more = f"{queued_after} more queued" if queued_after else ""
        for number, row in enumerate(self.rows):
            if number < len(entries):
                row.show_entry(entries[number], more if number == len(entries) - 1 else "")
            row.setVisible(number < len(entries))
        self.show()

    def follow(self, entries: list[FileEntry]) -> None:
        """Show the running files among ``entries`` (the file list) and how many submitted ones wait."""
        running = [e for e in entries if e.status is AnalysisStatus.RUNNING]
        self.show_running(running, sum(1 for e in entries if e.status is AnalysisStatus.QUEUED and e.submitted))

    def show_entry(self, entry: FileEntry, queued_after: int = 0) -> None:
        """Show the one running ``entry``; ``queued_after`` files wait behind it."""
        self.show_running([entry], queued_after)

    def finish(self) -> None:
        """Nothing is running: hide."""
        for row in self.rows:
            row.bar.setRange(0, STEPS)
            row.bar.setValue(0)
        self.hide()
