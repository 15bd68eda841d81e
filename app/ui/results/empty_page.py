"""The results area with no file selected: how to start, and the recent analyses a returning user looks for.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.ui import theme


class EmptyPage(QWidget):
    """What the results area shows when no file is selected: how to start, and the recent analyses
    (``show_recent``), where a returning user looks first. ``recent_opened(analysis id)``: the user opened
    one (Enter or a double-click)."""

    recent_opened = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        icon = QLabel()
        icon.setPixmap(theme.app_icon().pixmap(72, 72))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("No file selected")
        title.setObjectName("emptyTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel("Drop audio or video files on the left, or press Ctrl+O.\n"
                      "The transcript and each prompt's answer appear here in their own tabs.")
        text.setObjectName("emptyText")
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setWordWrap(True)
        self.recent_title = QLabel("RECENT ANALYSES")
        self.recent_title.setObjectName("sectionTitle")
        self.recent = QListWidget()
        self.recent.setObjectName("recentList")
        self.recent.setAccessibleName("Recent analyses")
        self.recent.setMaximumWidth(560)
        self.recent.itemActivated.connect(lambda item: self.recent_opened.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.more = QLabel("All of them: View → History (Ctrl+H).")
        self.more.setObjectName("emptyText")
        column = QVBoxLayout()
        column.addWidget(self.recent_title)
        column.addWidget(self.recent)
        column.addWidget(self.more)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addLayout(column, 3)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(icon)
        layout.addSpacing(6)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addSpacing(18)
        layout.addLayout(row)
        layout.addStretch(2)
        self.show_recent([])

    def show_recent(self, rows: list[tuple[str, str, str]]) -> None:
        """Show the recent analyses as (analysis id, one line about it, its tooltip); none hides the list."""
        self.recent.clear()
        for analysis_id, line, tip in rows:
            item = QListWidgetItem(line)
            item.setData(Qt.ItemDataRole.UserRole, analysis_id)
            item.setToolTip(tip)
            self.recent.addItem(item)
        if rows:
            height = self.recent.sizeHintForRow(0) * len(rows) + 2 * self.recent.frameWidth() + 12
            self.recent.setFixedHeight(min(height, 260))
        for widget in (self.recent_title, self.recent, self.more):
            widget.setVisible(bool(rows))
