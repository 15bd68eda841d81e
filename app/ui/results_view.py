"""One file's results: a Transcript tab and one tab per prompt, filled live from pipeline events.

Streamed response text is buffered and appended every ``FLUSH_MS``
milliseconds (never one widget update per token).

Thread-safety: GUI thread only; it reads ``FileEntry`` objects, never a
running ``Analysis``.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.analysis import AnalysisStatus
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
from app.ui import chrome, theme
from app.ui.file_entry import FileEntry
from app.ui.prompt_page import PROMPT_ICONS, PromptPage

TIMESTAMP_COLOR = "#8b95a7"
TRANSCRIPT_PLACEHOLDER = "The transcript appears here, segment by segment, as the recording is decoded."


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
        self.stack.addWidget(chrome.empty_results_page())
        self.stack.addWidget(results)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

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
        empty = entry.finished and not entry.segments
        placeholder, icon = TRANSCRIPT_PLACEHOLDER, "state-done"
        if empty and entry.status is AnalysisStatus.FAILED:
            placeholder, icon = f"No transcript: {entry.error or 'the analysis failed'}.", "state-failed"
        elif empty and entry.status is AnalysisStatus.CANCELLED:
            placeholder, icon = "No transcript: the analysis was cancelled.", "state-cancelled"
        elif empty:
            placeholder = "No speech was found in the recording."
        elif entry.status is AnalysisStatus.QUEUED:
            icon = "state-waiting"
        elif entry.status is AnalysisStatus.RUNNING and entry.prompt_index < 0 and entry.stage in (
                None, Stage.LOADING_WHISPER, Stage.TRANSCRIBING):
            icon = "state-running"
        self.transcript.setPlaceholderText(placeholder)
        self.tabs.setTabIcon(self.TRANSCRIPT_TAB, theme.icon(icon))

    def _render_prompt(self, index: int) -> None:
        entry = self._entry
        status = entry.prompt_statuses[index]
        self.tabs.setTabIcon(index + 1, theme.icon(PROMPT_ICONS[status]))
        self.prompt_page(index).show_result(status, entry.prompt_errors[index], entry.responses[index])

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
