"""The Questions tab: every question asked about a file afterwards (the Ask line), with its answer, in order.

Each question is a ``PromptPage`` (so it streams, fails and says it was cut
off as a prompt's tab does) that grows with its text instead of scrolling;
the page scrolls as a whole and follows the newest answer while it streams.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget

from app.ui.results.prompt_page import PromptPage


class ConversationPage(QScrollArea):
    """The questions asked about one file and their answers, oldest first."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("conversation")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        body.setObjectName("conversationBody")
        self._column = QVBoxLayout(body)
        self._column.setContentsMargins(0, 0, 0, 12)
        self._column.setSpacing(4)
        self._column.addStretch(1)
        self.setWidget(body)
        self.pages: list[PromptPage] = []
        self.verticalScrollBar().rangeChanged.connect(self._follow)
        self._at_bottom = True
        self.verticalScrollBar().valueChanged.connect(
            lambda value: setattr(self, "_at_bottom", value >= self.verticalScrollBar().maximum() - 8))

    def add_question(self, page: PromptPage) -> None:
        """Append ``page`` (a question and its answer) at the end."""
        page.set_grows(True)
        self.pages.append(page)
        self._column.insertWidget(self._column.count() - 1, page)

    def plain_text(self) -> str:
        """The whole conversation as plain text: each question, then its answer."""
        return "\n\n".join(f"{page.heading()}\n{page.plain_text()}" for page in self.pages)

    def markdown(self) -> str:
        """The conversation for the clipboard: each question in bold, then its answer."""
        return "\n\n".join(f"**{page.heading()}**\n\n{page.response_text()}" for page in self.pages)

    def _follow(self, _minimum: int, maximum: int) -> None:
        if self._at_bottom:
            self.verticalScrollBar().setValue(maximum)
