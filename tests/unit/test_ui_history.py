"""The History panel on scripted engines: runs are listed, stored analyses open without running anything,
search, delete, an interrupted run resumed, a reused transcript said, Run again, follow-ups recorded."""

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.core.analysis import Analysis, AnalysisStatus, PromptStatus
from app.core.library.store import Library, default_path
from app.core.pipeline.batch import run_batch
from app.core.pipeline.engines import EngineSettings
from app.core.pipeline.recorder import LibraryRecorder
from app.ui.files import rerun
from app.ui.history.model import HIGHLIGHT, HistoryModel
from app.ui.messages import local_date
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"
TEXTS = ["We ship the release on Friday.", "Marta owns the budget review.", "The launch party is in Lisbon."]
PROMPTS = ["First?", "Second?", "Third?"]


def store(prompts=PROMPTS, runner=None) -> Analysis:
    """Analyse speech.wav through the core into the test's library, as an earlier session did."""
    library = Library()
    analysis = Analysis(source=SPEECH, prompts=list(prompts))
    stream = run_batch([analysis], ScriptedTranscriber(make_segments(TEXTS)), runner or ScriptedPromptRunner(),
                       threading.Event(), recorder=LibraryRecorder(library, EngineSettings()))
    for _ in stream:
        pass
    library.close()
    return analysis


def open_panel(window, qtbot):
    window.history.toggle_action.trigger()
    qtbot.waitUntil(lambda: window.history.dock.isVisible() and bool(window.history.panel.summary.text()), timeout=2000)
    return window.history.panel


def cells(panel, row=0):
    model = panel.model
    return [model.index(row, column).data() for column in range(model.columnCount())]


def focus(window, widget, qtbot):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=2000)


def test_an_analysis_run_in_the_window_appears_in_the_history_with_its_status(make_window, qtbot):
    window = make_window(runner=ScriptedPromptRunner(fail_on=[1]))
    assert window.history.toggle_action.shortcut().toString() == "Ctrl+H"
    panel = open_panel(window, qtbot)
    assert panel.rows() == [] and panel.summary.text().startswith("No analyses yet")
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    qtbot.waitUntil(lambda: len(panel.rows()) == 1, timeout=2000)  # refreshed when the file finished
    file, date, duration, prompts, status, model = cells(panel)
    assert (file, duration, prompts, status, model) == ("speech.wav", "4.0 s", "2/3", "Done, 1 prompt not done",
                                                        "scripted-llm")
    assert date and ":" in date
    assert panel.rows()[0].entry.id == window.entries()[0].id


def test_opening_a_stored_analysis_shows_its_transcript_and_tabs_without_running_anything(make_window, qtbot):
    stored = store(runner=ScriptedPromptRunner(tokens=["Stored ", "answer."]))
    window = make_window()
    panel = open_panel(window, qtbot)
    assert [row.entry.id for row in panel.rows()] == [stored.id]
    assert cells(panel)[3:5] == ["3/3", "Done"]
    assert panel.select_id(stored.id)
    focus(window, panel.table, qtbot)
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.results.entry is not None, timeout=2000)
    entry = window.results.entry
    assert entry.id == stored.id and window.entries() == [entry] and entry.status is AnalysisStatus.DONE
    assert window.results.tab_titles() == ["Transcript", "First?", "Second?", "Third?"]
    assert window.results.transcript.toPlainText().splitlines() == [
        "[00:00] We ship the release on Friday.", "[00:02] Marta owns the budget review.",
        "[00:04] The launch party is in Lisbon."]
    assert [window.results.prompt_page(i).plain_text() for i in range(3)] == ["Stored answer."] * 3
    assert entry.state_text().startswith("Done · from History, ")
    assert window.statusBar().currentMessage().startswith("Opened speech.wav from History")
    assert window.engines.calls == [] and window.engines.transcriber.calls == [] and window.engines.runner.calls == []
    assert window.results.ask_bar.line.isEnabled() and window.export_md_action.isEnabled()


def test_search_finds_a_word_of_a_transcript_and_an_answer_and_jumps_there(make_window, qtbot):
    stored = store(runner=ScriptedPromptRunner(tokens=["Marta ", "decides ", "everything."]))
    window = make_window()
    panel = open_panel(window, qtbot)
    panel.search.setText("lisbon")
    qtbot.waitUntil(lambda: panel.model.searching, timeout=2000)
    [row] = panel.rows()
    assert row.entry.id == stored.id and row.hit.kind == "segment" and row.hit.idx == 2
    assert cells(panel)[HistoryModel.MATCH] == "Transcript: The launch party is in Lisbon."  # no brackets
    html = panel.model.index(0, HistoryModel.MATCH).data(HistoryModel.HtmlRole)
    assert html == f'Transcript: The launch party is in <span style="{HIGHLIGHT}">Lisbon</span>.'  # highlighted
    with qtbot.waitSignal(window.history.opened, timeout=2000):  # read in the background
        panel.open_requested.emit(row.entry, row.hit)
    assert window.results.tabs.currentIndex() == 0
    assert window.results.transcript.textCursor().block().text() == "[00:04] The launch party is in Lisbon."
    panel.search.setText("decides")
    qtbot.waitUntil(lambda: len(panel.rows()) == 3 and panel.rows()[0].hit.kind == "response", timeout=2000)
    panel.select_id(stored.id)
    panel.open_action.trigger()
    assert window.results.tabs.currentIndex() == panel.rows()[0].hit.idx + 1  # that prompt's tab
    assert window.entries() == [window.results.entry]  # opened once, not twice
    panel.search.setText("nowhere to be found")
    qtbot.waitUntil(lambda: panel.rows() == [], timeout=2000)
    assert panel.summary.text() == "Nothing in the history matches “nowhere to be found”."
    panel.search.clear()
    qtbot.waitUntil(lambda: len(panel.rows()) == 1 and not panel.model.searching, timeout=2000)


