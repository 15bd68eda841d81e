"""Correcting a transcript in the window (issue 14 §2), on a stored analysis: an edit shows at once, is stored
as a version off the GUI thread, Ctrl+Z / Ctrl+Shift+Z go back and forth between versions, revert and a
version chosen from the list are undoable too, and answers made before an edit read as stale."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from PySide6.QtCore import Qt

from app.core.analysis import Analysis
from app.core.library.store import Library
from app.core.pipeline.batch import run_batch
from app.core.pipeline.engines import EngineSettings
from app.core.pipeline.recorder import LibraryRecorder
from app.ui.files.entry import FileEntry
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"
TEXTS = ["We are riding the press release today.", "Marta owns the budget review.", "The party is in Lisbon."]


def stored_analysis(speakers=None) -> Analysis:
    """An analysis of speech.wav run on scripted engines and stored in the (test's own) history library."""
    analysis = Analysis(source=SPEECH, prompts=["Summarize."])
    segments = make_segments(TEXTS)
    if speakers:
        segments = [dataclasses.replace(s, speaker=k) for s, k in zip(segments, speakers)]
    library = Library()
    try:
        recorder = LibraryRecorder(library, EngineSettings(), reuse_transcripts=False)
        for _ in run_batch([analysis], ScriptedTranscriber(segments), ScriptedPromptRunner(), threading.Event(),
                           recorder=recorder):
            pass
        return library.load(analysis.id)
    finally:
        library.close()


def show(window, analysis: Analysis) -> FileEntry:
    entry = FileEntry.restored(analysis)
    window.files.add(entry)
    window.file_view.select_entry(entry)
    window.results.tabs.setCurrentIndex(0)
    return entry


def saved(window, qtbot) -> None:
    qtbot.waitUntil(lambda: not window.edits.calls.busy(), timeout=5000)
    qtbot.wait(20)  # the last answer is delivered through the event loop


def current(analysis_id: str) -> tuple[int, list[str]]:
    library = Library()
    try:
        stored = library.load(analysis_id)
        return stored.transcript_version, [s.text for s in stored.transcript.segments]
    finally:
        library.close()


def text(window) -> str:
    return window.results.transcript.toPlainText()


def test_an_edit_shows_at_once_is_stored_as_a_version_and_ctrl_z_goes_back_and_forth(make_window, qtbot):
    window = make_window(auto_start=False)
    entry = show(window, stored_analysis())
    assert window.edits.edit_text(entry, 0, "We are writing the press release today.")
    assert "[00:00] We are writing the press release today." in text(window)  # before it is stored
    assert entry.stale_prompts() == [0]
    saved(window, qtbot)
    assert current(entry.id) == (1, ["We are writing the press release today.", *TEXTS[1:]])
    assert entry.analysis.transcript_version == 1 and entry.analysis.transcript_edited
    assert window.speakers.undo_action.text() == '&Undo Segment 1: "riding" → "writing"'

    window.results.transcript.setFocus()
    qtbot.keyClick(window.results.transcript, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "[00:00] We are riding the press release today." in text(window) and entry.stale_prompts() == []
    saved(window, qtbot)
    assert current(entry.id) == (0, TEXTS)
    qtbot.keyClick(window.results.transcript, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    saved(window, qtbot)
    assert current(entry.id)[0] == 1 and "writing" in text(window)
    library = Library()
    try:
        assert [v.number for v in library.transcript_versions(entry.id)] == [0, 1]  # undo and redo add none
    finally:
        library.close()


def test_quick_edits_split_merge_and_revert_keep_the_versions_in_order(make_window, qtbot):
    window = make_window(auto_start=False)
    entry = show(window, stored_analysis())
    assert window.edits.split(entry, 1, TEXTS[1].index("budget"))
    assert window.edits.merge(entry, 1)  # before the split is stored
    assert window.edits.edit_text(entry, 2, "The party is in Porto.")
    saved(window, qtbot)
    assert current(entry.id) == (3, [TEXTS[0], TEXTS[1], "The party is in Porto."])
    window.speakers.undo_stack.undo()
    window.speakers.undo_stack.undo()  # back to the split: quick undos follow the stored numbers
    saved(window, qtbot)
    assert current(entry.id) == (1, [TEXTS[0], "Marta owns the", "budget review.", TEXTS[2]])
    assert entry.analysis.transcript_version == 1
    assert window.edits.revert(entry)
    saved(window, qtbot)
    saved(window, qtbot)
    assert current(entry.id) == (4, TEXTS) and not entry.analysis.transcript_edited
    assert f"[00:02] {TEXTS[1]}" in text(window)
    assert window.edits.use_version(entry, 3)
    saved(window, qtbot)
    saved(window, qtbot)
    assert current(entry.id)[0] == 3 and "Porto" in text(window)
    window.speakers.undo_stack.undo()
    saved(window, qtbot)
    assert current(entry.id)[0] == 4 and "Lisbon" in text(window)


def test_an_edit_that_cannot_be_made_says_why_and_changes_nothing(make_window, qtbot):
    window = make_window(auto_start=False)
    entry = show(window, stored_analysis(speakers=[0, 1, 0]))
    assert not window.edits.merge(entry, 0)
    assert "different speakers (Speaker 1, Speaker 2)" in window.statusBar().currentMessage()
    assert window.edits.set_speaker(entry, 1, 0)
    assert window.edits.merge(entry, 0)
    saved(window, qtbot)
    assert current(entry.id) == (2, [f"{TEXTS[0]} {TEXTS[1]}", TEXTS[2]])
    entry.status = entry.status.RUNNING
    assert not window.edits.edit_text(entry, 0, "x")
    assert window.statusBar().currentMessage().startswith("The transcript can be corrected once")


def test_the_versions_dialog_lists_every_version_and_makes_one_current(make_window, qtbot):
    window = make_window(auto_start=False)
    entry = show(window, stored_analysis())
    dialog = window.edits.open_versions(entry)
    qtbot.waitUntil(lambda: dialog.summary.text() != "Reading the versions…", timeout=5000)
    assert dialog.summary.text().startswith("This transcript was never edited")
    assert not dialog.revert_button.isEnabled()
    dialog.close()
    window.edits.edit_text(entry, 0, "We are writing the press release today.")
    window.edits.edit_text(entry, 2, "The party is in Porto.")
    saved(window, qtbot)
    dialog = window.edits.open_versions(entry)
    qtbot.waitUntil(lambda: dialog.list.topLevelItemCount() == 3, timeout=5000)
    rows = [[dialog.list.topLevelItem(i).text(c) for c in (0, 2, 3)] for i in range(3)]
    assert rows == [["0", "", "The transcription"], ["1", "0", 'Segment 1: "riding" → "writing"'],
                    ["2", "1", 'Segment 3: "Lisbon." → "Porto."']]
    assert dialog.list.topLevelItem(2).font(0).bold() and "3 versions (2 edits)" in dialog.summary.text()
    dialog.list.setCurrentItem(dialog.list.topLevelItem(0))
    assert dialog.use_button.isEnabled() and dialog.make_current()
    saved(window, qtbot)
    saved(window, qtbot)
    assert current(entry.id) == (0, TEXTS) and "riding" in text(window)
    window.speakers.undo_stack.undo()  # choosing a version is undoable too
    saved(window, qtbot)
    assert current(entry.id)[0] == 2 and "Porto" in text(window)


# ---- in the Transcript tab: the segment menu, F2 in place, Ctrl+F, the version line -----------------------


def menu_actions(window, segment: int, offset: int):
    from PySide6.QtWidgets import QMenu

    menu = QMenu()
    window.results.transcript.segment_menu_requested.emit(segment, offset, menu)
    found = {a.text(): a for a in menu.actions() if a.text()}
    for action in menu.actions():
        if action.menu() is not None:
            found.update({f"{action.text()}/{a.text()}": a for a in action.menu().actions() if a.text()})
    return menu, found


def test_the_segment_menu_splits_merges_and_moves_a_segment_to_another_speaker(make_window, qtbot):
    window = make_window(auto_start=False)
    entry = show(window, stored_analysis(speakers=[0, 1, 0]))
    menu, actions = menu_actions(window, 1, TEXTS[1].index("budget"))
    assert list(actions)[:4] == ["Edit text…", "Split here", "Merge with next", "Speaker"]
    assert actions["Speaker/Speaker 2"].isChecked() and not actions["Speaker/Speaker 2"].isEnabled()
    assert "Speaker/New speaker (Speaker 3)" in actions and "Transcript versions…" in actions
    actions["Split here"].trigger()
    saved(window, qtbot)
    assert current(entry.id) == (1, [TEXTS[0], "Marta owns the", "budget review.", TEXTS[2]])
    _menu, actions = menu_actions(window, 2, 0)
    assert not actions["Split here"].isEnabled()  # nothing before the offset
    actions["Speaker/Speaker 1"].trigger()
    _menu, actions = menu_actions(window, 2, 0)
    actions["Merge with next"].trigger()
    saved(window, qtbot)
    assert current(entry.id) == (3, [TEXTS[0], "Marta owns the", f"budget review. {TEXTS[2]}"])
    assert window.results.transcript_tools.version_label.text() == "Transcript version 3 · edited"
    assert window.results.transcript_tools.revert_link.isVisible()


def test_f2_edits_a_segment_in_place_enter_keeps_it_and_escape_drops_it(make_window, qtbot):
    window = make_window(auto_start=False)
    entry = show(window, stored_analysis())
    view, editor = window.results.transcript, window.results.transcript_tools.editor
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    view.setFocus()
    cursor = view.textCursor()
    cursor.setPosition(view.document().findBlockByNumber(view.block_of(0)).position())
    view.setTextCursor(cursor)
    qtbot.keyClick(view, Qt.Key.Key_F2)
    assert editor.isVisible() and editor.text() == TEXTS[0] and editor.selectedText() == TEXTS[0]
    assert editor.geometry().left() > 30  # over the text, after the timestamp
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert not editor.isVisible() and window.speakers.undo_stack.count() == 0
    qtbot.keyClick(view, Qt.Key.Key_F2)
    editor.setText("We are writing the press release today.")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert not editor.isVisible() and "writing" in text(window)
    saved(window, qtbot)
    assert current(entry.id)[1][0] == "We are writing the press release today."


def test_ctrl_f_finds_in_the_transcript_and_highlights_over_the_segment_played(make_window, qtbot):
    window = make_window(auto_start=False)
    show(window, stored_analysis())
    view, bar = window.results.transcript, window.results.transcript_tools.find_bar
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    view.setFocus()
    view.highlight_segment(0)
    qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert bar.isVisible() and bar.field.hasFocus()
    qtbot.keyClicks(bar.field, "the")
    assert bar.matches == 3 and bar.count.text() == "1 of 3"
    assert len(view.extraSelections()) == 1 + 3  # the segment played, then the matches over it
    qtbot.keyClick(bar.field, Qt.Key.Key_Escape)
    assert not bar.isVisible() and len(view.extraSelections()) == 1


def test_an_answer_made_before_an_edit_says_so_and_runs_again_on_the_edited_transcript(make_window, qtbot):
    from tests.fakes import ScriptedPromptRunner

    runner = ScriptedPromptRunner()
    window = make_window(runner=runner, auto_start=False)
    entry = show(window, stored_analysis())
    page = window.results.prompt_page(0)
    assert page.stale_text() == ""
    window.edits.edit_text(entry, 0, "We are writing the press release today.")
    saved(window, qtbot)
    assert page.stale_text().startswith("Made from an earlier version of the transcript")
    assert page.rerun_button.isVisibleTo(page)
    qtbot.mouseClick(page.rerun_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.is_busy() and entry.finished, timeout=10000)
    assert "We are writing the press release today." in runner.calls[-1][0]  # the edited transcript was read
    assert window.results.prompt_page(0).stale_text() == "" and entry.stale_prompts() == []
    library = Library()
    try:
        stored = library.load(entry.id)
        assert [r.transcript_version for r in stored.prompt_results] == [1] and not stored.is_stale(
            stored.prompt_results[0])
    finally:
        library.close()


def test_the_analysis_menu_opens_the_versions_of_the_file_shown_and_reverts_it(make_window, qtbot):
    from app.ui.history.versions_dialog import VersionsDialog

    window = make_window(auto_start=False)
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Analysis")
    texts = [a.text() for a in menu.actions()]
    assert "Transcript &versions…" in texts and "Revert to the &transcription" in texts
    window.edits.versions_action.trigger()
    assert window.statusBar().currentMessage().startswith("Choose a file first")
    entry = show(window, stored_analysis())
    window.edits.edit_text(entry, 0, "We are writing the press release today.")
    saved(window, qtbot)
    window.edits.versions_action.trigger()
    assert [d for d in window.findChildren(VersionsDialog) if d.isVisible()]
    window.edits.revert_action.trigger()
    saved(window, qtbot)
    saved(window, qtbot)
    assert current(entry.id) == (2, TEXTS)
