"""The window's side of speaker names: renaming a speaker, confirming or undoing a recognised voice, and undo.

A change shows at once everywhere the window shows the speaker (the transcript's turns, the speaker bar; the
History's search rows once it is saved), goes into the file's ``Analysis`` so exports and prompts run from
then on use the name, and is saved in the history library off the GUI thread
(``Library.rename_speaker``, ``confirm_voice``, ``reject_voice``; ``app.ui.history.tasks.LibraryCalls``).
Ctrl+Z (while the focus is in the results) puts the old name back; the status bar says so after each rename.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack

from app.core.user_files import display_name
from app.ui import messages as status_messages
from app.ui.files.entry import FileEntry
from app.ui.history.tasks import LibraryCalls
from app.ui.results.speakers import clean_name
from app.ui.results.view import RENAME_LATER


UNDO_TEXT, REDO_TEXT = "&Undo", "&Redo"


def _default(speaker: int) -> str:
    return f"Speaker {speaker + 1}"


class _Rename(QUndoCommand):
    """Speaker ``speaker`` of ``entry``'s analysis ``analysis_id`` from ``old`` to ``new`` ("" = "Speaker N")."""

    def __init__(self, actions: SpeakerActions, entry: FileEntry, speaker: int, old: str, new: str) -> None:
        super().__init__(f"renaming {old or _default(speaker)} to {new or _default(speaker)}")
        self.actions, self.entry, self.speaker, self.old, self.new = actions, entry, speaker, old, new
        self.analysis_id = entry.id

    def redo(self) -> None:  # noqa: D102 (QUndoCommand's)
        self.actions.apply_name(self.entry, self.analysis_id, self.speaker, self.new)

    def undo(self) -> None:  # noqa: D102
        if self.actions.apply_name(self.entry, self.analysis_id, self.speaker, self.old):
            shown = self.old or _default(self.speaker)
            self.actions.say(f"{shown} again in {display_name(self.entry.path)}.")


