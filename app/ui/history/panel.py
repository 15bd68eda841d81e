"""The History panel: past analyses, newest first, a full-text search box, and Open / Resume / Delete.

It reads the library through ``open_library`` (a context manager giving a
``Library``), only when asked (``refresh``) or when the search text settles;
a listing or an FTS5 search of a few hundred rows takes a few milliseconds,
so it runs in the GUI thread. It never writes: Open, Resume and Delete are
signals for ``app.ui.history.actions`` to carry out.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from PySide6.QtCore import QEvent, QItemSelectionModel, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import HearsayError
from app.core.library.store import Library, LibraryEntry, SearchHit
from app.ui import theme
from app.ui.history.model import HistoryModel, HistoryRow
from app.ui.widgets import HighlightDelegate

LibraryOpener = Callable[[], AbstractContextManager[Library]]
"""Opens the library for one read (``with open_library() as library: ...``); raises LibraryError."""


class HistoryPanel(QWidget):
    """Stored analyses in a table, with a search box over transcripts and answers.

    Signals: ``open_requested(LibraryEntry, SearchHit | None)`` on Enter or a
    double-click (the hit says where the words are); ``resume_requested(LibraryEntry)``;
    ``delete_requested(list[LibraryEntry])`` (the Delete key; the receiver confirms).

    Thread-safety: GUI thread only.
    """

    open_requested = Signal(object, object)
    resume_requested = Signal(object)
    delete_requested = Signal(list)
    SEARCH_DELAY_MS = 200

    def __init__(self, open_library: LibraryOpener, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("historyPanel")
        self._open_library = open_library
        self.model = HistoryModel(self)
        self.search = QLineEdit()
        self.search.setObjectName("historySearch")
        self.search.setPlaceholderText("Search transcripts and answers…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the history")
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(self.SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self._search_entered)
        self.search.installEventFilter(self)  # Down goes to the results, as in a browser's address bar
        self.every_run = QCheckBox("Every run")
        self.every_run.setToolTip("List every run of a recording, not only its newest (re-runs are grouped)")
        self.every_run.toggled.connect(lambda _on: self.refresh())
        self.table = self._build_table()
        self.summary = QLabel()
        self.summary.setObjectName("resultMeta")
        self.open_action = self._action("&Open", self._open_current, "open", "Show its transcript and answers (Enter)")
        self.resume_action = self._action("&Resume", self._resume_current, "analyze",
                                          "Finish what is missing: the rest of the transcript, unfinished prompts")
        self.delete_action = self._action("&Delete…", self._delete_selected, "remove", "Remove from the history (Delete)")
        self.delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.table.addAction(self.delete_action)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(6)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.every_run)
        for action in (self.open_action, self.resume_action, self.delete_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(6)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        self._update_actions()

    def _build_table(self) -> QTableView:
        table = QTableView()
        table.setObjectName("historyTable")
        table.setAccessibleName("History")
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(26)
        table.horizontalHeader().setHighlightSections(False)
        table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        table.setItemDelegateForColumn(HistoryModel.MATCH, HighlightDelegate(table, HistoryModel.HtmlRole))
        table.activated.connect(self._open_index)  # Enter, or a double-click
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._context_menu)
        table.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.model.modelReset.connect(self._fit_columns)
        return table

    def _action(self, text: str, slot, icon: str, tip: str) -> QAction:
        action = QAction(theme.icon(icon), text, self)
        action.setToolTip(tip)
        action.triggered.connect(lambda checked=False: slot())
        return action

    # ---- reading the library ------------------------------------------------------

    def refresh(self) -> None:
        """Read the library again: every entry, or the search hits for the search text. Keeps the selection."""
        self._search_timer.stop()
        keep = {e.id for e in self.selected_entries()}
        text = self.search.text().strip()
        try:
            with self._open_library() as library:
                if text:
                    hits = library.search(text)
                    known = {e.id: e for e in library.entries()}
                    pairs = [(known.get(h.analysis_id) or library.entry(h.analysis_id), h) for h in hits]
                else:
                    entries = library.entries()
        except HearsayError as exc:
            self.model.set_entries([])
            self.summary.setText(f"The history cannot be read: {exc.message}.")
            self._update_actions()
            return
        if text:
            self.model.set_hits(pairs)
            count = len(pairs)
            self.summary.setText(f"{count} match{'es' if count != 1 else ''} for “{text}”. Enter opens one there."
                                 if count else f"Nothing in the history matches “{text}”.")
        else:
            self.model.set_entries(entries, grouped=not self.every_run.isChecked())
            count, recordings = len(entries), self.model.rowCount()
            grouped = f" of {recordings} recording{'s' if recordings != 1 else ''}" if recordings < count else ""
            self.summary.setText(f"{count} analys{'es' if count != 1 else 'is'}{grouped}, newest first. Enter opens "
                                 "one." if count else "No analyses yet: every file you analyse is kept here.")
        self._reselect(keep)
        self._update_actions()

    def _reselect(self, ids: set[str]) -> None:
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        shown = False
        for number, row in enumerate(self.model.rows()):
            if row.entry.id in ids:  # the first row of each (a search may list an analysis more than once)
                ids.discard(row.entry.id)
                self.table.selectionModel().select(self.model.index(number, 0), flags)
                if not shown:
                    shown = True
                    self.table.scrollTo(self.model.index(number, 0))

    def _fit_columns(self) -> None:
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.resizeColumnsToContents()
        header.setSectionResizeMode(HistoryModel.FILE, QHeaderView.ResizeMode.Stretch)
        if self.model.searching:
            header.setSectionResizeMode(HistoryModel.MATCH, QHeaderView.ResizeMode.Stretch)

    # ---- selection and actions ----------------------------------------------------

    def rows(self) -> list[HistoryRow]:
        """The rows shown, in order."""
        return self.model.rows()

    def selected_entries(self) -> list[LibraryEntry]:
        """The selected stored analyses, in table order."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.row(r).entry for r in rows if r < self.model.rowCount()]

    def select_id(self, analysis_id: str) -> bool:
        """Make the row of ``analysis_id`` current and selected; False when it is not shown."""
        for number, row in enumerate(self.model.rows()):
            if row.entry.id == analysis_id:
                flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
                self.table.selectionModel().setCurrentIndex(self.model.index(number, 0), flags)
                return True
        return False

    def focus_list(self) -> None:
        """Put the keyboard focus in the table, on the newest row when none is selected (Enter opens it)."""
        self.table.setFocus()
        if not self.selected_entries() and self.model.rowCount():
            self.select_id(self.model.row(0).entry.id)

    def _search_entered(self) -> None:
        """Enter in the search box: search now, then go to the results (Enter again opens the first)."""
        self.refresh()
        if self.model.rowCount():
            self.focus_list()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.search and event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Down:
            if self._search_timer.isActive():
                self.refresh()
            if self.model.rowCount():
                self.focus_list()
                return True
        return super().eventFilter(watched, event)

    def _current(self) -> tuple[LibraryEntry, SearchHit | None] | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row(), index.parent()):
            selected = self.table.selectionModel().selectedRows()
            if not selected:
                return None
            index = selected[0]
        row = self.model.row(index.row())
        return row.entry, row.hit

    def _open_index(self, index) -> None:
        if index.isValid():
            row = self.model.row(index.row())
            self.open_requested.emit(row.entry, row.hit)

    def _open_current(self) -> None:
        current = self._current()
        if current is not None:
            self.open_requested.emit(*current)

    def _resume_current(self) -> None:
        current = self._current()
        if current is not None and current[0].resumable and current[0].status != "running":
            self.resume_requested.emit(current[0])

    def _delete_selected(self) -> None:
        entries = [e for e in self.selected_entries() if e.status != "running"]
        if entries:
            self.delete_requested.emit(entries)

    def _update_actions(self) -> None:
        selected = self.selected_entries()
        self.open_action.setEnabled(bool(selected))
        self.resume_action.setEnabled(len(selected) == 1 and selected[0].resumable and selected[0].status != "running")
        self.delete_action.setEnabled(any(e.status != "running" for e in selected))

    def _context_menu(self, point: QPoint) -> None:
        if not self.table.indexAt(point).isValid():
            return
        menu = QMenu(self)
        menu.addActions([self.open_action, self.resume_action])
        menu.addSeparator()
        menu.addAction(self.delete_action)
        menu.exec(self.table.viewport().mapToGlobal(point))
