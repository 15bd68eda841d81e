"""Follow-up questions ("Ask about this recording…"), the context meter, map-reduce notes, and two files
running at once (overlap) in the window, on scripted engines."""

from pathlib import Path

from PySide6.QtCore import Qt

from app.core.analysis import AnalysisStatus, PromptStatus
from app.core.pipeline.engines import EngineSettings
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


def test_ask_adds_a_tab_with_the_streamed_answer_on_the_same_engines(make_window, qtbot):
    window = make_window(runner=ScriptedPromptRunner(delay=0.01))
    ask = window.results.ask_bar
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
        assert not ask.line.isEnabled()  # the file is running
    entry = window.entries()[0]
    assert ask.line.isEnabled() and not ask.button.isEnabled()  # nothing typed yet
    qtbot.keyClicks(ask.line, "Who decides the budget?")
    assert ask.button.isEnabled()
    with qtbot.waitSignal(window.idle, timeout=5000):
        qtbot.keyClick(ask.line, Qt.Key.Key_Return)
        assert not ask.line.isEnabled() and ask.line.text() == ""
    results = window.results
    assert results.tab_titles() == ["Transcript", "Summary", "Paragraph", "Action items", "Questions"]
    assert results.tabs.currentIndex() == 4  # the questions asked afterwards share one tab, in order
    assert results.prompt_page(3).heading() == "Who decides the budget?"  # the answer repeats its question
    assert results.prompt_page(3).plain_text() == "Answer to prompt 4."
    assert entry.prompts[-1] == "Who decides the budget?" and entry.status is AnalysisStatus.DONE
    assert entry.analysis.prompt_results[-1].response == "Answer to prompt 4."  # exported with the others
    assert len(window.engines.calls) == 1 and window.engines.runner.load_threads == ["hearsay-llm-load"]
    assert window.engines.transcriber.loads == 1  # no new transcription either
    assert ask.line.isEnabled() and window.export_md_action.isEnabled()
    assert window.statusBar().currentMessage() == "Answered “Who decides the budget?” about speech.wav."


def test_the_ask_button_and_the_answer_streaming_into_its_tab(make_window, qtbot):
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    runner = window.engines.runner
    runner.tokens, runner.delay = [f"w{i} " for i in range(30)], 0.02
    ask = window.results.ask_bar
    ask.line.setText("And then?")
    with qtbot.waitSignal(window.idle, timeout=5000):
        qtbot.mouseClick(ask.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.results.tabs.count() == 5, timeout=3000)
        page = window.results.prompt_page(3)
        qtbot.waitUntil(lambda: page.plain_text().startswith("w0 w1"), timeout=3000)
        assert window.entries()[0].prompt_statuses[3] is PromptStatus.RUNNING
        assert window.entries()[0].state_text() == "Prompting 4 of 4"
    assert page.plain_text() == "".join(runner.tokens).strip()


def test_ask_is_refused_without_a_transcript(make_window, qtbot):
    window = make_window(transcriber=ScriptedTranscriber(segments=[]))
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    entry = window.entries()[0]
    assert entry.state_text() == "Done, no speech found"
    assert not window.results.ask_bar.line.isEnabled()
    assert window.ask("Anything?") is False
    assert window.statusBar().currentMessage() == "speech.wav has no transcript to ask about."
    assert not window.is_busy() and len(entry.prompts) == 3


def test_cancel_stops_a_follow_up_and_keeps_the_earlier_answers(make_window, qtbot):
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    runner = window.engines.runner
    runner.tokens, runner.delay = [f"t{i} " for i in range(100)], 0.05
    assert window.ask("Slowly, please?")
    qtbot.waitUntil(lambda: window.results.tabs.count() == 5, timeout=3000)
    page = window.results.prompt_page(3)
    qtbot.waitUntil(lambda: page.plain_text().startswith("t0"), timeout=3000)
    with qtbot.waitSignal(window.idle, timeout=2000):
        window.cancel()
    entry = window.entries()[0]
    assert entry.prompt_statuses == [PromptStatus.DONE] * 3 + [PromptStatus.CANCELLED]
    assert entry.status is AnalysisStatus.DONE and page.banner_text() == (
        "Cancelled while answering: the answer below is incomplete. Right-click the tab → Run again to finish it.")
    assert window.results.prompt_page(0).plain_text() == "Answer to prompt 1."
    assert window.statusBar().currentMessage() == "Cancelled the question “Slowly, please?” about speech.wav."


