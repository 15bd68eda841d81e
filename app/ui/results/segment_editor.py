"""Editing a segment's text in place: a line editor laid over the segment's line in the transcript (Enter
keeps the text, Escape or leaving the line drops it), the way a spreadsheet cell is edited.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit


class SegmentEditor(QLineEdit):
    """A line editor over one line (block) of ``view``'s viewport.

    ``edit(block, text, segment, column)`` shows it over ``block`` from character ``column`` (where the text
    starts, after the timestamp) holding ``text``, all selected; ``committed(segment,
    text)`` follows Enter when the text changed; Escape or a click elsewhere closes it without a change
    (``closed`` either way). It follows the view's scrolling while open.
    """

    committed = Signal(int, str)
    closed = Signal()

    def __init__(self, view: QPlainTextEdit) -> None:
        super().__init__(view.viewport())
        self.view = view
        self.setObjectName("segmentEditor")
        self.setFrame(True)
        self.setToolTip("Enter keeps the correction (Ctrl+Z undoes it); Escape leaves the segment as it was")
        self.segment = -1
        self._block = -1
        self._column = 0
        self._original = ""
        self.hide()
        view.verticalScrollBar().valueChanged.connect(lambda _value: self._place())
        self.returnPressed.connect(self._commit)

    def edit(self, block: int, text: str, segment: int, column: int = 0) -> None:
        """Open over ``block`` (a block number of ``view``'s document), from character ``column``, with ``text``
        for segment ``segment``."""
        self.segment, self._block, self._column, self._original = segment, block, column, text
        self.setText(text)
        self._place()
        self.show()
        self.raise_()
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.selectAll()

    def _place(self) -> None:
        if self._block < 0:
            return
        block = self.view.document().findBlockByNumber(self._block)
        if not block.isValid():
            return
        rect = self.view.blockBoundingGeometry(block).translated(self.view.contentOffset()).toRect()
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + min(self._column, max(block.length() - 1, 0)))
        left = self.view.cursorRect(cursor).left() - 4
        height = max(rect.height(), self.sizeHint().height())
        self.setGeometry(left, rect.top() - (height - rect.height()) // 2,
                         self.view.viewport().width() - left - 6, height)

    def _commit(self) -> None:
        text, segment = self.text(), self.segment
        changed = " ".join(text.split()) != " ".join(self._original.split())
        self._close()
        if changed:
            self.committed.emit(segment, text)

    def _close(self) -> None:
        if self.isVisible():
            self.hide()
            self._block = -1
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)
            self.closed.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: D102, N802
        if event.key() == Qt.Key.Key_Escape:
            self._close()
            return
        super().keyPressEvent(event)

    def event(self, event: QEvent) -> bool:  # noqa: D102 - focus lost: dropped, as a cell editor does
        if event.type() == QEvent.Type.FocusOut and event.reason() != Qt.FocusReason.PopupFocusReason:
            self._close()
        return super().event(event)
