"""One file's results: a Transcript tab and one tab per prompt, filled live from pipeline events.

Above the tabs: the file's name, duration and models, and the context meter
(the transcript's tokens against the language model's context). Under them:
the "Ask about this recording…" line for follow-up questions, each of which
gets a tab of its own. Streamed response text is buffered and appended every
``FLUSH_MS`` milliseconds (never one widget update per token). Between the
tabs and the Ask line: the player strip for the file's recording; the
transcript highlights the segment being played (``app.ui.player``).

Thread-safety: GUI thread only; it reads ``FileEntry`` objects, never a
running ``Analysis``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.analysis import DEMO_NOTE, AnalysisStatus, PromptStatus
from app.core.export.markdown import format_duration
from app.core.library.store import INTERRUPTED
from app.core.llm.prompts import tab_titles
from app.core.pipeline.events import (
    AnalysisFinished,
    ContextMeasured,
    MapProgress,
    ModelReady,
    PromptAdded,
    PromptFinished,
    PromptStarted,
    ResponseDelta,
    SegmentDecoded,
    SpeakersFound,
    StageChanged,
    TranscriptionProgress,
    TranscriptReady,
)
from app.core.speech.transcript_files import is_transcript_file
from app.core.user_files import display_name, display_path
from app.ui import theme
from app.ui.files.entry import FileEntry
from app.ui.messages import map_progress
from app.ui.player.follow import TranscriptFollower
from app.ui.player.strip import PlayerStrip
from app.ui.results.ask_bar import AskBar
from app.ui.results.context_meter import ContextMeter
from app.ui.results.conversation import ConversationPage
from app.ui.results.empty_page import EmptyPage
from app.ui.results.prompt_page import PROMPT_ICONS, PromptPage
from app.ui.results.speakers import SpeakerBar, speakers_not_found
from app.ui.results.transcript_tools import TranscriptTools
from app.ui.results.transcript_view import TranscriptView, transcript_end_note, transcript_state
from app.ui.widgets import ElidedLabel

COPIED_MS = 1500
"""How long the Copy button says "Copied"."""
RENAME_LATER = "Speakers can be renamed once the analysis has finished."
STALE_ANSWER = "Made from an earlier version of the transcript: it has been corrected since."


class ResultsView(QWidget):
    """The selected file's results: header, context meter, Transcript tab, one tab per prompt, Ask line.

    ``show_entry(entry)`` rebuilds the tabs from a ``FileEntry``; ``on_event``
    applies the next pipeline event of the shown entry (call it after
    ``entry.apply(event)``). Tab titles are ``tab_titles(prompts)``
    (``short_title``, longer where two would read the same); tab icons
    show each prompt's status (waiting, running, done, failed, cancelled).
    ``ask_bar.asked(question)`` is the user asking a follow-up about the shown
    entry; a ``PromptAdded`` adds its tab and brings it to the front.

    Speakers: the Transcript tab holds, over the transcript, the line saying why
    speakers were not found (``speakers_note``) and the ``speaker_bar``; a
    ``SpeakersFound`` replaces the transcript shown with its speaker turns. The
    user's changes are signalled, not applied here: ``speaker_renamed(entry,
    speaker, name)`` ("" = back to "Speaker N"), ``voice_confirmed(entry,
    speaker)``, ``voice_rejected(entry, speaker)``; ``show_speakers()`` shows
    the entry's names again afterwards.

    Thread-safety: GUI thread only.
    """

    copied = Signal(str)
    more_tokens_requested = Signal(object, int, int)
    """(entry, prompt index, token limit): run a cut-off answer again with a higher limit."""
    notice = Signal(str)
    """A sentence for the status bar (why a speaker cannot be renamed now)."""
    speaker_renamed = Signal(object, int, str)
    citation_clicked = Signal(float)
    """The user clicked a ``[mm:ss]`` link of a grounded answer (``PromptPage.citation_clicked``): seconds."""
    voice_confirmed = Signal(object, int)
    voice_rejected = Signal(object, int)
    source_located = Signal(object)
    """(FileEntry) the user located the entry's moved recording; its source path points there now."""
    stale_rerun_requested = Signal(object, list)
    """(FileEntry, prompt indices): run these answers, made from another transcript version, again."""
    transcript_edit = Signal(object, str, tuple)
    """(FileEntry, kind, args): the user asked to correct the transcript shown (``TranscriptTools.edit_requested``)."""

    FLUSH_MS = 50
    TRANSCRIPT_TAB = 0

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._entry: FileEntry | None = None
        self._shown_id: str | None = None
        self._pending: dict[int, list[str]] = {}
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(self.FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)
        self._user_picked = False  # the user chose a tab: stop following the running prompt
        self._following = False

        self.title = ElidedLabel()
        self.title.setObjectName("resultTitle")
        self.meta = QLabel()
        self.meta.setObjectName("resultMeta")
        self.meta.setWordWrap(True)
        self.meta.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens the window
        self.context_meter = ContextMeter()
        self.tabs = QTabWidget()
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.tabs.setTabsClosable(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self._pages: list[PromptPage] = []
        self._closed: set[int] = set()
        self.conversation = ConversationPage()
        self.copy_button = QToolButton()
        self.copy_button.setIcon(theme.icon("copy"))
        self.copy_button.setText("Copy")
        self.copy_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.copy_button.setToolTip("Copy this tab's text (Ctrl+Shift+C)")
        self.copy_button.setShortcut("Ctrl+Shift+C")
        self.copy_button.clicked.connect(self.copy_current)
        self.transcript = TranscriptView()
        self.speaker_bar = SpeakerBar()
        self.speakers_note = QLabel()
        self.speakers_note.setObjectName("speakersNote")
        self.speakers_note.setWordWrap(True)
        self.speakers_note.setStyleSheet("color: #b45309;")
        self.speakers_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.speakers_note.hide()
        self.transcript_page = QWidget()
        self.transcript_page.setObjectName("transcriptPage")
        page = QVBoxLayout(self.transcript_page)
        page.setContentsMargins(0, 0, 0, 0)
        page.setSpacing(0)
        top = QVBoxLayout()
        top.setContentsMargins(10, 8, 10, 4)
        top.setSpacing(6)
        top.addWidget(self.speakers_note)
        top.addWidget(self.speaker_bar)
        self._speaker_top = top
        page.addLayout(top)
        self.transcript_tools = TranscriptTools(self.transcript, self)
        self.transcript_tools.edit_requested.connect(
            lambda kind, args: self._entry is not None and self.transcript_edit.emit(self._entry, kind, args))
        self.transcript_tools.notice.connect(self.notice)
        page.addWidget(self.transcript_tools.version_bar)
        page.addWidget(self.transcript_tools.find_bar)
        page.addWidget(self.transcript, 1)
        self.speaker_bar.rename_requested.connect(lambda speaker, name: self._speaker_change(
            self.speaker_renamed, speaker, name))
        self.speaker_bar.confirm_requested.connect(lambda speaker: self._speaker_change(self.voice_confirmed, speaker))
        self.speaker_bar.reject_requested.connect(lambda speaker: self._speaker_change(self.voice_rejected, speaker))
        self.transcript.speaker_clicked.connect(self.edit_speaker)
        self.transcript.speaker_menu_requested.connect(self._speaker_menu)
        self.ask_bar = AskBar()
        self.player = PlayerStrip()
        self.follower = TranscriptFollower(self.transcript, self.player, self)
        self.transcript.segment_activated.connect(self._play_segment)
        self.player.source_located.connect(self._source_located)

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
        names.addSpacing(2)
        names.addWidget(self.context_meter)
        header.addLayout(names, 1)
        header.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(header)
        layout.addSpacing(8)
        layout.addWidget(self.tabs, 1)
        layout.addSpacing(6)
        layout.addWidget(self.player)
        layout.addSpacing(8)
        layout.addWidget(self.ask_bar)

        self.stack = QStackedWidget()
        self.empty_page = EmptyPage()
        self.stack.addWidget(self.empty_page)
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
        """The tab titles, in order ("Transcript" first, "Questions" last when questions were asked)."""
        return [self.tabs.tabText(i) for i in range(self.tabs.count())]

    def prompt_page(self, index: int) -> PromptPage:
        """The page of prompt ``index`` (0-based, prompt order): its tab, or its place in the Questions tab."""
        return self._pages[index]

    def tab_of(self, index: int) -> int:
        """The tab showing prompt ``index`` (the Questions tab for a question; -1 when its tab is closed)."""
        page = self._pages[index]
        return self.tabs.indexOf(self.conversation if page in self.conversation.pages else page)

    def prompt_of_tab(self, tab: int) -> int | None:
        """The prompt shown in ``tab`` (None for the Transcript and the Questions tab)."""
        widget = self.tabs.widget(tab)
        return self._pages.index(widget) if widget in self._pages else None

    def show_entry(self, entry: FileEntry | None) -> None:
        """Show ``entry``'s results (None: the empty page).

        Showing the entry already shown updates its tabs in place (no flicker,
        the current tab and scroll positions stay).
        """
        self._pending.clear()
        self._flush_timer.stop()
        same = (entry is not None and entry is self._entry and entry.id == self._shown_id
                and len(self._pages) == len(entry.prompts))
        if entry is not self._entry:
            self._user_picked = False
            self._closed = set()
            self.follower.clear()
        self._entry = entry
        self.player.set_source(recording_of(entry))
        self.transcript_tools.show_entry(entry)
        if entry is None:
            self._shown_id = None
            self.stack.setCurrentIndex(0)
            return
        self.stack.setCurrentIndex(1)
        if not same:
            self._rebuild(entry)
        self.show_speakers()
        for index in range(len(entry.prompts)):
            self._render_prompt(index)
        self._retitle()
        self._update_header()

    def _rebuild(self, entry: FileEntry) -> None:
        current = self.tabs.currentIndex()
        self._shown_id = entry.id
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.removeTab(0)
        for page in self._pages:
            page.deleteLater()
        self.conversation.deleteLater()
        self.conversation = ConversationPage()
        self._pages = []
        self._unclosable(self.tabs.addTab(self.transcript_page, "Transcript"))
        self.transcript.reset()
        for index in range(len(entry.prompts)):
            self._add_page(index)
        self.tabs.setCurrentIndex(current if 0 <= current < self.tabs.count() else 0)
        self.tabs.blockSignals(False)

    def _add_page(self, index: int) -> PromptPage:
        """The page of prompt ``index``: a tab of its own, or a place in the Questions tab for a question."""
        page = PromptPage()
        page.continue_requested.connect(lambda: self._more_tokens(page))
        page.citation_clicked.connect(self.citation_clicked)
        page.rerun_requested.connect(lambda: self._entry is not None and self.stale_rerun_requested.emit(
            self._entry, self._entry.stale_prompts()))
        self._pages.append(page)
        if self._entry.prompt_kinds[index] == "question":
            page.set_heading(self._entry.prompts[index], question=True)
            self.conversation.add_question(page)
            if self.tabs.indexOf(self.conversation) < 0:
                self._unclosable(self.tabs.addTab(self.conversation, theme.icon("state-done"), "Questions"))
        else:
            page.set_heading(self._entry.prompts[index])
            if index not in self._closed:
                at = self.tabs.indexOf(self.conversation)
                self.tabs.insertTab(at if at >= 0 else self.tabs.count(), page, "")
        return page

    def _unclosable(self, tab: int) -> None:
        for side in (QTabBar.ButtonPosition.LeftSide, QTabBar.ButtonPosition.RightSide):
            self.tabs.tabBar().setTabButton(tab, side, None)

    def close_tab(self, tab: int) -> None:
        """Close a prompt's tab (its answer stays in the file, the exports and History; the tabs'
        right-click menu brings closed tabs back). The Transcript and Questions tabs stay."""
        index = self.prompt_of_tab(tab)
        if index is not None:
            self._closed.add(index)
            self.tabs.removeTab(tab)

    def reopen_tabs(self) -> None:
        """Show the prompt tabs closed before, in prompt order."""
        closed, self._closed = sorted(self._closed), set()
        for index in closed:
            page = self._pages[index]
            later = [self.tab_of(i) for i in range(index + 1, len(self._pages)) if self.tab_of(i) > 0]
            self.tabs.insertTab(min(later) if later else self.tabs.count(), page, "")
            self._render_prompt(index)
        self._retitle()

    def closed_tabs(self) -> int:
        """How many prompt tabs are closed."""
        return len(self._closed)

    def _more_tokens(self, page: PromptPage) -> None:
        index = self._pages.index(page) if page in self._pages else -1
        entry = self._entry
        if entry is not None and 0 <= index < len(entry.prompts) and entry.prompt_cut_off[index]:
            self.more_tokens_requested.emit(entry, index, max(2 * entry.prompt_cut_off[index], 64))

    def _retitle(self) -> None:
        # Titles depend on all prompts (made distinct), so another prompt may change the others.
        entry = self._entry
        listed = [i for i, kind in enumerate(entry.prompt_kinds) if kind != "question"]
        titles = tab_titles([entry.prompts[i] for i in listed], [entry.prompt_names[i] for i in listed])
        for index, title in zip(listed, titles):
            tab = self.tab_of(index)
            if tab < 0:
                continue
            self.tabs.setTabText(tab, title)
            note, prompt = entry.prompt_notes[index], entry.prompts[index]
            self.tabs.setTabToolTip(tab, f"{prompt}\n\n{note}" if note else prompt)
        questions = self.tabs.indexOf(self.conversation)
        if questions >= 0:
            count = len(self.conversation.pages)
            self.tabs.setTabToolTip(questions, f"{count} question{'s' if count != 1 else ''} asked about this file")

    def _render_prompt(self, index: int) -> None:
        entry = self._entry
        status = entry.prompt_statuses[index]
        tab = self.tab_of(index)
        if tab >= 0 and entry.prompt_kinds[index] != "question":
            self.tabs.setTabIcon(tab, theme.icon(PROMPT_ICONS[status]))
        page = self.prompt_page(index)
        cut_off = entry.prompt_cut_off[index]
        page.show_result(status, entry.prompt_errors[index], entry.responses[index], cut_off=cut_off,
                         limit=max(2 * cut_off, 64) if cut_off else 0)
        page.show_grounding(entry.segments)  # a done answer's sentences marked against the transcript
        result = entry.analysis.prompt_results[index] if index < len(entry.analysis.prompt_results) else None
        stale = result is not None and not entry.active and entry.analysis.is_stale(result)
        page.set_stale(STALE_ANSWER if stale else None)
        page.set_note(entry.prompt_notes[index])
        answered = status is PromptStatus.RUNNING or bool(entry.responses[index])
        page.set_demo_note(DEMO_NOTE if entry.llm_demo and answered else None)
        page.text.setToolTip(entry.prompt_usage[index])
        if entry.map_part and entry.prompt_index == index:
            page.text.setPlaceholderText(f"Reading the transcript, {map_progress(*entry.map_part)}…")

    def _update_header(self) -> None:
        entry = self._entry
        self.title.hint = display_path(entry.path)
        self.title.setText(display_name(entry.path))
        parts = []
        if entry.seconds_total:
            parts.append(format_duration(entry.seconds_total))
        parts += [entry.models[role] for role in ("whisper", "llm") if role in entry.models]
        if entry.status is AnalysisStatus.FAILED and entry.error:
            parts.append(f"failed: {entry.error}")
        elif entry.status is AnalysisStatus.CANCELLED:
            parts.append("interrupted" if entry.error == INTERRUPTED else "cancelled")
        elif entry.status is AnalysisStatus.QUEUED:
            parts.append("queued")
        if entry.note:
            parts.append(entry.note)
        self.meta.setText("  ·  ".join(parts))
        self.context_meter.show_measure(entry.context)
        placeholder, icon = transcript_state(entry)
        self.transcript.setPlaceholderText(placeholder)
        self.transcript.set_end_note(transcript_end_note(entry))
        self.tabs.setTabIcon(self.TRANSCRIPT_TAB, theme.icon(icon))
        if entry.can_ask:
            self.ask_bar.set_available(True)
        else:
            reason = ("No questions without a transcript." if entry.finished
                      else "Ask a question once the file is analysed…")
            self.ask_bar.set_available(False, reason)

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
            self.transcript.sync(entry.segments)
            self._update_header()
        elif isinstance(event, (PromptStarted, MapProgress)):
            self._pending.pop(event.index, None)
            self._render_prompt(event.index)
            self._update_header()
            if isinstance(event, PromptStarted) and self.tab_of(event.index) >= 0:
                self._follow(self.tab_of(event.index))
        elif isinstance(event, PromptFinished):
            self._pending.pop(event.index, None)
            self._render_prompt(event.index)
            self._retitle()
        elif isinstance(event, PromptAdded):
            while len(self._pages) < len(entry.prompts):
                self._add_page(len(self._pages))
            self._render_prompt(event.index)
            self._retitle()
            self._follow(self.tab_of(event.index), force=True)  # the user just asked: show the answer coming in
            self._update_header()
        elif isinstance(event, AnalysisFinished):
            self.show_entry(entry)  # the final analysis may differ from the live picture (cancel, failure)
        elif isinstance(event, (SpeakersFound, TranscriptReady)):
            self.show_speakers()  # the transcript in speaker turns (or a reused one) replaces the one shown
            self._update_header()
        elif isinstance(event, StageChanged):
            self._update_header()
            self._show_speaker_bar()  # renaming waits for the end of the run
        elif isinstance(event, (ModelReady, TranscriptionProgress, ContextMeasured)):
            self._update_header()

    # ---- playing ------------------------------------------------------------------

    def play_at(self, seconds: float, show_transcript: bool = False) -> None:
        """Play the shown file's recording from ``seconds`` (a citation's ``[mm:ss]`` link): the transcript
        highlights the segment there and scrolls to it, follow mode comes on. The current tab stays unless
        ``show_transcript``."""
        if show_transcript:
            self.tabs.setCurrentIndex(self.TRANSCRIPT_TAB)
        index = self.follower.segment_at(seconds)
        if index is not None:
            self.transcript.highlight_segment(index)
            self.transcript.keep_in_view(index)
        self.follower.set_following(True)
        self.player.play_from(seconds)

    def _play_segment(self, _index: int, start: float) -> None:
        self.follower.set_following(True)  # a click on a timestamp turns follow mode on again
        self.player.play_from(start)

    def _source_located(self, path) -> None:
        entry = self._entry
        if entry is not None:
            entry.relocate(path)
            self._update_header()
            self.source_located.emit(entry)

    # ---- speakers -----------------------------------------------------------------

    def show_speakers(self) -> None:
        """Show the shown entry's transcript with its speakers' current names, the speaker bar and, when
        diarization failed, the line saying why."""
        entry = self._entry
        if entry is None:
            return
        self.transcript.set_speakers(entry.speaker_names, set(entry.recognised))
        self.transcript.sync(entry.segments)
        self._show_speaker_bar()
        error = entry.diarization.error if entry.diarization is not None else None
        self.speakers_note.setText(speakers_not_found(error) if error else "")
        self.speakers_note.setVisible(bool(error))
        shown = bool(error or entry.speakers)
        self._speaker_top.setContentsMargins(*((10, 8, 10, 4) if shown else (0, 0, 0, 0)))
        self.follower.refresh()  # a redrawn transcript highlights the segment being played again

    def redraw_transcript(self) -> None:
        """Draw the shown entry's transcript again from its segments (after an edit anywhere in it), keeping
        the scroll position and the note at its end."""
        if self._entry is None:
            return
        bar = self.transcript.verticalScrollBar()
        at, note = bar.value(), self.transcript.end_note()
        self.transcript.reset()
        self.show_speakers()
        self.transcript.set_end_note(note)
        bar.setValue(at)
        self.transcript_tools.show_entry(self._entry)
        for index in range(len(self._entry.prompts)):
            self._render_prompt(index)  # answers made from another version say so

    def _show_speaker_bar(self) -> None:
        entry = self._entry
        if entry is not None:
            self.speaker_bar.show_speakers(entry.speakers, entry.speaker_names, entry.recognised,
                                           editable=not entry.active, why_not=RENAME_LATER)

    def edit_speaker(self, speaker: int) -> bool:
        """Open the rename editor of ``speaker`` in the speaker bar (the Transcript tab in front); False when
        it cannot be renamed now (the status bar's message says why)."""
        self.tabs.setCurrentIndex(self.TRANSCRIPT_TAB)
        if self.speaker_bar.edit(speaker):
            return True
        if self._entry is not None and self._entry.active:
            self.notice.emit(RENAME_LATER)
        return False

    def _speaker_change(self, signal, speaker: int, *args) -> None:
        if self._entry is not None and not self._entry.active:
            signal.emit(self._entry, speaker, *args)

    def _speaker_menu(self, speaker: int, menu: QMenu) -> None:
        entry = self._entry
        if entry is None:
            return
        name = entry.speaker_name(speaker)
        menu.addSeparator()
        rename = menu.addAction(f"Rename {name}…", lambda: self.edit_speaker(speaker))
        actions = [rename]
        if speaker in entry.recognised:
            actions.append(menu.addAction(f"Yes, this is {name}",
                                          lambda: self._speaker_change(self.voice_confirmed, speaker)))
            actions.append(menu.addAction(f"Not {name}", lambda: self._speaker_change(self.voice_rejected, speaker)))
        for action in actions:
            action.setEnabled(not entry.active)

    def flush(self) -> None:
        """Append the buffered response text to its tabs now."""
        self._flush_timer.stop()
        pending, self._pending = self._pending, {}
        if self._entry is None:
            return
        for index, pieces in pending.items():
            self.prompt_page(index).append("".join(pieces))

    def follow_running(self) -> None:
        """A run of the shown file begins: follow its running prompt's tab again (until the user picks one)."""
        self._user_picked = False

    def _follow(self, tab: int, force: bool = False) -> None:
        if (force or not self._user_picked) and self.tabs.currentIndex() != tab:
            self._following = True
            try:
                self.tabs.setCurrentIndex(tab)
            finally:
                self._following = False

    def _tab_changed(self, _index: int) -> None:
        if not self._following and not self.tabs.signalsBlocked():
            self._user_picked = True

    def step_tab(self, step: int) -> None:
        """Show the next (``step`` 1) or previous (-1) tab, wrapping around."""
        if self.tabs.count():
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % self.tabs.count())

    def refresh(self) -> None:
        """Redraw the shown entry from scratch."""
        self.show_entry(self._entry)

    def copy_current(self) -> None:
        """Copy the current tab's text (transcript lines or the response) to the clipboard."""
        entry = self._entry
        if entry is None:
            return
        tab = self.tabs.currentIndex()
        widget, index = self.tabs.widget(tab), self.prompt_of_tab(tab)
        if widget is self.conversation:
            text, what = self.conversation.markdown(), "the questions and answers"
        elif index is not None:
            text, what = entry.responses[index], f"the answer “{self.tabs.tabText(tab)}”"
        else:
            text, what = "\n".join(entry.transcript_lines()), "the transcript"
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(f"Copied {what} ({len(text):,} characters) to the clipboard.")
        self.copy_button.setText("Copied")
        QTimer.singleShot(COPIED_MS, self.copy_button, lambda: self.copy_button.setText("Copy"))  # not after it is gone


def recording_of(entry: FileEntry | None) -> Path | None:
    """The recording the player plays for ``entry``: its source file, or None (no entry, or a transcript
    read from a .txt / .json file, which has no sound)."""
    if entry is None or is_transcript_file(entry.path):
        return None
    return entry.path
