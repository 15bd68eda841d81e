"""One prompt's tab: a banner for failures above the response text, a coverage note under it, and a line
saying so when the answer comes from the bundled demo model.

Grounding: once an answer is done (never per token), ``show_grounding`` matches its sentences against the
transcript in a helper thread (``app.core.grounding.ground``: tens of milliseconds for an hour's transcript)
and marks the text as shown, without altering the model's words: a supported sentence gets a ``[mm:ss]`` link
after it (a click emits ``citation_clicked(seconds)``), a sentence the recording does not say a dotted
underline with the tooltip "not found in the recording", a quote that is not in it "quote not found in the
recording", and a sentence whose own ``[mm:ss]`` points elsewhere "the cited time does not say this".

Thread-safety: GUI thread only (the helper thread touches no widget; its result comes back by a queued signal).
"""

from __future__ import annotations

import logging
import re
import threading

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser, QToolTip, QVBoxLayout, QWidget

from app.core.analysis import PromptStatus, Segment, Transcript
from app.core.export.markdown import format_timestamp
from app.core.grounding import Citation, ground

log = logging.getLogger(__name__)

PROMPT_ICONS = {
    PromptStatus.WAITING: "state-waiting",
    PromptStatus.RUNNING: "state-running",
    PromptStatus.DONE: "state-done",
    PromptStatus.FAILED: "state-failed",
    PromptStatus.CANCELLED: "state-cancelled",
    PromptStatus.SKIPPED: "state-cancelled",
}

NOT_FOUND_TIP = "not found in the recording"
"""Tooltip of a sentence of an answer that the recording does not say."""
QUOTE_NOT_FOUND_TIP = "quote not found in the recording"
"""Tooltip of a quoted passage that is not in the transcript verbatim."""
CITED_ELSEWHERE_TIP = "the cited time does not say this"
"""Tooltip of a sentence whose own [mm:ss] points where the recording does not say it."""
CITE_SCHEME = "cite"
"""Scheme of the links a grounded answer gets: ``cite:<seconds>``."""
_FLAG_COLOUR = "#b45309"
_EXACT = QTextDocument.FindFlag.FindCaseSensitively
_MARKUP = re.compile(r"(\*\*|__|[*_`~])|\[([^\]]*)\]\([^)]*\)")


def _shown(markdown_text: str) -> str:
    """How a piece of one Markdown line reads once rendered: emphasis marks dropped, a link's text kept,
    white space collapsed (to find a sentence in the rendered document)."""
    return " ".join(_MARKUP.sub(lambda m: m.group(2) if m.group(2) is not None else "", markdown_text).split())


class _AnswerBrowser(QTextBrowser):
    """The answer's text view: shows the tooltip of the marked text under the mouse (a grounding mark's)."""

    def viewportEvent(self, event) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == event.Type.ToolTip:
            tip = self.tooltip_at(event.pos())
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.viewport())
                return True
        return super().viewportEvent(event)

    def tooltip_at(self, pos) -> str:
        """The grounding tooltip of the text at viewport position ``pos`` ("" when none)."""
        cursor = self.cursorForPosition(pos)
        tip = cursor.charFormat().toolTip()
        if not tip and not cursor.atBlockEnd():
            cursor.movePosition(QTextCursor.MoveOperation.NextCharacter)
            tip = cursor.charFormat().toolTip()
        return tip


class _Relay(QObject):
    """Carries a grounding result from the helper thread to the GUI thread (a queued signal)."""

    done = Signal(int, object)


