"""Returning users find past work: recent analyses on the empty page, re-runs grouped, model and prompts per
row, search from the keyboard (Down, Enter)."""

import shutil

from PySide6.QtCore import Qt

from tests.unit.test_ui_history import cells, focus, open_panel, store


def test_re_runs_of_one_recording_are_one_row_that_says_how_many(make_window, qtbot, tmp_path, monkeypatch):
    first = [store() for _ in range(3)]  # the same recording three times
    copy = shutil.copy(first[0].source, tmp_path / "interview copy.wav")
    monkeypatch.setattr("tests.unit.test_ui_history.SPEECH", copy)
    first.append(store())  # and once more under another name: the same sound, the same recording
    window = make_window()
    panel = open_panel(window, qtbot)
    assert len(panel.rows()) == 1
    file, _date, _duration, prompts, status, model = cells(panel)
    assert (file, prompts, status, model) == ("interview copy.wav  ·  4 runs", "3/3", "Done", "scripted-llm")
    assert panel.rows()[0].entry.id == first[-1].id and len(panel.rows()[0].earlier) == 3  # the newest stands for them
    assert panel.summary.text() == "4 analyses of 1 recording, newest first. Enter opens one."
    tip = panel.model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "Prompts: First? · Second? · Third?" in tip and "Earlier runs: " in tip
    panel.every_run.setChecked(True)
    assert len(panel.rows()) == 4 and [cells(panel, r)[0] for r in range(4)] == ["interview copy.wav"] + ["speech.wav"] * 3


def test_a_returning_user_sees_the_recent_analyses_on_the_empty_page_and_opens_one(make_window, qtbot):
    stored = [store(), store(prompts=["Only?"])]
    window = make_window()
    recent = window.results.empty_page.recent
    assert window.results.stack.currentIndex() == 0 and recent.isVisibleTo(window)
    assert recent.count() == 1  # the same recording twice: one line, the newest run
    line = recent.item(0).text()
    assert line.startswith("speech.wav, ") and line.endswith(", 1 prompt, scripted-llm · 2 runs")
    with qtbot.waitSignal(window.history.opened, timeout=2000):
        recent.itemActivated.emit(recent.item(0))
    assert window.results.entry.id == stored[-1].id and window.results.tab_titles() == ["Transcript", "Only?"]


def test_the_recent_list_stays_hidden_without_history(make_window):
    window = make_window()
    assert not window.results.empty_page.recent.isVisibleTo(window)


def test_down_from_the_search_reaches_the_results_and_enter_opens_one(make_window, qtbot):
    stored = store()
    window = make_window()
    panel = open_panel(window, qtbot)
    focus(window, panel.search, qtbot)
    qtbot.keyClicks(panel.search, "lisbon")
    qtbot.keyClick(panel.search, Qt.Key.Key_Down)
    assert panel.table.hasFocus() and [e.id for e in panel.selected_entries()] == [stored.id]
    with qtbot.waitSignal(window.history.opened, timeout=2000):
        qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert window.results.entry.id == stored.id
