"""The files of this session and what became of each: ``FileEntry``, a list model and its view.

A ``FileEntry`` is the GUI's own picture of one file, built only from pipeline
events (segments, streamed response text, per-prompt status), so the GUI never
reads an ``Analysis`` while the worker thread is still filling it. Once the
``AnalysisFinished`` event arrives the ``Analysis`` is final and the entry
takes its results from it.

Thread-safety: everything here belongs to the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QItemSelectionModel, QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.core.analysis import Analysis, AnalysisStatus, PromptStatus, Segment
from app.core.events import (
    AnalysisFinished,
    ModelReady,
    PromptFinished,
    PromptStarted,
    ResponseDelta,
    SegmentDecoded,
    Stage,
    StageChanged,
    TranscriptionProgress,
)
from app.core.export import segment_lines
from app.ui import theme


@dataclass
class FileEntry:
    """One file in the list: its current ``Analysis`` and the live view of it.

    ``analysis`` is handed to the worker when the file is submitted; until its
    ``AnalysisFinished`` the entry's other fields are the only thing the GUI
    reads. ``responses[i]`` is prompt i's text so far (the final response once
    the prompt finished).
    """

    analysis: Analysis
    status: AnalysisStatus = AnalysisStatus.QUEUED
    submitted: bool = False
    stage: Stage | None = None
    seconds_done: float = 0.0
    seconds_total: float = 0.0
    prompt_index: int = -1
    error: str | None = None
    segments: list[Segment] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)
    prompt_statuses: list[PromptStatus] = field(default_factory=list)
    prompt_errors: list[str | None] = field(default_factory=list)
    models: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, path: Path, prompts: list[str]) -> FileEntry:
        """A queued entry for ``path`` with ``prompts``."""
        entry = cls(analysis=Analysis(source=Path(path), prompts=list(prompts)))
        entry.reset()
        return entry

    def renew(self, prompts: list[str]) -> None:
        """Start over with a fresh queued ``Analysis`` of the same file and ``prompts``."""
        self.analysis = Analysis(source=self.analysis.source, prompts=list(prompts))
        self.reset()

    def reset(self) -> None:
        """Forget all progress: back to queued, not submitted."""
        count = len(self.analysis.prompts)
        self.status, self.submitted, self.stage, self.error = AnalysisStatus.QUEUED, False, None, None
        self.seconds_done = self.seconds_total = 0.0
        self.prompt_index = -1
        self.segments = []
        self.responses = [""] * count
        self.prompt_statuses = [PromptStatus.WAITING] * count
        self.prompt_errors = [None] * count
        self.models = {}

    # ---- derived ------------------------------------------------------------

    @property
    def id(self) -> str:
        """The current analysis id (what worker events are keyed by)."""
        return self.analysis.id

    @property
    def path(self) -> Path:
        """The file."""
        return self.analysis.source

    @property
    def prompts(self) -> list[str]:
        """The prompts this analysis runs."""
        return self.analysis.prompts

    @property
    def active(self) -> bool:
        """True while the file waits in a submitted batch or runs."""
        return self.status is AnalysisStatus.RUNNING or (self.status is AnalysisStatus.QUEUED and self.submitted)

    @property
    def finished(self) -> bool:
        """True once the analysis ended (done, failed or cancelled)."""
        return self.status in (AnalysisStatus.DONE, AnalysisStatus.FAILED, AnalysisStatus.CANCELLED)

    @property
    def exportable(self) -> bool:
        """True when there is something to export: done, or ended with some transcript."""
        return self.status is AnalysisStatus.DONE or (self.finished and bool(self.segments))

    def transcript_lines(self) -> list[str]:
        """``[mm:ss] text`` per segment so far."""
        return segment_lines(self.segments)

    def failed_prompts(self) -> list[int]:
        """Indices of prompts that failed."""
        return [i for i, s in enumerate(self.prompt_statuses) if s is PromptStatus.FAILED]

    def state_text(self) -> str:
        """A short line for the file list: "Queued", "Transcribing 40%", "Prompt 2 of 3", "Done", ..."""
        if self.status is AnalysisStatus.QUEUED:
            return "Queued"
        if self.status is AnalysisStatus.RUNNING:
            if self.stage is Stage.TRANSCRIBING:
                if self.seconds_total > 0:
                    return f"Transcribing {min(100, int(100 * self.seconds_done / self.seconds_total))}%"
                return "Transcribing…"
            if self.stage is Stage.PROMPTING:
                if self.prompt_index >= 0:
                    return f"Prompting {self.prompt_index + 1} of {len(self.prompts)}"
                return "Prompting…"
            if self.stage in (Stage.LOADING_WHISPER, Stage.LOADING_LLM):
                return "Loading model…"
            return "Starting…"
        if self.status is AnalysisStatus.DONE:
            failed = len(self.failed_prompts())
            if failed:
                return f"Done, {failed} prompt{'s' if failed > 1 else ''} failed"
            if not self.segments:
                return "Done, no speech found"
            return "Done"
        if self.status is AnalysisStatus.FAILED:
            return f"Failed: {self.error}" if self.error else "Failed"
        return "Cancelled"

    def state_icon_name(self) -> str:
        """The ``resources/state-*.svg`` icon for the current state."""
        if self.status is AnalysisStatus.DONE:
            return "state-warning" if self.failed_prompts() else "state-done"
        return {
            AnalysisStatus.QUEUED: "state-queued",
            AnalysisStatus.RUNNING: "state-running",
            AnalysisStatus.FAILED: "state-failed",
            AnalysisStatus.CANCELLED: "state-cancelled",
        }[self.status]

    # ---- events -----------------------------------------------------------

    def apply(self, event) -> None:
        """Update the live view from one pipeline event (GUI thread)."""
        if isinstance(event, StageChanged):
            self.status = AnalysisStatus.RUNNING
            self.stage = event.stage
        elif isinstance(event, ModelReady):
            self.models[event.role] = f"{event.name} on {event.device}"
        elif isinstance(event, SegmentDecoded):
            self.status = AnalysisStatus.RUNNING
            self.segments.append(event.segment)
        elif isinstance(event, TranscriptionProgress):
            self.seconds_done, self.seconds_total = event.seconds_done, event.seconds_total
        elif isinstance(event, PromptStarted):
            self.prompt_index = event.index
            self.prompt_statuses[event.index] = PromptStatus.RUNNING
            self.responses[event.index] = ""
        elif isinstance(event, ResponseDelta):
            self.responses[event.index] += event.text
        elif isinstance(event, PromptFinished):
            result = event.result
            self.prompt_statuses[event.index] = result.status
            self.prompt_errors[event.index] = result.error
            self.responses[event.index] = result.response
        elif isinstance(event, AnalysisFinished):
            self._finish(event.analysis)

    def mark_started(self) -> None:
        """The worker began this file."""
        self.status = AnalysisStatus.RUNNING
        self.stage = None

    def _finish(self, analysis: Analysis) -> None:
        # The analysis is final now: take everything from it.
        self.status, self.error, self.stage = analysis.status, analysis.error, None
        self.segments = list(analysis.transcript.segments)
        if analysis.duration:
            self.seconds_total = analysis.duration
        for i, result in enumerate(analysis.prompt_results):
            self.prompt_statuses[i] = result.status
            self.prompt_errors[i] = result.error
            self.responses[i] = result.response


class FileListModel(QAbstractListModel):
    """A list model over ``FileEntry`` rows (GUI thread only).

    Roles: DisplayRole is the file name, ``StateTextRole`` the state line,
    DecorationRole the state icon, ToolTipRole the path (plus the reason of a
    failure), ``EntryRole`` the ``FileEntry`` itself.
    """

    StateTextRole = Qt.ItemDataRole.UserRole + 1
    EntryRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._entries: list[FileEntry] = []

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt signature)
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.path.name
        if role == self.StateTextRole:
            return entry.state_text()
        if role == Qt.ItemDataRole.DecorationRole:
            return theme.icon(entry.state_icon_name())
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = str(entry.path)
            if entry.status is AnalysisStatus.FAILED and entry.error:
                tip += f"\nFailed: {entry.error}"
            elif entry.failed_prompts():
                tip += "\n" + "\n".join(f"Prompt {i + 1} failed: {entry.prompt_errors[i]}" for i in entry.failed_prompts())
            return tip
        if role == self.EntryRole:
            return entry
        return None

    # ---- entries ------------------------------------------------------------

    def entries(self) -> list[FileEntry]:
        """All entries, in list order."""
        return list(self._entries)

    def entry(self, row: int) -> FileEntry:
        """The entry at ``row``."""
        return self._entries[row]

    def add(self, entry: FileEntry) -> int:
        """Append ``entry``; return its row."""
        row = len(self._entries)
        self.beginInsertRows(QModelIndex(), row, row)
        self._entries.append(entry)
        self.endInsertRows()
        return row

    def remove(self, row: int) -> FileEntry:
        """Remove and return the entry at ``row``."""
        self.beginRemoveRows(QModelIndex(), row, row)
        entry = self._entries.pop(row)
        self.endRemoveRows()
        return entry

    def row_of(self, entry: FileEntry) -> int:
        """The row of ``entry`` (-1 when absent)."""
        for row, candidate in enumerate(self._entries):
            if candidate is entry:
                return row
        return -1

    def find(self, analysis_id: str) -> FileEntry | None:
        """The entry whose current analysis has ``analysis_id``."""
        return next((e for e in self._entries if e.id == analysis_id), None)

    def find_path(self, path: Path) -> FileEntry | None:
        """The entry for ``path`` (compared resolved)."""
        target = Path(path).resolve()
        return next((e for e in self._entries if e.path.resolve() == target), None)

    def refresh(self, entry: FileEntry) -> None:
        """Tell the views that ``entry`` changed."""
        row = self.row_of(entry)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index)


class FileItemDelegate(QStyledItemDelegate):
    """Paints a file row: state icon, file name, and a grey state line (red for failures)."""

    PADDING = 8
    ICON = 20

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        metrics = QFontMetrics(option.font)
        return QSize(200, metrics.height() * 2 + 2 * self.PADDING + 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        rect = option.rect.adjusted(2, 1, -2, -1)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if selected or hovered:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#e0e7ff" if selected else "#f5f7ff"))
            painter.drawRoundedRect(rect, 7, 7)
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        icon_rect = QRect(rect.left() + self.PADDING, rect.center().y() - self.ICON // 2, self.ICON, self.ICON)
        if icon is not None:
            icon.paint(painter, icon_rect)
        text_left = icon_rect.right() + self.PADDING + 2
        text_width = rect.right() - text_left - self.PADDING
        metrics = QFontMetrics(option.font)
        name_font = QFont(option.font)
        name_font.setWeight(QFont.Weight.DemiBold)
        name = QFontMetrics(name_font).elidedText(index.data(Qt.ItemDataRole.DisplayRole) or "",
                                                  Qt.TextElideMode.ElideMiddle, text_width)
        top = rect.top() + self.PADDING
        painter.setFont(name_font)
        painter.setPen(QColor("#0f172a"))
        painter.drawText(QRect(text_left, top, text_width, metrics.height()), Qt.AlignmentFlag.AlignLeft, name)
        state = index.data(FileListModel.StateTextRole) or ""
        entry = index.data(FileListModel.EntryRole)
        failed = entry is not None and entry.status is AnalysisStatus.FAILED
        painter.setFont(option.font)
        painter.setPen(QColor("#b91c1c" if failed else "#64748b"))
        state = metrics.elidedText(state, Qt.TextElideMode.ElideRight, text_width)
        painter.drawText(QRect(text_left, top + metrics.height() + 1, text_width, metrics.height()),
                         Qt.AlignmentFlag.AlignLeft, state)
        painter.restore()


class FileListView(QListView):
    """The file list: several can be selected; rows show name and state (GUI thread only)."""

    def __init__(self, model: FileListModel, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("fileList")
        self.setModel(model)
        self.setItemDelegate(FileItemDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setMouseTracking(True)
        self.setUniformItemSizes(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName("Files")

    def selected_entries(self) -> list[FileEntry]:
        """The selected entries, in list order."""
        model: FileListModel = self.model()
        rows = sorted(index.row() for index in self.selectionModel().selectedRows())
        return [model.entry(row) for row in rows]

    def current_entry(self) -> FileEntry | None:
        """The entry with the keyboard focus / last clicked, or None."""
        index = self.currentIndex()
        return self.model().entry(index.row()) if index.isValid() else None

    def select_entry(self, entry: FileEntry) -> None:
        """Make ``entry`` the current and only selected row."""
        row = self.model().row_of(entry)
        if row >= 0:
            flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            self.selectionModel().setCurrentIndex(self.model().index(row), flags)
