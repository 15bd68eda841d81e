"""Small widget helpers shared by the window's parts: section headings, window-wide actions, elided labels.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence, QPainter, QResizeEvent, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from app.ui import theme


def section_title(title: str) -> QLabel:
    """A small grey heading over a side-panel section."""
    label = QLabel(title)
    label.setObjectName("sectionTitle")
    return label


def make_action(window: QWidget, text: str, slot, shortcuts=(), icon: str | None = None,
                tip: str | None = None) -> QAction:
    """A window-wide action calling ``slot()``, with its first shortcut shown in the tooltip."""
    action = QAction(text, window)
    if icon:
        action.setIcon(theme.icon(icon))
    keys = [QKeySequence(s) for s in shortcuts]
    if keys:
        action.setShortcuts(keys)
    shown = keys[0].toString(QKeySequence.SequenceFormat.NativeText) if keys else ""
    action.setToolTip((tip or text.replace("&", "").rstrip("…")) + (f" ({shown})" if shown else ""))
    action.triggered.connect(lambda checked=False: slot())
    window.addAction(action)
    return action


class ElidedLabel(QLabel):
    """A one-line label showing as much of its text as fits, with "…" where it is cut; the full text is
    its tooltip while it is cut. It never asks for more width than a few characters, so a long file,
    prompt or model name can never widen the window (``text()`` still returns the full text).

    ``mode``: where the cut goes (``Qt.TextElideMode.ElideMiddle`` keeps a file name's end and extension).
    ``hint``: a tooltip of its own, shown under the full text when the text is cut.
    """

    MIN_CHARACTERS = 8

    def __init__(self, text: str = "", mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle,
                 parent: QWidget | None = None, hint: str = "") -> None:
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self.hint = hint
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)  # shrinks to minimumSizeHint
        self.setText(text)

    def text(self) -> str:  # noqa: D102 (the full text, not the elided one shown)
        return self._full

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text or ""
        self._elide()

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        metrics = self.fontMetrics()
        return QSize(metrics.averageCharWidth() * self.MIN_CHARACTERS, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 2, super().sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def is_elided(self) -> bool:
        """True while the text shown is cut."""
        return super().text() != self._full

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, self._mode, max(self.width(), 1))
        super().setText(shown)
        cut = shown != self._full
        self.setToolTip("\n".join(t for t in (self._full if cut else "", self.hint) if t))


class HighlightDelegate(QStyledItemDelegate):
    """Paints a cell's ``html_role`` rich text (a search match with its words highlighted) on one line,
    elided at the right; cells without it are painted as usual."""

    def __init__(self, parent: QWidget | None = None, html_role: int = Qt.ItemDataRole.UserRole + 3) -> None:
        super().__init__(parent)
        self.html_role = html_role

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:  # noqa: D102
        html = index.data(self.html_role)
        if not html:
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        document = QTextDocument()
        document.setDefaultFont(option.font)
        document.setDocumentMargin(0)
        document.setHtml(f'<span style="white-space:pre">{html}</span>')
        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, option.widget)
        painter.save()
        painter.translate(text_rect.left(), text_rect.top() + (text_rect.height() - document.size().height()) / 2)
        painter.setClipRect(0, 0, text_rect.width(), text_rect.height() + 4)
        document.drawContents(painter)
        painter.restore()


class WrappedLabel(QLabel):
    """A word-wrapped label exactly as tall as its text at the width it is given (a plain word-wrapped QLabel
    in a form asks for the height of a narrower guess, which leaves a gap above or below it)."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: D102, N802
        super().resizeEvent(event)
        height = self.heightForWidth(self.width())
        if height > 0 and height != self.height():
            self.setFixedHeight(height)
