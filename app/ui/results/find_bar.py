"""The find bar over the transcript (Ctrl+F): every match highlighted, the current one in a stronger colour and
scrolled into view, "3 of 12", next and previous (Enter / Shift+Enter, F3 / Shift+F3, the arrow buttons),
Escape closes it. Matching ignores case (Qt's ``QTextDocument.find``); the matches follow the transcript as it
grows or is edited.

The highlights are ``QTextEdit.ExtraSelection``s handed to ``highlight(selections)`` (the view combines them
with its other highlights, such as the segment being played) rather than set on the view directly.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QToolButton,
    QWidget,
)

MATCH_COLOR = "#fde68a"
CURRENT_COLOR = "#f59e0b"
REFRESH_MS = 150
"""How long the bar waits after the transcript changed before finding the matches again (a long transcript
grows segment by segment)."""


class FindBar(QWidget):
    """Find text in ``view`` (a QPlainTextEdit). ``highlight(selections)`` receives the match highlights.

    ``find(text)`` sets the text; ``next()`` / ``previous()`` move through the matches (wrapping);
    ``matches`` counts them and ``current`` is the 0-based current one (-1: none). ``closed`` is emitted when
    the bar hides (Escape, the close button).
    """

    closed = Signal()

    def __init__(self, view: QPlainTextEdit, highlight: Callable[[list], None], parent=None) -> None:
        super().__init__(parent)
        self.view, self._highlight = view, highlight
        self.setObjectName("findBar")
        self.field = QLineEdit()
        self.field.setPlaceholderText("Find in the transcript")
        self.field.setClearButtonEnabled(True)
        self.count = QLabel("")
        self.count.setMinimumWidth(70)
        self.previous_button = QToolButton(text="↑")
        self.previous_button.setToolTip("Previous match (Shift+Enter, Shift+F3)")
        self.next_button = QToolButton(text="↓")
        self.next_button.setToolTip("Next match (Enter, F3)")
        close = QToolButton(text="✕")
        close.setToolTip("Close (Escape)")
        close.setAutoRaise(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.count)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.next_button)
        layout.addWidget(close)
        self.field.textChanged.connect(lambda _text: self._search(keep_place=False))
        self.field.returnPressed.connect(self._enter)
        self.previous_button.clicked.connect(self.previous)
        self.next_button.clicked.connect(self.next)
        close.clicked.connect(self.close_bar)
        for keys, slot in (("F3", self.next), ("Shift+F3", self.previous), ("Escape", self.close_bar)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(lambda: self._search(keep_place=True))
        view.document().contentsChanged.connect(self._contents_changed)
        self._cursors: list[QTextCursor] = []
        self.current = -1
        self.hide()

    @property
    def matches(self) -> int:
        """How many matches there are."""
        return len(self._cursors)

    def open_bar(self) -> None:
        """Show the bar with the field focused and its text selected (Ctrl+F)."""
        self.show()
        self.field.setFocus()
        self.field.selectAll()
        self._search(keep_place=True)

    def close_bar(self) -> None:
        """Hide the bar and its highlights; the focus goes back to the transcript."""
        self.hide()
        self._highlight([])
        self.view.setFocus()
        self.closed.emit()

    def find(self, text: str) -> int:
        """Find ``text`` (ignoring case); returns the number of matches."""
        self.field.setText(text)
        return self.matches

    def next(self) -> None:
        """Go to the next match (after the last, the first)."""
        self._step(1)

    def previous(self) -> None:
        """Go to the previous match (before the first, the last)."""
        self._step(-1)

    def _enter(self) -> None:
        from PySide6.QtWidgets import QApplication

        self._step(-1 if QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier else 1)

    def _contents_changed(self) -> None:
        if self.isVisible() and self.field.text():
            self._refresh.start()

    def _search(self, keep_place: bool) -> None:
        text = self.field.text()
        before = self._cursors[self.current].selectionStart() if keep_place and 0 <= self.current < self.matches \
            else None
        self._cursors = []
        if text and self.isVisible():
            document, cursor = self.view.document(), QTextCursor(self.view.document())
            while True:
                cursor = document.find(text, cursor)  # no flags: any case
                if cursor.isNull():
                    break
                self._cursors.append(QTextCursor(cursor))
        if not self._cursors:
            self.current = -1
        elif before is not None:
            self.current = next((i for i, c in enumerate(self._cursors) if c.selectionStart() >= before), 0)
        else:  # the first match from where the reader is
            top = self.view.cursorForPosition(self.view.viewport().rect().topLeft()).position()
            self.current = next((i for i, c in enumerate(self._cursors) if c.selectionStart() >= top), 0)
        self._show()

    def _step(self, step: int) -> None:
        if not self._cursors:
            return
        self.current = (self.current + step) % len(self._cursors)
        self._show()

    def _show(self) -> None:
        text = self.field.text()
        if not text:
            self.count.setText("")
        elif not self._cursors:
            self.count.setText("No match")
        else:
            self.count.setText(f"{self.current + 1} of {len(self._cursors)}")
        self.count.setStyleSheet("color: #b91c1c;" if text and not self._cursors else "")
        selections = []
        for index, cursor in enumerate(self._cursors):
            selection = QTextEdit.ExtraSelection()
            selection.cursor = cursor
            selection.format.setBackground(QColor(CURRENT_COLOR if index == self.current else MATCH_COLOR))
            selections.append(selection)
        self._highlight(selections)
        if 0 <= self.current < len(self._cursors):
            shown = QTextCursor(self._cursors[self.current])
            shown.setPosition(shown.selectionStart())  # the view scrolls to it without selecting text
            self.view.setTextCursor(shown)
            self.view.ensureCursorVisible()

