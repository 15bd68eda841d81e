"""The Voices dialog: the voiceprints kept in the history library (name, the recording it came from, when),
and Delete (after asking). Read and deleted off the GUI thread (``app.ui.history.tasks.LibraryCalls``).

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from app.core.library.store import Library
from app.ui.history.tasks import LibraryCalls
from app.ui.messages import local_date

EXPLANATION = ("A voiceprint is the voice embedding of a speaker you named (a list of numbers, never audio). "
               "Deleting it stops Hearsay from recognising that voice; the transcripts keep their names.")


@contextmanager
def open_library() -> Iterator[Library]:
    """The history library for one short use (opened, then closed, in the calling thread). Raises LibraryError."""
    library = Library()
    try:
        yield library
    finally:
        library.close()


class VoicesDialog(QDialog):
    """Lists the voiceprints (``Library.voiceprints()``) and deletes the selected one
    (``Library.delete_voiceprint(name)``) after asking.

    ``calls`` runs the library reads and writes; ``summary`` says how many there are or why they could not
    be read. ``confirm_delete(name) -> bool`` asks the user (tests replace it).

    Thread-safety: GUI thread only.
    """

    def __init__(self, parent=None, open_library=open_library) -> None:
        super().__init__(parent)
        self.setWindowTitle("Voices")
        self.setMinimumSize(520, 320)
        self.calls = LibraryCalls(open_library, self)
        self.calls.done.connect(self._done)
        explanation = QLabel(EXPLANATION)
        explanation.setWordWrap(True)
        explanation.setObjectName("resultMeta")
        self.list = QTreeWidget()
        self.list.setObjectName("voicesList")
        self.list.setAccessibleName("Voiceprints")
        self.list.setHeaderLabels(["Name", "Recording", "Kept on"])
        self.list.setRootIsDecorated(False)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.list.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.list.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.summary = QLabel("Reading the voiceprints…")
        self.summary.setObjectName("resultMeta")
        self.summary.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setToolTip("Forget the selected voiceprint (Delete)")
        self.delete_button.setShortcut("Delete")
        self.delete_button.clicked.connect(self.delete_selected)
        buttons.addButton(self.delete_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self._update_buttons()
        self.refresh()

    def refresh(self) -> None:
        """Read the voiceprints again (in the background)."""
        self.calls.call(("list",), lambda library: library.voiceprints())

    def names(self) -> list[str]:
        """The voiceprint names listed, in order."""
        return [self.list.topLevelItem(i).text(0) for i in range(self.list.topLevelItemCount())]

    def select(self, name: str) -> bool:
        """Select the voiceprint ``name``; False when it is not listed."""
        for i in range(self.list.topLevelItemCount()):
            if self.list.topLevelItem(i).text(0) == name:
                self.list.setCurrentItem(self.list.topLevelItem(i))
                return True
        return False

    def confirm_delete(self, name: str) -> bool:
        """Ask before deleting the voiceprint ``name``; True for Delete."""
        answer = QMessageBox.question(self, "Delete voiceprint",
                                      f"Delete the voiceprint {name}? Hearsay will no longer recognise this voice "
                                      "in new recordings; transcripts keep the name.",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def delete_selected(self) -> bool:
        """Delete the selected voiceprint after asking; False when none is selected or the user said no."""
        item = self.list.currentItem()
        if item is None or not self.confirm_delete(item.text(0)):
            return False
        name = item.text(0)
        self.delete_button.setEnabled(False)
        self.calls.call(("delete", name), lambda library: library.delete_voiceprint(name))
        return True

    def _update_buttons(self) -> None:
        self.delete_button.setEnabled(self.list.currentItem() is not None)

    def _done(self, tag, result, error: str | None) -> None:
        if tag[0] == "list":
            self._show(result or [], error)
        elif error:
            self.summary.setText(f"Could not delete the voiceprint {tag[1]}: {error.rstrip('.')}.")
            self._update_buttons()
        else:
            self.refresh()

    def _show(self, voiceprints, error: str | None) -> None:
        self.list.clear()
        for voiceprint in voiceprints:
            item = QTreeWidgetItem([voiceprint.name, voiceprint.source_name or "—",
                                    local_date(voiceprint.created_at)])
            item.setToolTip(1, f"Kept from {voiceprint.source_name} with {voiceprint.model}"
                            if voiceprint.model else voiceprint.source_name)
            self.list.addTopLevelItem(item)
        if error:
            self.summary.setText(f"Could not read the voiceprints: {error.rstrip('.')}.")
        elif not voiceprints:
            self.summary.setText("No voiceprints yet. With “Recognise voices across recordings” on, naming a "
                                 "speaker keeps its voiceprint.")
        else:
            count = len(voiceprints)
            self.summary.setText(f"{count} voiceprint{'s' if count != 1 else ''}, kept in the History library "
                                 "on this computer.")
        self._update_buttons()
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)
