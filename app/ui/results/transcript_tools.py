"""The Transcript tab's tools for correcting and searching: the segment menu (Edit text, Split here, Merge with
next, Speaker), F2 to edit the segment at the cursor in place, the find bar (Ctrl+F), and the version line
("Version 3 · edited · Versions… · Revert") above the transcript.

Edits are asked for, not made, here: ``edit_requested(kind, args)`` carries ("text", (segment, text)),
("split", (segment, offset)), ("merge", (segment,)), ("speaker", (segment, speaker)), ("versions", ()) or
("revert", ()) for the entry shown; ``app.ui.history.edits.TranscriptEdits`` makes and stores them.

Thread-safety: GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QWidget

from app.ui.files.entry import UNSAVED_VERSION, FileEntry
from app.ui.results.find_bar import FindBar
from app.ui.results.segment_editor import SegmentEditor
from app.ui.results.transcript_view import TranscriptView

FIND_LAYER = "find"
EDIT_LATER = "The transcript can be corrected once the file is no longer being analysed."


def version_text(entry: FileEntry) -> str:
    """The version line's words for ``entry``: "" for a transcript never edited (version 0)."""
    analysis = entry.analysis
    if analysis.transcript_version == 0:
        return ""
    if analysis.transcript_version == UNSAVED_VERSION:
        return "Edited · saving…"
    state = "edited" if analysis.transcript_edited else "as transcribed"
    return f"Transcript version {analysis.transcript_version} · {state}"


class TranscriptTools(QObject):
    """Adds the tools of the module docstring to ``view`` (the Transcript tab's view); ``find_bar`` and
    ``version_bar`` are widgets for the tab's layout. ``entry`` is the file shown (None: none)."""

    edit_requested = Signal(str, tuple)
    notice = Signal(str)

    def __init__(self, view: TranscriptView, shortcut_parent: QWidget) -> None:
        super().__init__(view)
        self.view = view
        self.entry: FileEntry | None = None
        self.editor = SegmentEditor(view)
        self.editor.committed.connect(lambda segment, text: self.edit_requested.emit("text", (segment, text)))
        self.find_bar = FindBar(view, lambda selections: view.set_highlights(FIND_LAYER, selections))
        self.version_bar = QWidget()
        self.version_bar.setObjectName("versionBar")
        line = QHBoxLayout(self.version_bar)
        line.setContentsMargins(10, 2, 10, 2)
        self.version_label = QLabel()
        self.version_label.setObjectName("versionLabel")
        self.version_label.setStyleSheet("color: #4b5563;")
        self.versions_link = QLabel('<a href="versions">Versions…</a>')
        self.versions_link.setToolTip("Every stored version of this transcript; make one current again")
        self.revert_link = QLabel('<a href="revert">Revert to the transcription</a>')
        self.revert_link.setToolTip("Back to the transcription as made, as a new version (Ctrl+Z undoes it)")
        for link in (self.versions_link, self.revert_link):
            link.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                         | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
            link.linkActivated.connect(lambda kind: self.edit_requested.emit(kind, ()))
        line.addWidget(self.version_label)
        line.addWidget(self.versions_link)
        line.addWidget(self.revert_link)
        line.addStretch(1)
        self.version_bar.hide()
        view.segment_menu_requested.connect(self._segment_menu)
        view.segment_edit_requested.connect(self.edit_segment)
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), shortcut_parent)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self.open_find)
        self.find_shortcut = find

    def show_entry(self, entry: FileEntry | None) -> None:
        """Show ``entry``'s version line (call again after each change of its transcript)."""
        if entry is not self.entry:
            self.editor.hide()
        self.entry = entry
        text = version_text(entry) if entry is not None else ""
        self.version_label.setText(text)
        self.revert_link.setVisible(bool(entry and entry.analysis.transcript_edited))
        self.version_bar.setVisible(bool(text))

    def open_find(self) -> None:
        """Ctrl+F: the find bar over the transcript, its field focused."""
        self.find_bar.open_bar()

    def _editable(self) -> bool:
        if self.entry is None or not self.entry.segments:
            return False
        if self.entry.active:
            self.notice.emit(EDIT_LATER)
            return False
        return True

    def edit_segment(self, segment: int) -> bool:
        """Open the in-place editor on ``segment``'s text (F2, the menu); False when it cannot be edited now."""
        if not self._editable() or not 0 <= segment < len(self.entry.segments):
            return False
        block, column = self.view.line_of(segment)
        if block < 0:
            return False
        self.editor.edit(block, self.entry.segments[segment].text.strip(), segment, column)
        return True

    def _segment_menu(self, segment: int, offset: int, menu: QMenu) -> None:
        entry = self.entry
        if entry is None or segment >= len(entry.segments):
            return
        enabled = not entry.active
        text = entry.segments[segment].text
        first = menu.actions()[0] if menu.actions() else None
        actions = []
        edit = menu.addAction("Edit text…", lambda: self.edit_segment(segment))
        edit.setShortcut(QKeySequence("F2"))
        actions.append(edit)
        inside = bool(text[:offset].strip()) and bool(text[offset:].strip())
        split = menu.addAction("Split here", lambda: self.edit_requested.emit("split", (segment, offset)))
        split.setEnabled(enabled and inside)
        actions.append(split)
        merge = menu.addAction("Merge with next", lambda: self.edit_requested.emit("merge", (segment,)))
        merge.setEnabled(enabled and segment + 1 < len(entry.segments))
        actions.append(merge)
        speakers = entry.speakers
        if speakers:
            submenu = menu.addMenu("Speaker")
            current = entry.segments[segment].speaker
            for speaker in speakers:
                action = submenu.addAction(entry.speaker_name(speaker),
                                           lambda s=speaker: self.edit_requested.emit("speaker", (segment, s)))
                action.setCheckable(True)
                action.setChecked(speaker == current)
                action.setEnabled(enabled and speaker != current)
            submenu.addSeparator()
            new = max(speakers) + 1
            submenu.addAction(f"New speaker (Speaker {new + 1})",
                              lambda: self.edit_requested.emit("speaker", (segment, new))).setEnabled(enabled)
            actions.append(submenu.menuAction())
        versions = menu.addAction("Transcript versions…", lambda: self.edit_requested.emit("versions", ()))
        actions.append(versions)
        for action in actions:
            action.setEnabled(action.isEnabled() and enabled)
        # The transcript's own actions first: they are what a right-click on a line is for.
        if first is not None:
            for action in actions:
                menu.removeAction(action)
            menu.insertActions(first, actions)
            menu.insertSeparator(first)