class SpeakerActions(QObject):
    """Renames speakers and confirms or undoes recognised voices for the window's files.

    ``rename(entry, speaker, name)``, ``confirm(entry, speaker)`` and
    ``reject(entry, speaker)`` answer the results view's signals (also callable
    directly). ``undo_action`` (Ctrl+Z, and Ctrl+Shift+Z to redo, while the focus
    is in the results) puts a rename back; the undo history is cleared when a run
    starts. ``calls`` runs the library writes; a failure to save is said in the
    status bar (the name stays in the window).

    Thread-safety: GUI thread only.
    """

    def __init__(self, window, open_library) -> None:
        super().__init__(window)
        self.window = window
        self.calls = LibraryCalls(open_library, self)
        self.calls.done.connect(self._saved)
        self.undo_stack = QUndoStack(self)
        self.undo_action = QAction(UNDO_TEXT, self)
        self.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
        self.undo_action.triggered.connect(self.undo_stack.undo)
        self.redo_action = QAction(REDO_TEXT, self)
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo_action.triggered.connect(self.undo_stack.redo)
        for changed in (self.undo_stack.indexChanged, self.undo_stack.canUndoChanged, self.undo_stack.canRedoChanged):
            changed.connect(self._update_undo)  # bound: disconnected before the stack goes with this object
        self._update_undo()
        results = window.results
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # not the prompt list's
            results.addAction(action)
        results.speaker_renamed.connect(self.rename)
        results.voice_confirmed.connect(self.confirm)
        results.voice_rejected.connect(self.reject)
        results.notice.connect(lambda text: self.say(text, status_messages.SHORT_MS))
        window.host.worker.analysis_started.connect(self._run_started)

    def _update_undo(self, *_changed) -> None:
        # Says what it undoes ("Undo renaming Speaker 2 to Alice"); the menu keeps a plain name when idle.
        stack = self.undo_stack
        self.undo_action.setEnabled(stack.canUndo())
        self.undo_action.setText(f"&Undo {stack.undoText()}" if stack.canUndo() else UNDO_TEXT)
        self.redo_action.setEnabled(stack.canRedo())
        self.redo_action.setText(f"&Redo {stack.redoText()}" if stack.canRedo() else REDO_TEXT)

    def say(self, text: str, ms: int = status_messages.LONG_MS) -> None:
        """Show ``text`` in the window's status bar for ``ms`` milliseconds."""
        self.window.statusBar().showMessage(text, ms)

    @Slot(object)
    def _run_started(self, _analysis) -> None:
        self.undo_stack.clear()  # a run may replace the analysis a rename was made on

    # ---- the user's changes ---------------------------------------------------------------------------------

    def rename(self, entry: FileEntry, speaker: int, name: str) -> bool:
        """Call ``speaker`` (0-based) of ``entry`` ``name`` ("" = back to "Speaker N"); False when nothing
        changed or the file is being analysed (the status bar says so)."""
        name = clean_name(name)
        if name == _default(speaker):
            name = ""
        old = entry.speaker_names.get(speaker, "")
        if entry.active:
            self.say(RENAME_LATER, status_messages.SHORT_MS)
            return False
        if name == old:
            return False
        self.undo_stack.push(_Rename(self, entry, speaker, old, name))
        self.say(f"{old or _default(speaker)} is now {name or _default(speaker)} in {display_name(entry.path)}: "
                 "in the transcript, the exports and the answers run from now on. Ctrl+Z undoes it.")
        return True

    def confirm(self, entry: FileEntry, speaker: int) -> bool:
        """The recognised voice of ``speaker`` is right: keep the name, drop the mark (saved in the library)."""
        name = entry.recognised.get(speaker)
        if name is None or entry.active:
            return False
        entry.confirm_voice(speaker)
        self._show(entry)
        self.calls.call(("confirm", entry.id, speaker), lambda library: library.confirm_voice(entry.id, speaker))
        self.say(f"Confirmed: {_default(speaker)} is {name}.", status_messages.SHORT_MS)
        return True

    def reject(self, entry: FileEntry, speaker: int) -> bool:
        """The recognised voice of ``speaker`` is wrong: back to "Speaker N" (saved in the library)."""
        name = entry.recognised.get(speaker)
        if name is None or entry.active:
            return False
        entry.reject_voice(speaker)
        self._show(entry)
        self.calls.call(("reject", entry.id, speaker), lambda library: library.reject_voice(entry.id, speaker))
        self.say(f"{_default(speaker)} is not {name}; the voiceprint {name} is kept for other recordings.",
                 status_messages.SHORT_MS)
        return True

    def apply_name(self, entry: FileEntry, analysis_id: str, speaker: int, name: str) -> bool:
        """Show and save ``name`` for ``speaker`` of the analysis ``analysis_id`` shown by ``entry``; False (and
        nothing done) when the entry now shows another analysis or is being analysed."""
        if entry.id != analysis_id or entry.active:
            self.say(f"The names of {display_name(entry.path)} can no longer be changed back here: "
                     "it was analysed again.", status_messages.SHORT_MS)
            return False
        entry.rename_speaker(speaker, name)
        self._show(entry)
        self.calls.call(("rename", analysis_id, speaker),
                        lambda library: library.rename_speaker(analysis_id, speaker, name))
        return True

    def _show(self, entry: FileEntry) -> None:
        self.window.files.refresh(entry)
        if self.window.results.entry is entry:
            self.window.results.show_speakers()

    def _saved(self, tag, _result, error: str | None) -> None:
        what, _analysis_id, _speaker = tag
        if error:
            verb = {"rename": "the speaker's name", "confirm": "the confirmed voice", "reject": "the undone voice"}
            self.say(f"Could not save {verb[what]} in the History: {error.rstrip('.')}.", status_messages.STAY)
            return
        entry = self.window.files.find(_analysis_id)
        if what == "rename" and entry is not None and not entry.active and not self.calls.busy():
            # A new name is a new transcript version in the library: the entry shows that version now.
            entry.analysis.transcript_version = _result.transcript_version
            entry.analysis.transcript_edited = _result.transcript_edited
        if not self.calls.busy():
            self.window.history.refresh()  # search rows show the new name
