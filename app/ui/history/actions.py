"""The window's side of the history library: the History dock, opening, resuming and deleting stored
analyses, and the notices the library gives (a reused transcript, a library that cannot be written).

A stored analysis opens as a ``FileEntry`` in the file list whose analysis is
already finished, so the results view shows its transcript and one tab per
prompt without running anything; from there the Ask line, "Run again" and
Resume work as on any finished file (``app.ui.files.rerun``). The library
is opened for each short listing in the GUI thread (milliseconds); a whole
analysis is read, and deleted, in the background (``app.ui.history.tasks``);
everything that runs an engine goes through the worker.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QTextCursor
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QMessageBox, QStyle, QToolButton, QWidget

from app.core.analysis import Analysis
from app.core.errors import HearsayError
from app.core.library.store import Library, LibraryEntry, SearchHit, busy_message, running_elsewhere
from app.core.pipeline.engines import settings_from_dict
from app.core.pipeline.events import TranscriptReady
from app.core.pipeline.recorder import for_resume
from app.core.user_files import display_name
from app.ui import messages as status_messages
from app.ui.files.entry import FileEntry
from app.ui.files.rerun import RerunActions
from app.ui.history.model import describe, group_runs
from app.ui.history.panel import HistoryPanel
from app.ui.history.tasks import HistoryTasks
from app.ui.widgets import section_title

RECENT = 6
"""Recent recordings listed on the empty results page."""
RECENT_SCAN = 200
"""Newest analyses read to find them (re-runs are grouped)."""


class History(QObject):
    """The History dock (``panel``, toggled by ``toggle_action``, Ctrl+H) and what its rows do.

    ``open_stored`` shows a stored analysis in the window, ``resume`` finishes
    an interrupted or cancelled one (the rest of the transcript, then only the
    unfinished prompts, with the settings it ran with), ``delete`` removes
    entries after asking. The panel refreshes when a file finishes. ``reruns``
    holds Transcribe again / Run again / Resume for the file list and the tabs. The panel reads the library
    again when a file starts (its row says Running) and when it finishes.

    Signal: ``opened(FileEntry)`` once a stored analysis is shown.

    Thread-safety: GUI thread only.
    """

    opened = Signal(object)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self._tasks = HistoryTasks(self.library, self)
        self._tasks.loaded.connect(self._loaded)
        self._tasks.deleted.connect(self._deleted)
        self._names: dict[str, str] = {}
        self._waiting: dict[str, tuple[SearchHit | None, Callable[[FileEntry], object] | None]] = {}
        self.panel = HistoryPanel(self.library)
        self.dock = QDockWidget("History", window)
        self.dock.setObjectName("historyDock")
        self.dock.setWidget(self.panel)
        self.dock.setTitleBarWidget(self._title_bar())
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self._sized = False
        self.toggle_action = self.dock.toggleViewAction()
        self.toggle_action.setText("&History")
        self.toggle_action.setShortcut(QKeySequence("Ctrl+H"))
        self.toggle_action.setToolTip("Past analyses: open, search, resume or delete them (Ctrl+H)")
        window.addAction(self.toggle_action)
        self.reruns = RerunActions(window, self.resume)
        self._stale = True

        self.panel.open_requested.connect(self.open_stored)
        self.panel.resume_requested.connect(self.resume_stored)
        self.panel.delete_requested.connect(self.delete)
        window.results.empty_page.recent_opened.connect(self.open_stored)
        self.dock.visibilityChanged.connect(lambda visible: visible and self._shown())
        self.toggle_action.triggered.connect(lambda shown: shown and self.panel.focus_list())
        window.file_finished.connect(lambda _entry: self.refresh())
        # Bound slots of this GUI-thread QObject, so Qt queues these worker-thread signals to the GUI
        # thread (a lambda would run in the worker thread and touch widgets there).
        window.host.worker.analysis_started.connect(self._on_analysis_started)
        window.host.worker.library_problem.connect(self._on_library_problem)
        window.host.worker.event.connect(self._on_event)

    @Slot(object)
    def _on_analysis_started(self, _analysis) -> None:
        self.refresh()  # stored as running by now

    @Slot(str)
    def _on_library_problem(self, sentence: str) -> None:
        self.window.statusBar().showMessage(sentence, status_messages.STAY)

    def _title_bar(self) -> QWidget:
        # A section title like FILES and PROMPTS, and a close button (Ctrl+H shows it again).
        bar = QWidget()
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(12, 6, 10, 0)
        layout.addWidget(section_title("HISTORY"))
        layout.addStretch(1)
        close = QToolButton()
        close.setObjectName("smallButton")
        close.setIcon(bar.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton))
        close.setToolTip("Hide the History (Ctrl+H)")
        close.clicked.connect(self.dock.hide)
        layout.addWidget(close)
        return bar

    def _shown(self) -> None:
        if not self._sized:  # a modest height the first time; the user's own afterwards
            self._sized = True
            self.window.resizeDocks([self.dock], [250], Qt.Orientation.Vertical)
        if self._stale:
            self.refresh()

    @contextmanager
    def library(self) -> Iterator[Library]:
        """The history library for one short use (opened, then closed, in the calling thread). Raises LibraryError."""
        library = Library()
        try:
            yield library
        finally:
            library.close()

    def _say(self, text: str, ms: int = status_messages.LONG_MS) -> None:
        self.window.statusBar().showMessage(text, ms)

    # ---- the panel ----------------------------------------------------------------

    def show_panel(self) -> None:
        """Show the History dock (read afresh) with the keyboard focus in its list."""
        self.dock.show()
        self.dock.raise_()
        self.refresh()
        self.panel.focus_list()

    def refresh(self) -> None:
        """Read the library into the panel now when it is shown, else when it is next shown; and the recent
        analyses into the empty results page."""
        self._stale = not self.dock.isVisible()
        if not self._stale:
            self.panel.refresh()
        self.show_recent()

    def show_recent(self, count: int = RECENT) -> None:
        """Put the ``count`` newest recordings analysed (re-runs grouped) on the empty results page."""
        try:
            with self.library() as library:
                entries = library.entries(limit=RECENT_SCAN)
        except HearsayError:
            entries = []
        rows = [(row.entry.id, describe(row.entry) + (f" · {len(row.earlier) + 1} runs" if row.earlier else ""),
                 row.entry.source_path) for row in group_runs(entries)[:count]]
        self.window.results.empty_page.show_recent(rows)

    def _on_event(self, analysis_id: str, event) -> None:
        if isinstance(event, TranscriptReady) and event.reused_from:
            entry = self.window.files.find(analysis_id)
            name = display_name(entry.path) if entry is not None else "this file"
            self._say(f"{status_messages.transcript_reused(event.reused_created_at)} for {name}; "
                      "to make a new one, right-click it and choose Transcribe again.", status_messages.STAY)

    # ---- opening --------------------------------------------------------------------

    def open_stored(self, stored: LibraryEntry | str, hit: SearchHit | None = None,
                    then: Callable[[FileEntry], object] | None = None) -> FileEntry | None:
        """Show a stored analysis (an entry or an id) in the window, at ``hit`` when given; runs nothing.

        A file in the list already showing that analysis is selected at once
        and returned. Otherwise the analysis is read in the background and
        None returned; once read, it takes the place of a finished entry of
        the same file or gets a row of its own, ``opened`` is emitted and
        ``then(entry)`` called. A failure to read it is said in the status bar.
        """
        analysis_id = stored if isinstance(stored, str) else stored.id
        entry = self.window.files.find(analysis_id)
        if entry is not None:
            self._show(entry, hit, then)
            return entry
        earlier = self._waiting.get(analysis_id)
        self._waiting[analysis_id] = (hit, then or (earlier[1] if earlier else None))  # a Resume is not dropped
        self._tasks.load(analysis_id)
        return None

    def _loaded(self, analysis_id: str, analysis: Analysis | None, error: str | None) -> None:
        hit, then = self._waiting.pop(analysis_id, (None, None))
        if analysis is None:
            self._say(f"Could not open that analysis: {error}.", status_messages.STAY)
            return
        entry = self.window.files.find(analysis_id)  # (a run may have put it there meanwhile)
        if entry is None:
            entry = self._place(analysis)
            self._say(status_messages.history_opened(display_name(entry.path), analysis.created_at))
        self._show(entry, hit, then)

    def _show(self, entry: FileEntry, hit: SearchHit | None, then) -> None:
        if self.window.file_view.current_entry() is entry:
            self.window.results.show_entry(entry)
        else:
            self.window.file_view.select_entry(entry)
        self._jump(entry, hit)
        self.opened.emit(entry)
        if then is not None:
            then(entry)

    def _place(self, analysis: Analysis) -> FileEntry:
        note = status_messages.from_history(analysis.created_at)
        entry = self.window.files.find_path(analysis.source)
        if entry is not None and entry.finished:
            entry.take(analysis, note)
            self.window.files.refresh(entry)
            if self.window.results.entry is entry:
                self.window.results.refresh()
            return entry
        entry = FileEntry.restored(analysis, note)
        self.window.files.add(entry)
        return entry

    def _jump(self, entry: FileEntry, hit: SearchHit | None) -> None:
        results = self.window.results
        if hit is None or results.entry is not entry:
            return
        if hit.kind == "speaker":  # a speaker's name matched: the transcript, where the names are
            results.tabs.setCurrentIndex(results.TRANSCRIPT_TAB)
            return
        if hit.kind != "segment":
            if 0 <= hit.idx < len(entry.prompts):
                results.tabs.setCurrentIndex(hit.idx + 1)
            return
        results.tabs.setCurrentIndex(results.TRANSCRIPT_TAB)
        block = results.transcript.document().findBlockByNumber(results.transcript.block_of(hit.idx))
        if block.isValid():
            results.transcript.setTextCursor(QTextCursor(block))
            results.transcript.centerCursor()

    # ---- resuming and deleting ------------------------------------------------------

    def resume_stored(self, stored: LibraryEntry | str) -> None:
        """Open a stored analysis and resume it (see ``resume``) once it is read."""
        self.open_stored(stored, then=self.resume)

    def resume(self, entry: FileEntry) -> bool:
        """Finish ``entry``'s analysis with the settings it ran with: transcribe from the last stored segment's
        end, then run only the prompts that did not finish. False when it is busy, here or in another
        Hearsay process (which the status bar says)."""
        settings = fallback = self.window.settings.engine_settings()
        try:
            with self.library() as library:
                stored = library.entry(entry.id)
                if running_elsewhere(stored):
                    self._say(f"Not resumed: {busy_message(stored.id, stored.source_name, stored.owner_pid)}.",
                              status_messages.STAY)
                    return False
                settings = settings_from_dict(library.stored_settings(entry.id), fallback)
        except HearsayError:  # not stored (the library is off): the current settings
            pass
        if entry.active:
            self._say(f"{display_name(entry.path)} is still being analysed.", status_messages.SHORT_MS)
            return False
        entry.take(for_resume(entry.analysis), entry.note)
        self.window.files.refresh(entry)
        if self.window.results.entry is entry:
            self.window.results.refresh()
        self.window.submit([entry], settings)
        self._say(f"Resuming {display_name(entry.path)}: only what is missing runs.", status_messages.SHORT_MS)
        return True

    def delete(self, stored: list[LibraryEntry]) -> int:
        """Remove ``stored`` entries from the library (in the background) after asking; analyses running now
        are kept (the status bar says so). Returns how many are being deleted. Files in the list stay there."""
        busy = {e.id for e in self.window.entries() if e.active}
        doomed = [e for e in stored if e.id not in busy and e.status != "running"]
        kept = [e for e in stored if e not in doomed]
        if kept:
            self._say(f"Not deleted: {kept[0].source_name} is being analysed now." if len(kept) == 1 else
                      f"Not deleted: {len(kept)} analyses are being analysed now.", status_messages.STAY)
        if not doomed:
            return 0
        what = (f"the analysis of {describe(doomed[0])}" if len(doomed) == 1 else
                f"{len(doomed)} analyses ({'; '.join(describe(e) for e in doomed[:3])}{'; …' if len(doomed) > 3 else ''})")
        answer = QMessageBox.question(self.window, "Delete from History",
                                      f"Delete {what} from History? Its transcript and answers are removed "
                                      "from this computer.", QMessageBox.StandardButton.Yes
                                      | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return 0
        self._names.update((e.id, e.source_name) for e in doomed)
        self._tasks.delete([e.id for e in doomed])
        return len(doomed)

    def _deleted(self, ids: list[str], error: str | None) -> None:
        names = [self._names.pop(i, "an analysis") for i in ids]
        if error:
            self._say(f"Could not delete from History: {error}.", status_messages.STAY)
        elif names:
            self._say(status_messages.deleted(names))
        self.refresh()

    def update_actions(self, selected: list[FileEntry]) -> None:
        """Enable the file actions for the ``selected`` files."""
        self.reruns.update_actions(selected)
