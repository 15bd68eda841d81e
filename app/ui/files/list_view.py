"""The file list: a Qt list model over ``FileEntry`` rows, its item delegate and its view.

Thread-safety: everything here belongs to the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QItemSelectionModel, QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.core.analysis import AnalysisStatus
from app.core.user_files import display_name, display_path
from app.ui import theme
from app.ui.files.entry import FileEntry


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
            return display_name(entry.path)
        if role == self.StateTextRole:
            return entry.state_text()
        if role == Qt.ItemDataRole.DecorationRole:
            return theme.icon(entry.state_icon_name())
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = display_path(entry.path)
            if entry.status is AnalysisStatus.FAILED and entry.error:
                tip += f"\nFailed: {entry.error}"
            elif entry.failed_prompts():
                tip += "\n" + "\n".join(f"Prompt {i + 1} failed: {entry.prompt_errors[i]}" for i in entry.failed_prompts())
            return f"{tip}\n{entry.note}." if entry.note else tip
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
