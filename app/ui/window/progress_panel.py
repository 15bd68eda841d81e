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
from app.ui.widgets import ElidedLabel

STEPS = 1000


def _clock(seconds: float) -> str:
    return format_timestamp(seconds).strip("[]")


class ProgressRow(QWidget):
    """One running file: what it is doing (``label``), how far (``detail``) and a bar. ``entry_id``: the
    file it shows (it keeps its row while it runs)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.entry_id: str | None = None
        self.label = ElidedLabel()
        self.label.setObjectName("progressText")
        self.detail = QLabel()
        self.detail.setObjectName("resultMeta")
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setRange(0, STEPS)
        policy = self.bar.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # an idle row keeps its height: nothing below it moves
        self.bar.setSizePolicy(policy)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.label, 1)
        top.addWidget(self.detail)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addLayout(top)
        column.addWidget(self.bar)

    def show_entry(self, entry: FileEntry, more: str = "", left: str = "") -> None:
        """Show ``entry``'s stage; ``left`` ("about 40 s left") and ``more`` ("2 more queued") are added
        to the detail."""
        self.entry_id = entry.id
        self.bar.show()
        name = display_name(entry.path)
        more = "".join(f"  ·  {part}" for part in (left, more) if part)
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
        elif stage is Stage.DIARIZING:
            self.label.setText(f"Finding speakers in {name}")
            if entry.diarized > 0:
                self.detail.setText(f"{int(100 * entry.diarized)}%{more}")
                self.bar.setRange(0, STEPS)
                self.bar.setValue(int(STEPS * entry.diarized))
            else:  # the speaker model loads (torch, the first time: seconds) before any progress
                self.detail.setText(f"loading the speaker model{more}")
                self.bar.setRange(0, 0)
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


    def show_done(self) -> None:
        """The row's file is no longer running: say so, keep the row's space."""
        text = self.label.text()
        for verb in ("Running prompts on ", "Transcribing ", "Transcribed ", "Finding speakers in "):
            if text.startswith(verb):
                self.label.setText(f"Finished {text[len(verb):]}")
        self.detail.setText("")
        self.bar.hide()
        self.bar.setRange(0, STEPS)
        self.bar.setValue(0)


class ProgressPanel(QFrame):
    """Shows what the worker is doing, one ``ProgressRow`` per running file, with the time left in its stage.

    - loading a model: an indeterminate (busy) bar;
    - transcribing: seconds done / total from the segment end times;
    - finding speakers: the share of the diarization done (``DiarizationProgress``), a busy bar while
      the speaker model loads;
    - prompting: "prompt i of n" (and "part p of q" while a map-reduce prompt reads its parts).

    The panel is always there, so nothing below it moves when a run starts or
    ends: idle, it says what happened last (or how to start). A running file
    keeps its row; a row whose file finished says so until the next batch
    starts (``start_batch``), so rows never disappear under the pointer.
    ``label``, ``detail`` and ``bar`` are those of the first row.

    Thread-safety: GUI thread only.
    """

    IDLE_HINT = "Drop recordings on the window or press Ctrl+O; progress shows here."

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("progressPanel")
        self.rows: list[ProgressRow] = [ProgressRow()]
        self.cancel_button = QToolButton()
        policy = self.cancel_button.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.cancel_button.setSizePolicy(policy)
        self._running = False
        self._column = QVBoxLayout()
        self._column.setSpacing(10)
        self._column.addWidget(self.rows[0])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 10, 10, 10)
        layout.setSpacing(12)
        layout.addLayout(self._column, 1)
        layout.addWidget(self.cancel_button)
        self.finish(None)

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

    def is_running(self) -> bool:
        """True while it shows running files (False when idle)."""
        return self._running

    def is_busy_indicator(self) -> bool:
        """True while the first row's bar is indeterminate (a model is loading)."""
        return self.bar.maximum() == 0

    def visible_rows(self) -> list[ProgressRow]:
        """The rows shown now (running files, and finished ones of this batch)."""
        return [row for row in self.rows if not row.isHidden()]

    def start_batch(self) -> None:
        """A new batch begins: back to one row (the only moment rows go away; the user just asked for it)."""
        for row in self.rows[1:]:
            row.entry_id = None
            row.hide()

    def show_running(self, entries: list[FileEntry], queued_after: int = 0,
                     left: dict[str, str] | None = None) -> None:
        """Show the running ``entries`` (in start order); ``queued_after`` files wait behind them;
        ``left[entry id]`` is the time left in its stage, as text."""
        if not entries:
            return
        self._running = True
        left = left or {}
        ids = {e.id for e in entries}
        rows = {row.entry_id: row for row in self.rows if row.entry_id in ids}
        free = [row for row in self.rows if row.entry_id not in ids]
        for entry in entries:
            if entry.id not in rows:
                if not free:
                    self.rows.append(ProgressRow())
                    self._column.addWidget(self.rows[-1])
                    free.append(self.rows[-1])
                rows[entry.id] = free.pop(0)
        last = entries[-1].id
        more = f"{queued_after} more queued" if queued_after else ""
        for entry in entries:
            row = rows[entry.id]
            row.show_entry(entry, more if entry.id == last else "", left.get(entry.id, ""))
            row.show()
        for row in free:
            if not row.isHidden():
                row.show_done()
        self.cancel_button.setVisible(True)

    def follow(self, entries: list[FileEntry], left: dict[str, str] | None = None) -> None:
        """Show the running files among ``entries`` (the file list) and how many submitted ones wait."""
        running = [e for e in entries if e.status is AnalysisStatus.RUNNING]
        self.show_running(running, sum(1 for e in entries if e.status is AnalysisStatus.QUEUED and e.submitted), left)

    def show_entry(self, entry: FileEntry, queued_after: int = 0) -> None:
        """Show the one running ``entry``; ``queued_after`` files wait behind it."""
        self.show_running([entry], queued_after)

    def finish(self, summary: str | None = None) -> None:
        """Nothing is running: the rows stay where they are and say so; ``summary`` (what the batch
        did) goes in the first row, or the hint on how to start when there was no batch yet."""
        self._running = False
        for row in self.visible_rows():
            row.show_done()
        if summary is not None or self.rows[0].entry_id is None:
            self.rows[0].label.setText(summary or "Ready")
            self.rows[0].detail.setText("" if summary else self.IDLE_HINT)
            self.rows[0].bar.hide()
        self.cancel_button.setVisible(False)
