"""Cancel and quit ask first once a run has gone on; a partial transcript says where it stops; one message per tab."""

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.core.analysis import AnalysisStatus
from app.ui.results.transcript_view import transcript_state
from app.ui.window import main_window
from tests.conftest import DATA_DIR
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = DATA_DIR / "speech.wav"


def slow_transcriber():
    """Thirty segments of two seconds, 0.2 s apart: six seconds unless cancelled."""
    return ScriptedTranscriber(segments=make_segments([f"Segment {i}." for i in range(30)]), delay=0.2)


def long_run(make_window, qtbot, monkeypatch, confirm=True, asked=None, answer=False):
    """A window whose run counts as long at once; ``confirm_stop`` is recorded and answers ``answer``."""
    monkeypatch.setattr(main_window, "CONFIRM_AFTER_SECONDS", 0.0)
    if asked is not None:
        monkeypatch.setattr(main_window, "confirm_stop",
                            lambda parent, title, verb, question, settings: asked.append((title, question)) or answer)
    window = make_window(transcriber=slow_transcriber())
    window.settings.set_confirm_stop(confirm)
    window.add_files([SPEECH])
    qtbot.waitUntil(lambda: len(window.entries()[0].segments) >= 2, timeout=3000)
    return window


def test_esc_on_a_long_run_asks_and_keep_running_keeps_it_running(make_window, qtbot, monkeypatch):
    asked = []
    window = long_run(make_window, qtbot, monkeypatch, asked=asked, answer=False)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window.file_view, Qt.Key.Key_Escape)
    [(title, question)] = asked
    assert title == "Stop the analysis?" and question.startswith("Stop analysing speech.wav?")
    assert "The transcript so far and the finished answers are kept" in question
    assert window.is_busy() and window.entries()[0].status is AnalysisStatus.RUNNING
    with qtbot.waitSignal(window.idle, timeout=3000):
        window.cancel()  # the programmatic cancel never asks
    assert len(asked) == 1


def test_the_real_question_stops_and_dont_ask_again_is_remembered(make_window, qtbot, monkeypatch):
    window = long_run(make_window, qtbot, monkeypatch)
    seen = []

    def answer_the_box():
        box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
        seen.append((box.text(), [b.text() for b in box.buttons()], box.defaultButton().text()))
        box.checkBox().setChecked(True)
        next(b for b in box.buttons() if b.text() == "Stop").click()

    QTimer.singleShot(200, answer_the_box)
    with qtbot.waitSignal(window.idle, timeout=5000):
        assert window.request_cancel()
    [(text, buttons, default)] = seen
    assert sorted(buttons) == ["Keep running", "Stop"] and default == "Keep running"
    assert not window.settings.confirm_stop()
    assert window.entries()[0].status is AnalysisStatus.CANCELLED
    window.add_files([SPEECH])  # a second long run: no question any more
    qtbot.waitUntil(lambda: len(window.entries()[0].segments) >= 2, timeout=3000)
    with qtbot.waitSignal(window.idle, timeout=3000):
        assert window.request_cancel()


def test_quit_during_a_long_run_asks_and_staying_keeps_the_window(make_window, qtbot, monkeypatch):
    asked = []
    window = long_run(make_window, qtbot, monkeypatch, asked=asked, answer=False)
    assert window.request_quit() is False and window.isVisible() and window.is_busy()
    assert asked[0][0] == "Quit Hearsay?" and asked[0][1].startswith("Quit while analysing speech.wav?")


def test_a_short_run_stops_without_a_question(make_window, qtbot, monkeypatch):
    asked = []
    monkeypatch.setattr(main_window, "confirm_stop", lambda *a: asked.append(a) or False)
    window = make_window(transcriber=slow_transcriber())
    window.add_files([SPEECH])
    qtbot.waitUntil(lambda: len(window.entries()[0].segments) >= 1, timeout=3000)
    with qtbot.waitSignal(window.idle, timeout=3000):
        assert window.request_cancel()
    assert asked == []


def test_a_transcript_cancelled_midway_is_marked_partial_and_its_prompt_tabs_say_one_thing(make_window, qtbot):
    window = make_window(transcriber=slow_transcriber(), runner=ScriptedPromptRunner())
    window.add_files([SPEECH])
    entry = window.entries()[0]
    qtbot.waitUntil(lambda: len(entry.segments) >= 3, timeout=3000)
    with qtbot.waitSignal(window.idle, timeout=3000):
        window.cancel()
    reached = entry.segments[-1].end
    assert transcript_state(entry)[1] == "state-warning"  # not the green check
    last_line = window.results.transcript.toPlainText().splitlines()[-1]
    assert last_line == (f"— The transcript stops here, at 00:{int(reached):02d} of 01:00: the analysis was cancelled. "
                         "Analysis → Resume transcribes the rest. —")
    for index in range(3):
        page = window.results.prompt_page(index)
        assert page.banner_text() == "Not run: the analysis was cancelled before this prompt. Analysis → Resume runs it."
        assert page.text.placeholderText() == "" and page.text.toPlainText() == ""


def test_a_whole_transcript_keeps_the_check_and_no_end_note(make_window, qtbot):
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    entry = window.entries()[0]
    assert transcript_state(entry)[1] == "state-done" and window.results.transcript.end_note() is None
