"""The window's side of transcript edits: correct a segment's text, split, merge, change a segment's speaker,
undo and redo them, revert to the transcription, go back to any stored version.

An edit (``app.core.editing.operations``) shows at once in the transcript and goes into the file's
``Analysis`` (exports, follow-up questions and answers run again use it from then on; answers made before
read as stale); it is stored in the history library as a new transcript version off the GUI thread
(``Library.edit_transcript`` through ``LibraryCalls``, which runs the writes one after another in order).
Undo (Ctrl+Z while the focus is in the results) goes back to the version the edit was made from and Redo
forward to the edit's own version (``Library.switch_transcript_version``): nothing stored is ever deleted.
Edits and speaker renames share one undo history (``SpeakerActions.undo_stack``), so Ctrl+Z undoes the last
change of either kind.

Thread-safety: GUI thread only; the commands' library steps run in the ``LibraryCalls`` thread, in order.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QUndoCommand

from app.core.analysis import Segment, TranscriptChange
from app.core.editing import operations
from app.core.editing.operations import EditError, Edited
from app.core.library.store import Library
from app.core.user_files import display_name
from app.ui import messages as status_messages
from app.ui.files.entry import UNSAVED_VERSION, FileEntry
from app.ui.history.tasks import LibraryCalls
from app.ui.results.transcript_tools import EDIT_LATER



@dataclass(frozen=True)
class _State:
    """What an entry's transcript shows: its segments, speaker names, version number and whether edited."""

    segments: list[Segment]
    names: dict[int, str]
    version: int
    edited: bool


def _state(entry: FileEntry) -> _State:
    return _State(list(entry.segments), dict(entry.speaker_names), entry.analysis.transcript_version,
                  entry.analysis.transcript_edited)


class _Edit(QUndoCommand):
    """One stored edit of ``entry``'s analysis: ``before`` → ``edited`` (the new version's number is known once
    the library stored it; later redos switch to it)."""

    def __init__(self, edits: TranscriptEdits, entry: FileEntry, before: _State, edited: Edited,
                 stored: tuple[int, bool] | None = None) -> None:
        super().__init__(edited.change.description)
        self.edits, self.entry, self.before, self.edited = edits, entry, before, edited
        self.analysis_id = entry.id
        # The edit shown before this one when it is not stored yet (its number comes later, in order).
        top = edits.undo_stack.command(edits.undo_stack.index() - 1) if edits.undo_stack.index() else None
        self.previous = top if isinstance(top, _Edit) and top.analysis_id == self.analysis_id \
            and before.version == UNSAVED_VERSION else None
        # The stored version (number, edited): known for a version chosen from the list, else once stored.
        self.number: int | None = stored[0] if stored else None
        self.after_edited = stored[1] if stored else edited.change.kind != "revert"

    def redo(self) -> None:  # noqa: D102 (QUndoCommand's)
        shown = self.number if self.number is not None else UNSAVED_VERSION
        after = _State(self.edited.segments, self.edited.speaker_names, shown, self.after_edited)
        if not self.edits.show(self.entry, self.analysis_id, after):
            return
        if self.number is None:
            self.edits.store(self, lambda library: self._store_first(library))
        else:
            self.edits.store(self, lambda library: library.switch_transcript_version(self.analysis_id, self.number))

    def _store_first(self, library: Library):
        # In the LibraryCalls thread: later calls (an undo, a redo) run after this one, so they see the number.
        stored = library.edit_transcript(self.analysis_id, self.edited.segments, self.edited.speaker_names,
                                         self.edited.change)
        self.number = stored.transcript_version
        return stored

    def _before_number(self) -> int:
        # In the LibraryCalls thread, after the previous edit's own step: its number is known by then.
        if self.previous is not None and self.previous.number is not None:
            return self.previous.number
        return self.before.version

    def undo(self) -> None:  # noqa: D102
        if self.edits.show(self.entry, self.analysis_id, self.before):
            self.edits.store(self, lambda library: library.switch_transcript_version(self.analysis_id,
                                                                                     self._before_number()))
            self.edits.say(f"Undone: {self.text()}.")


