"""One prompt's tab: a banner for failures above the response text, a coverage note under it, and a line
saying so when the answer comes from the bundled demo model.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from app.core.analysis import PromptStatus

PROMPT_ICONS = {
    PromptStatus.WAITING: "state-waiting",
    PromptStatus.RUNNING: "state-running",
    PromptStatus.DONE: "state-done",
    PromptStatus.FAILED: "state-failed",
    PromptStatus.CANCELLED: "state-cancelled",
    PromptStatus.SKIPPED: "state-cancelled",
}


class PromptPage(QWidget):
    """One prompt's tab: a banner for failures and notes, the response text, and a note line under it
    (how a map-reduce answer was read and how much of the transcript it covers).

    Thread-safety: GUI thread only.
    """

    RENDER_MS = 150
    """A streaming answer is rendered as Markdown at most this often (each render lays out the whole answer)."""

    continue_requested = Signal()
    """The user asked for a cut-off answer again with a higher limit (the banner's button)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._source = ""
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(self.RENDER_MS)
        self._render_timer.timeout.connect(self.render)
        self.heading_label = QLabel()
        self.heading_label.setObjectName("promptHeading")
        self.heading_label.setWordWrap(True)
        self.heading_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.heading_label.hide()
        self._grows = False
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        self.demo_label = QLabel()
        self.demo_label.setObjectName("demoNote")
        self.demo_label.setWordWrap(True)
        self.demo_label.setStyleSheet("color: #92400e; padding: 2px 12px;")
        self.demo_label.hide()
        self.more_button = QPushButton()
        self.more_button.setObjectName("bannerButton")
        self.more_button.clicked.connect(self.continue_requested)
        self.more_button.hide()
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.text.setOpenLinks(False)
        self.note = QLabel()
        self.note.setObjectName("promptNote")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        banner_row = QHBoxLayout()
        banner_row.setContentsMargins(0, 0, 12, 0)
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addWidget(self.heading_label)
        layout.addLayout(banner_row)
        layout.addWidget(self.demo_label)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.note)

    def set_heading(self, text: str, question: bool = False) -> None:
        """Show what was asked above the answer: the prompt's text (small, grey), or a question (bold)."""
        self.heading_label.setText(text)
        self.heading_label.setProperty("question", question)
        self.heading_label.style().unpolish(self.heading_label)
        self.heading_label.style().polish(self.heading_label)
        self.heading_label.setVisible(bool(text))

    def heading(self) -> str:
        """What was asked, as shown above the answer."""
        return self.heading_label.text()

    def response_text(self) -> str:
        """The answer as streamed or final (Markdown source)."""
        return self._source

    def set_grows(self, grows: bool) -> None:
        """Grow with the answer instead of scrolling (inside the Questions tab, which scrolls as a whole)."""
        self._grows = grows
        self.text.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff if grows
                                             else Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        if grows:
            self.text.document().documentLayout().documentSizeChanged.connect(self._fit)
            self._fit()

    def _fit(self, *_args) -> None:
        margins = self.text.contentsMargins()
        height = int(self.text.document().size().height()) + margins.top() + margins.bottom() + 26
        self.text.setFixedHeight(max(height, 48))

    def set_banner(self, text: str | None, severity: str = "info") -> None:
        """Show ``text`` above the response (``severity`` "error" or "info"); None hides it."""
        if not text:
            self.banner.hide()
            return
        self.banner.setText(text)
        self.banner.setProperty("severity", severity)
        self.banner.style().unpolish(self.banner)
        self.banner.style().polish(self.banner)
        self.banner.show()

    def set_note(self, text: str | None) -> None:
        """Show ``text`` in small print under the response; None hides it."""
        self.note.setText(text or "")
        self.note.setVisible(bool(text))

    def set_demo_note(self, text: str | None) -> None:
        """Show ``text`` in a small line above the answer (the demo model's warning); None hides it."""
        self.demo_label.setText(text or "")
        self.demo_label.setVisible(bool(text))

    def demo_note(self) -> str:
        """The demo model's line above the answer, or "" when hidden."""
        return self.demo_label.text() if not self.demo_label.isHidden() else ""

    def note_text(self) -> str:
        """The note under the response, or "" when hidden."""
        return self.note.text() if not self.note.isHidden() else ""

    def banner_text(self) -> str:
        """The banner's text, or "" when hidden."""
        return self.banner.text() if not self.banner.isHidden() else ""

    def plain_text(self) -> str:
        """The answer as shown, as plain text, after the banner if any (the heading is not included)."""
        return "\n".join(t for t in (self.banner_text(), self.text.toPlainText()) if t)

    def append(self, text: str) -> None:
        """Append streamed ``text``; the answer so far is shown as Markdown within ``RENDER_MS``."""
        self._source += text
        if not self._render_timer.isActive():
            self._render_timer.start()

    def render(self) -> None:
        """Show the answer so far as Markdown now, keeping the view at the bottom if it was there
        (and where it was otherwise)."""
        self._render_timer.stop()
        bar = self.text.verticalScrollBar()
        at_bottom, position = bar.value() >= bar.maximum() - 4, bar.value()
        self.text.setMarkdown(self._source)
        bar.setValue(bar.maximum() if at_bottom else position)

    def show_result(self, status: PromptStatus, error: str | None, response: str, waiting_for: str = "",
                    cut_off: int = 0, limit: int = 0) -> None:
        """Show the prompt's state with one message that fits it: the response (Markdown once done), a
        banner for failures, stops and cut-off answers, a placeholder only while it may still run.
        ``waiting_for`` says what a waiting prompt waits for ("the transcript", "the prompts before it");
        ``cut_off``: the answer's tokens when it stopped at the answer limit (then a button offers it again
        with ``limit`` tokens)."""
        self._source = response
        self._render_timer.stop()
        self.more_button.hide()
        if status is PromptStatus.DONE:
            self.text.setMarkdown(response or "_(The model gave an empty response.)_")
            if cut_off:
                self.set_banner(f"Cut off: this answer reached the limit of {cut_off:,} tokens and may stop "
                                "mid-sentence.", "warning")
                self.more_button.setText(f"Run again with {limit:,} tokens")
                self.more_button.setVisible(limit > 0)
            else:
                self.set_banner(None)
            return
        self.text.setMarkdown(response)
        placeholder = ""
        if status is PromptStatus.FAILED:
            self.set_banner(f"This prompt failed: {error or 'unknown error'}.", "error")
        elif status is PromptStatus.CANCELLED and response:
            self.set_banner("Cancelled while answering: the answer below is incomplete. "
                            "Right-click the tab → Run again to finish it.", "info")
        elif status is PromptStatus.CANCELLED:
            self.set_banner("Not run: the analysis was cancelled before this prompt. "
                            "Analysis → Resume runs it.", "info")
        elif status is PromptStatus.SKIPPED:
            self.set_banner(f"Not run: {error or 'the analysis stopped before this prompt'}.", "info")
        else:
            self.set_banner(None)
            placeholder = "Thinking…" if status is PromptStatus.RUNNING else \
                f"This prompt runs once {waiting_for or 'the transcript is ready'}."
        self.text.setPlaceholderText(placeholder)
