"""One file's results: a Transcript tab and one tab per prompt, filled live from pipeline events.

Streamed response text is buffered and appended every ``FLUSH_MS``
milliseconds (never one widget update per token).

Thread-safety: GUI thread only; it reads ``FileEntry`` objects, never a
running ``Analysis``.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.analysis import AnalysisStatus, PromptStatus
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
from app.core.export import format_duration, format_timestamp
from app.core.prompts import tab_titles
from app.ui import theme
from app.ui.file_list import FileEntry

PROMPT_ICONS = {
    PromptStatus.WAITING: "state-waiting",
    PromptStatus.RUNNING: "state-running",
    PromptStatus.DONE: "state-done",
    PromptStatus.FAILED: "state-failed",
    PromptStatus.CANCELLED: "state-cancelled",
    PromptStatus.SKIPPED: "state-cancelled",
}
TIMESTAMP_COLOR = "#8b95a7"
TRANSCRIPT_PLACEHOLDER = "The transcript appears here, segment by segment, as the recording is decoded."


class PromptPage(QWidget):
    """One prompt's tab: a banner for failures and notes, and the response text.

    Thread-safety: GUI thread only.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.text.setOpenLinks(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.text, 1)

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

    def banner_text(self) -> str:
        """The banner's text, or "" when hidden."""
        return self.banner.text() if not self.banner.isHidden() else ""

    def plain_text(self) -> str:
        """Everything the tab shows, as plain text (banner first)."""
        return "\n".join(t for t in (self.banner_text(), self.text.toPlainText()) if t)

    def append(self, text: str) -> None:
        """Append streamed ``text``, keeping the view at the bottom if it was there."""
        bar = self.text.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 4
        cursor = self.text.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        if at_bottom:
            bar.setValue(bar.maximum())


