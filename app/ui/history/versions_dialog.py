"""The Transcript versions dialog: every stored version of a file's transcript (number, when, the version it
was made from, what changed), the current one in bold; "Make current" and "Revert to the transcription" hand
the choice to ``TranscriptEdits`` (so both are undoable with Ctrl+Z). The list is read off the GUI thread
(``app.ui.history.tasks.LibraryCalls``).

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from app.core.analysis import TranscriptVersion
from app.core.user_files import display_name
from app.ui.files.entry import FileEntry
from app.ui.history.tasks import LibraryCalls
from app.ui.messages import local_date

NEVER_EDITED = "This transcript was never edited: it is the transcription as made (version 0)."


class VersionsDialog(QDialog):
    """Lists the versions of ``entry``'s transcript (``Library.transcript_versions``) and makes the selected one
    current (``edits.use_version``) or reverts (``edits.revert``), then closes.

    ``summary`` says how many versions there are, or why they could not be read.

    Thread-safety: GUI thread only.
    """

    def __init__(self, entry: FileEntry, edits, open_library, parent=None) -> None:
        super().__init__(parent)
        self.entry, self.edits = entry, edits
        self.setWindowTitle(f"Transcript versions — {display_name(entry.path)}")
        self.setMinimumSize(640, 320)
        self.calls = LibraryCalls(open_library, self)
        self.calls.done.connect(self._listed)
        self.summary = QLabel("Reading the versions…")
        self.summary.setWordWrap(True)
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["Version", "When", "Made from", "What changed"])
        self.list.setRootIsDecorated(False)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.header().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.list.itemDoubleClicked.connect(lambda *_: self.make_current())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.use_button = QPushButton("Make current")
        self.use_button.setToolTip("Show and use this version (exports, questions, answers run again); Ctrl+Z undoes it")
        self.revert_button = QPushButton("Revert to the transcription")
        buttons.addButton(self.use_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.revert_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.use_button.clicked.connect(self.make_current)
        self.revert_button.clicked.connect(self.revert)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.versions: list[TranscriptVersion] = []
        self._update_buttons()
        entry_id = entry.id
        self.calls.call("list", lambda library: library.transcript_versions(entry_id))

    def _listed(self, _tag, versions, error: str | None) -> None:
        if error:
            self.summary.setText(f"The versions could not be read: {error.rstrip('.')}.")
            return
        self.versions = list(versions)
        current = self.entry.analysis.transcript_version
        self.list.clear()
        for version in self.versions:
            item = QTreeWidgetItem([str(version.number), local_date(version.created_at),
                                    "" if version.parent is None else str(version.parent), version.description])
            item.setData(0, Qt.ItemDataRole.UserRole, version.number)
            if version.number == current:
                font = item.font(0)
                font.setBold(True)
                for column in range(4):
                    item.setFont(column, font)
                item.setToolTip(3, "The version shown and used now")
            self.list.addTopLevelItem(item)
        for column in range(3):
            self.list.resizeColumnToContents(column)
        if not self.versions:
            self.summary.setText(NEVER_EDITED)
        else:
            edits = len(self.versions) - 1
            self.summary.setText(f"{len(self.versions)} versions ({edits} edit{'s' if edits != 1 else ''}); version "
                                 f"{current} is shown and used. Nothing here is ever deleted.")
        self._update_buttons()

    def selected(self) -> int | None:
        """The selected version's number, or None."""
        items = self.list.selectedItems()
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else None

    def _update_buttons(self) -> None:
        number = self.selected()
        self.use_button.setEnabled(number is not None and number != self.entry.analysis.transcript_version
                                   and not self.entry.active)
        self.revert_button.setEnabled(self.entry.analysis.transcript_edited and not self.entry.active)

    def make_current(self) -> bool:
        """Make the selected version current and close; False when none (or the current one) is selected."""
        number = self.selected()
        if number is None or number == self.entry.analysis.transcript_version:
            return False
        if self.edits.use_version(self.entry, number):
            self.accept()
            return True
        return False

    def revert(self) -> bool:
        """Back to the transcription as made (a new version) and close."""
        if self.edits.revert(self.entry):
            self.accept()
            return True
        return False