class PromptPage(QWidget):
    """One prompt's tab: a banner for failures and notes, the response text, and a note line under it
    (how a map-reduce answer was read and how much of the transcript it covers).

    Thread-safety: GUI thread only.
    """

    RENDER_MS = 150
    """A streaming answer is rendered as Markdown at most this often (each render lays out the whole answer)."""

    continue_requested = Signal()
    rerun_requested = Signal()
    """The user asked for a stale answer again on the edited transcript (the stale line's button)."""
    """The user asked for a cut-off answer again with a higher limit (the banner's button)."""
    citation_clicked = Signal(float)
    """The user clicked a ``[mm:ss]`` link of a grounded answer: play from these seconds."""
    grounded = Signal()
    """The answer shown was grounded and its marks are shown (``citations()``)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._source = ""
        self._status: PromptStatus | None = None
        self._citations: list[Citation] = []
        self._grounding_key: tuple | None = None  # (response, segments) the citations are for
        self._grounding_job = 0
        self._marked_plain: str | None = None  # the answer's plain text before the marks were added
        self._relay = _Relay(self)
        self._relay.done.connect(self._grounding_done)
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
        self.text = _AnswerBrowser()
        self.text.setOpenExternalLinks(False)
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(self._anchor_clicked)
        self.note = QLabel()
        self.note.setObjectName("promptNote")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.hide()
        self.grounding_label = QLabel()
        self.grounding_label.setObjectName("groundingNote")
        self.grounding_label.setWordWrap(True)
        self.grounding_label.setStyleSheet("color: #6b7280; padding: 2px 12px;")
        self.grounding_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        banner_row = QHBoxLayout()
        banner_row.setContentsMargins(0, 0, 12, 0)
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addWidget(self.heading_label)
        layout.addLayout(banner_row)
        self.stale_label = QLabel()
        self.stale_label.setObjectName("staleNote")
        self.stale_label.setWordWrap(True)
        self.stale_label.setStyleSheet("color: #92400e; padding: 4px 12px;")
        self.rerun_button = QPushButton("Run again on the edited transcript")
        self.rerun_button.setObjectName("bannerButton")
        self.rerun_button.clicked.connect(self.rerun_requested)
        stale_row = QHBoxLayout()
        stale_row.setContentsMargins(0, 0, 12, 0)
        stale_row.addWidget(self.stale_label, 1)
        stale_row.addWidget(self.rerun_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.stale_label.hide()
        self.rerun_button.hide()
        layout.addLayout(stale_row)
        layout.addWidget(self.demo_label)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.grounding_label)
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

    def set_stale(self, text: str | None) -> None:
        """Say above the answer that it was made from another version of the transcript (``text``), with the
        button that runs it again on the current one; None hides both."""
        self.stale_label.setText(text or "")
        self.stale_label.setVisible(bool(text))
        self.rerun_button.setVisible(bool(text))

    def stale_text(self) -> str:
        """The stale line shown ("" when none)."""
        return self.stale_label.text() if self.stale_label.isVisibleTo(self) else ""

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
        answer = self.text.toPlainText() if self._marked_plain is None else self._marked_plain
        return "\n".join(t for t in (self.banner_text(), answer) if t)

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
        self._set_markdown(self._source)
        bar.setValue(bar.maximum() if at_bottom else position)

    def show_result(self, status: PromptStatus, error: str | None, response: str, waiting_for: str = "",
                    cut_off: int = 0, limit: int = 0) -> None:
        """Show the prompt's state with one message that fits it: the response (Markdown once done), a
        banner for failures, stops and cut-off answers, a placeholder only while it may still run.
        ``waiting_for`` says what a waiting prompt waits for ("the transcript", "the prompts before it");
        ``cut_off``: the answer's tokens when it stopped at the answer limit (then a button offers it again
        with ``limit`` tokens)."""
        self._source = response
        self._status = status
        self._render_timer.stop()
        self.more_button.hide()
        if status is PromptStatus.DONE:
            self._set_markdown(response or "_(The model gave an empty response.)_")
            if cut_off:
                self.set_banner(f"Cut off: this answer reached the limit of {cut_off:,} tokens and may stop "
                                "mid-sentence.", "warning")
                self.more_button.setText(f"Run again with {limit:,} tokens")
                self.more_button.setVisible(limit > 0)
            else:
                self.set_banner(None)
            return
        self._set_markdown(response)
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

    # ---- grounding ----------------------------------------------------------------

    def _set_markdown(self, text: str) -> None:
        """Show ``text`` as Markdown, without grounding marks (``show_grounding`` adds them back)."""
        self._marked_plain = None
        self.grounding_label.hide()
        self.text.setMarkdown(text)

    def grounding_note(self) -> str:
        """The line under a grounded answer saying how many of its sentences the recording says ("" when
        hidden)."""
        return self.grounding_label.text() if not self.grounding_label.isHidden() else ""

    def citations(self) -> list[Citation]:
        """The grounding of the answer shown (one per sentence or list item); empty until it is grounded."""
        return list(self._citations) if self._marked_plain is not None else []

    def show_grounding(self, segments: list[Segment]) -> None:
        """Mark a done answer against the transcript ``segments``: at once when it was grounded against them
        before, else in a helper thread (``grounded`` is emitted once the marks are shown). A running,
        failed or empty answer gets no marks."""
        if self._status is not PromptStatus.DONE or not self._source.strip() \
                or not any(s.text.strip() for s in segments):
            self._grounding_job += 1  # a grounding still running is for an answer no longer shown
            return
        key = (self._source, tuple((s.start, s.end, s.text) for s in segments))
        if key == self._grounding_key:
            if self._marked_plain is None:
                self._mark(self._citations)
            return
        self._grounding_job += 1
        job, response, transcript = self._grounding_job, self._source, Transcript(list(segments))
        relay = self._relay

        def run() -> None:
            try:
                citations = ground(response, transcript)
            except Exception:  # a grounding bug must not take the answer down: it is shown unmarked
                log.exception("grounding an answer failed")
                citations = None
            try:
                relay.done.emit(job, (key, citations))
            except RuntimeError:  # the page was closed meanwhile
                pass

        threading.Thread(target=run, name="grounding", daemon=True).start()

    def _grounding_done(self, job: int, result) -> None:
        key, citations = result
        if job != self._grounding_job or citations is None or key[0] != self._source \
                or self._status is not PromptStatus.DONE:
            return
        self._grounding_key, self._citations = key, citations
        self._mark(citations)
        self.grounded.emit()

    def _mark(self, citations: list[Citation]) -> None:
        """Add the grounding marks to the rendered answer (see the module); the model's words stay as they are."""
        found_count = sum(c.supported for c in citations)
        if citations:
            self.grounding_label.setText(
                f"{found_count} of {len(citations)} sentence{'s' if len(citations) != 1 else ''} found in the "
                "recording" + (": click a [mm:ss] to play from there" if found_count else "")
                + ("." if found_count == len(citations) else
                   "; a dotted underline marks what it does not say (hover for why)."))
            self.grounding_label.show()
        document = self.text.document()
        self._marked_plain = document.toPlainText()
        position = 0
        for citation in citations:
            found = document.find(_shown(citation.sentence), position, _EXACT)
            if found.isNull():
                continue  # rendered differently from the source (rare Markdown): left unmarked
            start, end = found.selectionStart(), found.selectionEnd()
            position = end
            if not citation.supported or citation.cited_ok is False:
                flag = QTextCharFormat()
                flag.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
                flag.setUnderlineColor(QColor(_FLAG_COLOUR))
                flag.setToolTip(NOT_FOUND_TIP if not citation.supported else CITED_ELSEWHERE_TIP)
                found.mergeCharFormat(flag)
            for quote_start, quote_end in citation.missing_quotes:
                where = document.find(_shown(self._source[quote_start:quote_end]), start, _EXACT)
                if not where.isNull() and where.selectionEnd() <= end:
                    quote = QTextCharFormat()
                    quote.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
                    quote.setUnderlineColor(QColor(_FLAG_COLOUR))
                    quote.setToolTip(QUOTE_NOT_FOUND_TIP)
                    where.mergeCharFormat(quote)
            if citation.supported and citation.start is not None:
                link = QTextCharFormat()
                link.setAnchor(True)
                link.setAnchorHref(f"{CITE_SCHEME}:{citation.start:.3f}")
                link.setForeground(self.palette().link())
                link.setToolTip(f"Play the recording from {format_timestamp(citation.start)[1:-1]}")
                stamp = format_timestamp(citation.start)
                cursor = QTextCursor(document)
                cursor.setPosition(end)
                cursor.insertText(" ", QTextCharFormat())
                cursor.insertText(stamp, link)
                position = end + 1 + len(stamp)

    def _anchor_clicked(self, url: QUrl) -> None:
        if url.scheme() != CITE_SCHEME:
            return
        try:
            seconds = float(url.path())
        except ValueError:
            return
        self.citation_clicked.emit(seconds)