class ResultsView(QWidget):
    """The selected file's results: header, Transcript tab, one tab per prompt in prompt order.

    ``show_entry(entry)`` rebuilds the tabs from a ``FileEntry``; ``on_event``
    applies the next pipeline event of the shown entry (call it after
    ``entry.apply(event)``). Tab titles are ``tab_titles(prompts)``
    (``short_title``, longer where two would read the same); tab icons
    show each prompt's status (waiting, running, done, failed, cancelled).

    Thread-safety: GUI thread only.
    """

    FLUSH_MS = 50
    TRANSCRIPT_TAB = 0

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._entry: FileEntry | None = None
        self._shown_id: str | None = None
        self._segments_shown = 0
        self._last_segment = None
        self._pending: dict[int, list[str]] = {}
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(self.FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)

        self.title = QLabel()
        self.title.setObjectName("resultTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta = QLabel()
        self.meta.setObjectName("resultMeta")
        self.meta.setWordWrap(True)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(False)
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)
        self.copy_button = QToolButton()
        self.copy_button.setIcon(theme.icon("copy"))
        self.copy_button.setText("Copy")
        self.copy_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.copy_button.setToolTip("Copy this tab's text (Ctrl+Shift+C)")
        self.copy_button.setShortcut("Ctrl+Shift+C")
        self.copy_button.clicked.connect(self.copy_current)

        self.transcript = QPlainTextEdit()
        self.transcript.setReadOnly(True)
        self.transcript.setObjectName("transcriptView")
        self.transcript.setPlaceholderText(TRANSCRIPT_PLACEHOLDER)

        results = QWidget()
        layout = QVBoxLayout(results)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        names = QVBoxLayout()
        names.setSpacing(2)
        names.addWidget(self.title)
        names.addWidget(self.meta)
        header.addLayout(names, 1)
        header.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(header)
        layout.addSpacing(8)
        layout.addWidget(self.tabs, 1)

        self.stack = QStackedWidget()
        self.stack.addWidget(self._empty_page())
        self.stack.addWidget(results)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

    def _empty_page(self) -> QWidget:
        page = QWidget()
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
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(icon)
        layout.addSpacing(6)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addStretch(2)
        return page

    # ---- what is shown ----------------------------------------------------------

    @property
    def entry(self) -> FileEntry | None:
        """The entry shown, or None."""
        return self._entry

    def tab_titles(self) -> list[str]:
        """The tab titles, in order ("Transcript" first)."""
        return [self.tabs.tabText(i) for i in range(self.tabs.count())]

    def prompt_page(self, index: int) -> PromptPage:
        """The tab of prompt ``index`` (0-based, prompt order)."""
        return self.tabs.widget(index + 1)

    def show_entry(self, entry: FileEntry | None) -> None:
        """Show ``entry``'s results (None: the empty page).

        Showing the entry already shown updates its tabs in place (no flicker,
        the current tab and scroll positions stay).
        """
        self._pending.clear()
        self._flush_timer.stop()
        same = (entry is not None and entry is self._entry and entry.id == self._shown_id
                and self.tabs.count() == len(entry.prompts) + 1)
        self._entry = entry
        if entry is None:
            self._shown_id = None
            self.stack.setCurrentIndex(0)
            return
        self.stack.setCurrentIndex(1)
        if not same:
            self._rebuild(entry)
        self._sync_transcript()
        for index in range(len(entry.prompts)):
            self._render_prompt(index)
        self._update_header()

    def _rebuild(self, entry: FileEntry) -> None:
        current = self.tabs.currentIndex()
        self._shown_id = entry.id
        self.tabs.blockSignals(True)
        while self.tabs.count():
            widget = self.tabs.widget(0)
            self.tabs.removeTab(0)
            if widget is not self.transcript:
                widget.deleteLater()
        self.tabs.addTab(self.transcript, "Transcript")
        self.transcript.clear()
        self._segments_shown, self._last_segment = 0, None
        for index, (prompt, title) in enumerate(zip(entry.prompts, tab_titles(entry.prompts))):
            self.tabs.addTab(PromptPage(), title)
            self.tabs.setTabToolTip(index + 1, prompt)
        self.tabs.setCurrentIndex(current if 0 <= current < self.tabs.count() else 0)
        self.tabs.blockSignals(False)

    def _sync_transcript(self) -> None:
        # Append what is new; redraw when the segments are not those shown (a finished analysis may differ).
        segments, shown = self._entry.segments, self._segments_shown
        if len(segments) < shown or (shown and segments[shown - 1] is not self._last_segment):
            self.transcript.clear()
            shown = self._segments_shown = 0
        self._append_segments(segments[shown:])

    def _append_segments(self, segments) -> None:
        if segments:
            self._segments_shown += len(segments)
            self._last_segment = segments[-1]
        lines = [
            f'<span style="color:{TIMESTAMP_COLOR}">{format_timestamp(s.start)}</span> {html.escape(s.text.strip())}'
            for s in segments if s.text.strip()
        ]
        for line in lines:
            self.transcript.appendHtml(line)
        self._update_transcript_icon()

    def _update_transcript_icon(self) -> None:
        entry = self._entry
        if entry is None:
            return
        if entry.status is AnalysisStatus.FAILED and not entry.segments:
            self.transcript.setPlaceholderText(f"No transcript: {entry.error or 'the analysis failed'}.")
        elif entry.status is AnalysisStatus.CANCELLED and not entry.segments:
            self.transcript.setPlaceholderText("No transcript: the analysis was cancelled.")
        elif entry.finished and not entry.segments:
            self.transcript.setPlaceholderText("No speech was found in the recording.")
        else:
            self.transcript.setPlaceholderText(TRANSCRIPT_PLACEHOLDER)
        if entry.status is AnalysisStatus.QUEUED:
            name = "state-waiting"
        elif entry.status is AnalysisStatus.RUNNING:
            transcribing = entry.stage in (None, Stage.LOADING_WHISPER, Stage.TRANSCRIBING)
            name = "state-running" if transcribing and entry.prompt_index < 0 else "state-done"
        elif entry.status is AnalysisStatus.FAILED and not entry.segments:
            name = "state-failed"
        elif entry.status is AnalysisStatus.CANCELLED and not entry.segments:
            name = "state-cancelled"
        else:
            name = "state-done"
        self.tabs.setTabIcon(self.TRANSCRIPT_TAB, theme.icon(name))

    def _render_prompt(self, index: int) -> None:
        entry, page = self._entry, self.prompt_page(index)
        status = entry.prompt_statuses[index]
        error = entry.prompt_errors[index]
        response = entry.responses[index]
        self.tabs.setTabIcon(index + 1, theme.icon(PROMPT_ICONS[status]))
        if status is PromptStatus.DONE:
            page.set_banner(None)
            page.text.setMarkdown(response or "_(The model gave an empty response.)_")
            return
        page.text.setPlainText(response)
        if status is PromptStatus.FAILED:
            page.set_banner(f"This prompt failed: {error or 'unknown error'}.", "error")
        elif status is PromptStatus.CANCELLED:
            page.set_banner("Cancelled before it finished.", "info")
        elif status is PromptStatus.SKIPPED:
            page.set_banner(f"Not run: {error or 'the analysis stopped before this prompt'}.", "info")
        else:
            page.set_banner(None)
        if status is PromptStatus.RUNNING:
            page.text.setPlaceholderText("Thinking…")
        else:
            page.text.setPlaceholderText("This prompt runs once the transcript is ready.")

    def _update_header(self) -> None:
        entry = self._entry
        self.title.setText(entry.path.name)
        self.title.setToolTip(str(entry.path))
        parts = []
        if entry.seconds_total:
            parts.append(format_duration(entry.seconds_total))
        parts += [entry.models[role] for role in ("whisper", "llm") if role in entry.models]
        if entry.status is AnalysisStatus.FAILED and entry.error:
            parts.append(f"failed: {entry.error}")
        elif entry.status is AnalysisStatus.CANCELLED:
            parts.append("cancelled")
        elif entry.status is AnalysisStatus.QUEUED:
            parts.append("queued")
        self.meta.setText("  ·  ".join(parts))
        self._update_transcript_icon()

    # ---- live updates -----------------------------------------------------------

    def on_event(self, entry: FileEntry, event) -> None:
        """Show ``event`` if it belongs to the shown entry (after ``entry.apply(event)``)."""
        if entry is not self._entry:
            return
        if isinstance(event, ResponseDelta):
            self._pending.setdefault(event.index, []).append(event.text)
            if not self._flush_timer.isActive():
                self._flush_timer.start()
        elif isinstance(event, SegmentDecoded):
            self._sync_transcript()
        elif isinstance(event, PromptStarted):
            self._pending.pop(event.index, None)
            self._render_prompt(event.index)
            self._update_transcript_icon()
        elif isinstance(event, PromptFinished):
            self._pending.pop(event.index, None)
            self._render_prompt(event.index)
        elif isinstance(event, AnalysisFinished):
            self.show_entry(entry)  # the final analysis may differ from the live picture (cancel, failure)
        elif isinstance(event, (StageChanged, ModelReady, TranscriptionProgress)):
            self._update_header()

    def flush(self) -> None:
        """Append the buffered response text to its tabs now."""
        self._flush_timer.stop()
        pending, self._pending = self._pending, {}
        if self._entry is None:
            return
        for index, pieces in pending.items():
            self.prompt_page(index).append("".join(pieces))

    def refresh(self) -> None:
        """Redraw the shown entry from scratch."""
        self.show_entry(self._entry)

    def copy_current(self) -> None:
        """Copy the current tab's text (transcript lines or the response) to the clipboard."""
        entry = self._entry
        if entry is None:
            return
        index = self.tabs.currentIndex()
        text = "\n".join(entry.transcript_lines()) if index == self.TRANSCRIPT_TAB else entry.responses[index - 1]
        QGuiApplication.clipboard().setText(text)