def test_delete_asks_then_removes_the_entry(make_window, qtbot, monkeypatch):
    stored = store()
    window = make_window()
    panel = open_panel(window, qtbot)
    with qtbot.waitSignal(window.history.opened, timeout=2000):  # in the file list, selected: Delete in the
        window.history.open_stored(stored.id)                      # History must not remove it from there
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No)
    panel.select_id(stored.id)
    focus(window, panel.table, qtbot)
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    when = local_date(Library().entry(stored.id).created_at)  # the dialog names the run: which file, when, what
    assert asked == [f"Delete the analysis of speech.wav, {when}, 3 prompts, scripted-llm from History? "
                     "Its transcript and answers are removed "
                     "from this computer."]
    assert len(panel.rows()) == 1
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: panel.rows() == [], timeout=2000)  # deleted in the background, then listed again
    assert Library().entries() == []
    assert [e.id for e in window.entries()] == [stored.id]  # the file stays in this session's list
    assert window.statusBar().currentMessage() == "Deleted speech.wav from History."
    panel.search.setText("budget")
    panel.refresh()
    assert panel.rows() == []  # its words are gone from the search too


def test_an_interrupted_run_shows_as_interrupted_and_resume_does_only_what_is_missing(make_window, qtbot):
    stored = store()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    library = Library()
    with library.transaction() as conn:  # as a killed process leaves it: two segments, one prompt done
        conn.execute("UPDATE analyses SET status = 'running', owner_pid = ?, transcript_complete = 0",
                     (int(dead.stdout),))
        conn.execute("DELETE FROM segments WHERE idx = 2")
        conn.execute("UPDATE prompt_results SET status = 'waiting', response = '' WHERE idx > 0")
    library.close()
    transcriber = ScriptedTranscriber(make_segments(TEXTS))
    window = make_window(transcriber=transcriber)
    panel = open_panel(window, qtbot)
    assert cells(panel)[3:5] == ["1/3", "Interrupted"]
    panel.select_id(stored.id)
    assert panel.resume_action.isEnabled()
    with qtbot.waitSignal(window.idle, timeout=5000):
        panel.resume_action.trigger()
    assert transcriber.starts == [make_segments(TEXTS)[1].end]  # from the end of what was stored
    assert [prompt for _, prompt in window.engines.runner.calls] == ["Second?", "Third?"]
    entry = window.results.entry
    assert entry.id == stored.id and entry.status is AnalysisStatus.DONE
    assert [s.text for s in entry.segments] == TEXTS
    assert entry.prompt_statuses == [PromptStatus.DONE] * 3 and entry.responses[0] == stored.prompt_results[0].response
    qtbot.waitUntil(lambda: cells(panel)[3:5] == ["3/3", "Done"], timeout=2000)
    resumed = Library().load(stored.id)
    assert [s.text for s in resumed.transcript.segments] == TEXTS and resumed.status is AnalysisStatus.DONE


def test_a_second_run_of_the_same_file_says_its_transcript_was_reused_and_can_transcribe_again(make_window, qtbot,
                                                                                             monkeypatch):
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    transcriber = window.engines.transcriber
    first_id = window.entries()[0].id
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    window.file_view.select_entry(window.entries()[0])
    window.remove_selected()
    with qtbot.waitSignal(window.idle, timeout=5000):
        [entry] = window.add_files([SPEECH])  # the same file again, as a new entry
    assert len(transcriber.calls) == 1 and entry.reused_from == first_id
    assert entry.state_text().startswith("Done · Transcript reused from the analysis of ")
    assert entry.state_text().endswith(" (same file and settings)")
    assert window.results.meta.text().endswith("(same file and settings)")
    assert window.results.transcript.toPlainText() == "[00:00] Hello team.\n[00:02] We ship on Friday."
    assert any(m.startswith("Transcript reused from the analysis of ") and m.endswith(
        "for speech.wav; to make a new one, right-click it and choose Transcribe again.") for m in messages)
    reruns = window.history.reruns
    assert reruns.transcribe_again_action.isEnabled()
    asked = []
    monkeypatch.setattr(rerun, "confirm_replace", lambda parent, title, question, verb: asked.append(question) or True)
    with qtbot.waitSignal(window.idle, timeout=5000):
        reruns.transcribe_again_action.trigger()
    assert asked == ["Transcribe speech.wav again?\n\nThe transcript and 3 answers shown are replaced by new ones "
                     "made with the current settings. The earlier run stays in History."]
    assert len(transcriber.calls) == 2 and entry.reused_from is None and entry.state_text() == "Done"