class TranscriptEdits(QObject):
    """Corrects the transcripts of the window's files (see the module docstring).

    ``edit_text``, ``split``, ``merge``, ``set_speaker`` and ``revert`` take the entry and the 0-based segment
    index (and a character offset, a speaker index); each returns False, saying why in the status bar, when
    the edit cannot be made (the file is being analysed, an empty text, a merge of two speakers…).
    ``use_version(entry, number)`` makes a stored version current. ``changed(entry)`` is emitted after every
    change shown, for the views to redraw.

    Thread-safety: GUI thread only.
    """

    changed = Signal(object)

    def __init__(self, window, open_library, undo_stack) -> None:
        super().__init__(window)
        self.window = window
        self.undo_stack = undo_stack
        self._open_library = open_library
        self.calls = LibraryCalls(open_library, self)
        self.calls.done.connect(self._saved)
        self._pending: dict[str, int] = {}  # analysis id -> its edit steps queued and not answered yet
        self.versions_action = QAction("Transcript &versions…", self)
        self.versions_action.setToolTip("Every stored version of the transcript shown; make one current again")
        self.versions_action.triggered.connect(lambda: self._on_shown(self.open_versions))
        self.revert_action = QAction("Revert to the &transcription", self)
        self.revert_action.setToolTip("Back to the transcription as made, as a new version (Ctrl+Z undoes it)")
        self.revert_action.triggered.connect(lambda: self._on_shown(self.revert))

    def _on_shown(self, action) -> None:
        entry = self.window.results.entry
        if entry is None:
            self.say("Choose a file first: its transcript is the one corrected.", status_messages.SHORT_MS)
            return
        action(entry)

    def say(self, text: str, ms: int = status_messages.LONG_MS) -> None:
        """Show ``text`` in the window's status bar for ``ms`` milliseconds."""
        self.window.statusBar().showMessage(text, ms)

    # ---- the user's edits ---------------------------------------------------------------------------------

    def edit_text(self, entry: FileEntry, index: int, text: str) -> bool:
        """Segment ``index`` of ``entry`` now reads ``text``."""
        return self._apply(entry, lambda s, n: operations.edit_text(s, n, index, text))

    def split(self, entry: FileEntry, index: int, offset: int) -> bool:
        """Split segment ``index`` at character ``offset`` of its text (the start of that word)."""
        return self._apply(entry, lambda s, n: operations.split_segment(s, n, index, offset))

    def merge(self, entry: FileEntry, index: int) -> bool:
        """Join segment ``index`` and the next one."""
        return self._apply(entry, lambda s, n: operations.merge_segments(s, n, index))

    def set_speaker(self, entry: FileEntry, index: int, speaker: int) -> bool:
        """Give segment ``index`` to ``speaker`` (one more than the highest: a new speaker)."""
        return self._apply(entry, lambda s, n: operations.set_speaker(s, n, index, speaker))

    def revert(self, entry: FileEntry) -> bool:
        """Back to the transcription as made, as a new version (undoable like any edit)."""
        if not self._editable(entry):
            return False
        if not entry.analysis.transcript_edited:
            self.say(f"The transcript of {display_name(entry.path)} is the transcription as made already.",
                     status_messages.SHORT_MS)
            return False
        entry_id = entry.id

        def load_original(library: Library):
            segments, names, _edited = library.transcript_version_state(entry_id, 0)  # the transcription as made
            return segments, names

        self.calls.call(("original", entry, entry_id, 0), load_original)
        return True

    def use_version(self, entry: FileEntry, number: int) -> bool:
        """Make stored version ``number`` current (from the versions list; undoable like an edit)."""
        if not self._editable(entry):
            return False
        entry_id = entry.id
        self.calls.call(("version", entry, entry_id, number),
                        lambda library: library.transcript_version_state(entry_id, number))
        return True

    def open_versions(self, entry: FileEntry):
        """Open the Transcript versions dialog of ``entry`` (window-modal); returns it."""
        from app.ui.history.versions_dialog import VersionsDialog

        dialog = VersionsDialog(entry, self, self._open_library, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _editable(self, entry: FileEntry) -> bool:
        if entry.active:
            self.say(EDIT_LATER, status_messages.SHORT_MS)
            return False
        return True

    def _apply(self, entry: FileEntry, make) -> bool:
        if not self._editable(entry):
            return False
        try:
            edited = make(list(entry.segments), dict(entry.speaker_names))
        except EditError as exc:
            self.say(f"{exc.message[:1].upper()}{exc.message[1:]}.", status_messages.SHORT_MS)
            return False
        self.undo_stack.push(_Edit(self, entry, _state(entry), edited))
        self.say(f"{edited.change.description}. Ctrl+Z undoes it.", status_messages.SHORT_MS)
        return True

    # ---- showing and storing --------------------------------------------------------------------------------

    def show(self, entry: FileEntry, analysis_id: str, state: _State) -> bool:
        """Show ``state`` in ``entry`` (which must still show analysis ``analysis_id`` and not be running)."""
        if entry.id != analysis_id or entry.active:
            self.say(f"The transcript of {display_name(entry.path)} can no longer be changed back here: "
                     "it was analysed again.", status_messages.SHORT_MS)
            return False
        entry.set_transcript(state.segments, state.names, state.version, state.edited)
        self.changed.emit(entry)
        return True

    def store(self, command: _Edit, action) -> None:
        """Queue a library step of ``command`` (run in order after the earlier ones)."""
        self._pending[command.analysis_id] = self._pending.get(command.analysis_id, 0) + 1
        self.calls.call(("edit", command.entry, command.analysis_id, 0), action)

    def _saved(self, tag, result, error: str | None) -> None:
        what, entry, analysis_id, number = tag
        if what == "edit":
            self._pending[analysis_id] -= 1
        if error:
            self.say(f"Could not save the transcript change in the History: {error.rstrip('.')}.", status_messages.STAY)
            return
        if entry.id != analysis_id or entry.active:
            return
        if what == "original":  # the transcription as made (version 0): stored as a new version, undoable
            edited = Edited(list(result[0]), dict(result[1]), TranscriptChange("revert", "Reverted to the transcription"))
            self.undo_stack.push(_Edit(self, entry, _state(entry), edited))
            self.say("Back to the transcription as made; Ctrl+Z undoes it.", status_messages.SHORT_MS)
        elif what == "version":  # a stored version chosen from the list: made current, undoable
            segments, names, edited_flag = result
            change = TranscriptChange("version", f"Version {number} made current")
            self.undo_stack.push(_Edit(self, entry, _state(entry), Edited(segments, names, change),
                                       stored=(number, edited_flag)))
        elif not self._pending[analysis_id]:
            # The last queued step is stored: what the entry shows is that version; take its number.
            entry.analysis.transcript_version = result.transcript_version
            entry.analysis.transcript_edited = result.transcript_edited
            self.changed.emit(entry)
