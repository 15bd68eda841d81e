"""Streaming you can see: the running prompt's tab comes forward, Markdown renders as it streams, time left
per stage, nothing jumps when a run starts or ends, a new file is scrolled into view."""

import shutil

from app.core.analysis import AnalysisStatus
from tests.conftest import DATA_DIR
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = DATA_DIR / "speech.wav"


def slow_runner(tokens=None):
    return ScriptedPromptRunner(tokens=tokens or [f"t{i} " for i in range(30)], delay=0.03)


def test_the_running_prompts_tab_comes_forward_until_the_user_picks_one(make_window, qtbot):
    window = make_window(runner=slow_runner())
    window.add_files([SPEECH])
    entry, tabs = window.entries()[0], window.results.tabs
    qtbot.waitUntil(lambda: entry.prompt_index == 1, timeout=5000)
    assert tabs.currentIndex() == 2  # followed: prompt 2's tab is shown while it streams
    tabs.tabBar().setCurrentIndex(0)  # the user goes back to the transcript
    with qtbot.waitSignal(window.idle, timeout=5000):
        pass
    assert tabs.currentIndex() == 0  # and stays there while prompt 3 runs
    window.prompt_editor.add_prompt("Who talks?")
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.analyze_action.trigger()  # a new run of the same file (only the new prompt) follows again
    assert tabs.currentIndex() == 4


def test_markdown_renders_while_the_answer_streams(make_window, qtbot):
    tokens = ["**Budget** ", "is ", "*tight*", "\n\n", "- one\n", "- two\n"] + ["more "] * 40
    window = make_window(runner=ScriptedPromptRunner(tokens=tokens, delay=0.03))
    window.add_files([SPEECH])
    entry, page = window.entries()[0], window.results.prompt_page(0)
    qtbot.waitUntil(lambda: "two" in page.text.toPlainText(), timeout=5000)
    assert entry.status is AnalysisStatus.RUNNING  # still streaming
    shown = page.text.toPlainText()
    assert "**" not in shown and shown.startswith("Budget is tight")
    assert page.text.document().toMarkdown().startswith("**Budget** is *tight*")
    with qtbot.waitSignal(window.idle, timeout=5000):
        pass


def test_time_left_is_shown_per_stage_once_it_is_measured(make_window, qtbot):
    transcriber = ScriptedTranscriber(segments=make_segments([f"S{i}." for i in range(12)], 10.0), delay=0.1)
    window = make_window(transcriber=transcriber, runner=slow_runner())
    window.add_files([SPEECH])
    qtbot.waitUntil(lambda: "left" in window.progress.detail.text(), timeout=5000)
    assert window.progress.label.text() == "Transcribing speech.wav"
    qtbot.waitUntil(lambda: window.progress.label.text().startswith("Running prompts")
                    and "left" in window.progress.detail.text(), timeout=10000)
    with qtbot.waitSignal(window.idle, timeout=10000):
        pass
    assert window.settings.measured_rates()["realtime_factor"] > 0  # remembered for the next run's first estimate


def test_nothing_below_the_progress_area_moves_when_a_run_starts_or_ends(make_window, qtbot):
    window = make_window(auto_start=False, runner=slow_runner())
    window.resize(1240, 780)
    window.add_files([SPEECH])
    tabs = window.results.tabs

    def top() -> int:
        qtbot.wait(20)
        return tabs.mapTo(window, tabs.rect().topLeft()).y()

    idle = top()
    window.analyze_action.trigger()
    qtbot.waitUntil(lambda: window.progress.is_running(), timeout=3000)
    running = top()
    with qtbot.waitSignal(window.idle, timeout=5000):
        pass
    assert idle == running == top()
    assert window.progress.label.text().startswith("Done")  # the panel says what happened instead of closing


def test_a_new_file_is_scrolled_into_view(make_window, qtbot, tmp_path):
    window = make_window(auto_start=False)
    paths = [shutil.copy(SPEECH, tmp_path / f"recording {i:02d}.wav") for i in range(40)]
    window.add_files(paths[:39])
    [last] = window.add_files(paths[39:])
    qtbot.wait(20)
    view = window.file_view
    rect = view.visualRect(window.files.index(window.files.row_of(last)))
    assert view.viewport().rect().contains(rect)