def test_run_again_and_a_follow_up_on_a_stored_analysis_use_its_transcript_and_update_its_entry(make_window, qtbot):
    stored = store()
    window = make_window()
    with qtbot.waitSignal(window.history.opened, timeout=2000) as opened:
        assert window.history.open_stored(stored.id) is None  # read in the background
    entry = opened.args[0]
    runner = window.engines.runner
    runner.tokens = ["A ", "new ", "answer."]
    with qtbot.waitSignal(window.idle, timeout=5000):
        assert window.history.reruns.rerun(entry, [1])
    assert [prompt for _, prompt in runner.calls] == ["Second?"] and window.engines.transcriber.calls == []
    assert entry.responses == [stored.prompt_results[0].response, "A new answer.", stored.prompt_results[2].response]
    with qtbot.waitSignal(window.idle, timeout=5000):
        assert window.ask("Who owns the budget?")
    assert window.engines.transcriber.calls == [] and window.results.tab_titles()[-1] == "Questions"
    assert window.results.prompt_page(3).heading() == "Who owns the budget?"
    again = Library().load(stored.id)  # one History entry, updated in place
    assert [r.prompt for r in again.prompt_results] == PROMPTS + ["Who owns the budget?"]
    assert again.prompt_results[1].response == "A new answer." and again.prompt_results[3].response == "A new answer."
    assert [e.id for e in Library().entries()] == [stored.id]


def test_run_failed_prompts_again_runs_only_those(make_window, qtbot):
    window = make_window(runner=ScriptedPromptRunner(fail_on=[0, 2]))
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    entry = window.entries()[0]
    assert entry.prompt_statuses.count(PromptStatus.FAILED) == 2
    reruns = window.history.reruns
    assert reruns.rerun_failed_action.isEnabled() and not reruns.resume_action.isEnabled()
    runner = window.engines.runner
    runner.calls.clear()
    runner.fail_on = set()
    with qtbot.waitSignal(window.idle, timeout=5000):
        reruns.rerun_failed_action.trigger()
    assert [prompt for _, prompt in runner.calls] == [entry.prompts[0], entry.prompts[2]]
    assert entry.prompt_statuses == [PromptStatus.DONE] * 3 and not reruns.rerun_failed_action.isEnabled()


def test_a_library_that_cannot_be_opened_is_said_once_and_analyses_still_run(make_window, qtbot):
    default_path().write_bytes(b"this is not a database" * 100)
    window = make_window()
    messages = []
    window.statusBar().messageChanged.connect(messages.append)
    for _ in range(2):
        with qtbot.waitSignal(window.idle, timeout=5000):
            window.history.reruns.transcribe_again(window.entries()) if window.entries() else window.add_files([SPEECH])
    assert window.entries()[0].status is AnalysisStatus.DONE and len(window.engines.transcriber.calls) == 2
    told = [m for m in messages if "history" in m.lower()]
    assert len(told) == 1 and told[0].startswith("History is off for this session, analyses still run: cannot open")
    panel = open_panel(window, qtbot)
    assert panel.summary.text().startswith("The history cannot be read: cannot open the history library")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counting open files needs /proc (Linux)")
def test_the_worker_holds_no_library_files_open_between_jobs(make_window, qtbot):
    proc = Path("/proc/self/fd")
    window = make_window()
    for _ in range(4):  # each batch runs in new helper threads, each with a connection of its own
        with qtbot.waitSignal(window.idle, timeout=5000):
            window.history.reruns.transcribe_again(window.entries()) if window.entries() else window.add_files([SPEECH])
    library_files = [link for link in (str(fd.readlink()) for fd in proc.iterdir() if fd.is_symlink())
                     if link.startswith(str(default_path()))]
    assert library_files == [] and len(Library().entries()) == 4


def test_a_stored_analysis_is_read_off_the_gui_thread(make_window, qtbot, monkeypatch):
    stored = store()
    readers = []
    real_load = Library.load
    monkeypatch.setattr(Library, "load", lambda self, i: readers.append(threading.current_thread()) or real_load(self, i))
    window = make_window()
    with qtbot.waitSignal(window.history.opened, timeout=2000):
        assert window.history.open_stored(stored.id) is None
    assert readers and threading.main_thread() not in readers  # thousands of segments take a while to parse
    assert window.results.entry.id == stored.id


def test_the_history_refreshes_in_the_gui_thread_when_the_worker_starts_a_file(make_window, qtbot, monkeypatch):
    from app.ui.history.actions import History

    threads = []
    real_refresh = History.refresh
    monkeypatch.setattr(History, "refresh", lambda self: (threads.append(threading.current_thread()),
                                                          real_refresh(self)))
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    assert threads and all(t is threading.main_thread() for t in threads)