def test_context_meter_after_a_run(make_window, qtbot):
    window = make_window()
    meter = window.results.context_meter
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    assert meter.text() == "Transcript 6 tokens / context 100,000"  # "Hello team. We ship on Friday."
    assert meter.bar.value() == 0 and "0% of the language model's context" in meter.toolTip()
    assert all(window.results.prompt_page(i).note_text() == "" for i in range(3))


def test_map_reduce_shows_parts_in_the_state_and_a_coverage_note(make_window, qtbot, monkeypatch):
    words = " ".join(f"word{i}" for i in range(29))
    transcriber = ScriptedTranscriber(segments=make_segments([f"{words} end{k}." for k in range(6)]))
    window = make_window(transcriber=transcriber, runner=ScriptedPromptRunner(context=120))
    window.settings.set_engine_settings(EngineSettings(max_tokens=8))  # the worker gives the runner this limit
    window.prompt_editor.set_prompts(["Sum up?", "Who?"])
    states = []  # the file list's state line after each event (read in the GUI thread)
    real_refresh = window.files.refresh
    monkeypatch.setattr(window.files, "refresh", lambda entry: (states.append(entry.state_text()), real_refresh(entry)))
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    entry = window.entries()[0]
    assert entry.status is AnalysisStatus.DONE and entry.prompt_statuses == [PromptStatus.DONE] * 2
    meter = window.results.context_meter
    assert meter.text() == "Transcript 180 tokens / context 120 — map-reduce over 2 parts"
    assert meter.bar.value() == meter.bar.maximum() and meter.bar.property("overflow") is True
    assert [s for s in states if "part" in s] == [
        "Prompting 1 of 2 · part 1 of 2", "Prompting 2 of 2 · part 1 of 2",
        "Prompting 1 of 2 · part 2 of 2", "Prompting 2 of 2 · part 2 of 2"]
    note = "Map-reduce: read in 2 parts, then combined · based on the whole transcript"
    page = window.results.prompt_page(0)
    assert page.note_text() == note and page.plain_text() == "Answer to prompt 5."
    assert window.results.tabs.tabToolTip(1) == f"Sum up?\n\n{note}"


def test_two_files_run_at_once_with_overlap_and_the_progress_shows_both(make_window, qtbot, speech_copies):
    a, b = speech_copies("a.wav", "b.wav")
    window = make_window(runner=ScriptedPromptRunner(tokens=[f"t{i} " for i in range(100)], delay=0.05))
    window.settings.set_engine_settings(EngineSettings(overlap=True))
    window.add_files([a, b])
    first, second = window.entries()
    qtbot.waitUntil(lambda: first.status is AnalysisStatus.RUNNING and second.status is AnalysisStatus.RUNNING
                    and first.prompt_index >= 0 and second.transcribed, timeout=3000)
    rows = window.progress.visible_rows()
    assert [row.label.text() for row in rows] == ["Running prompts on a.wav", "Transcribed b.wav"]
    assert rows[0].detail.text() == "prompt 1 of 3" and rows[1].detail.text() == "waiting for the language model"
    assert second.state_text() == "Transcribed, waiting for prompts"
    window.file_view.select_entry(second)
    assert window.results.transcript.toPlainText().startswith("[00:00] Hello team.")
    assert not window.results.ask_bar.line.isEnabled()
    with qtbot.waitSignal(window.idle, timeout=2000):
        window.cancel()
    assert first.status is AnalysisStatus.CANCELLED and second.status is AnalysisStatus.CANCELLED
    assert not window.progress.is_running()  # the panel stays (nothing below it moves); idle
