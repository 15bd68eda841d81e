"""Analyze on a finished file runs only what has no answer yet; nothing shown disappears; replacing is explicit."""

from app.core.analysis import PromptStatus
from app.core.pipeline.events import PromptStarted
from app.ui.files import rerun
from tests.conftest import DATA_DIR
from tests.fakes import ScriptedPromptRunner

SPEECH = DATA_DIR / "speech.wav"


def test_analyze_again_runs_the_failed_prompt_only_and_keeps_the_rest_on_screen(make_window, qtbot):
    window = make_window(runner=ScriptedPromptRunner(fail_on={1}))
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    entry = window.entries()[0]
    assert entry.prompt_statuses == [PromptStatus.DONE, PromptStatus.FAILED, PromptStatus.DONE]
    with qtbot.waitSignal(window.idle, timeout=5000):
        assert window.ask("Who ships?")
    transcript = window.results.transcript.toPlainText()
    shown = [window.results.prompt_page(i).plain_text() for i in (0, 2, 3)]
    runner = window.engines.runner
    calls_before = len(runner.calls)
    seen_while_running = []
    window.host.worker.event.connect(
        lambda _id, event: isinstance(event, PromptStarted) and seen_while_running.append(
            (window.results.transcript.toPlainText(), [window.results.prompt_page(i).plain_text() for i in (0, 2, 3)])))
    window.file_view.select_entry(entry)
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.analyze_action.trigger()
    assert [prompt for _, prompt in runner.calls[calls_before:]] == [entry.prompts[1]]  # only the failed one ran
    assert seen_while_running == [(transcript, shown)]  # the transcript and the other answers stayed while it ran
    assert entry.prompt_statuses == [PromptStatus.DONE] * 4 and entry.prompts[-1] == "Who ships?"
    assert window.results.prompt_page(3).plain_text() == shown[2]  # the Ask answer is still in the window


def test_transcribe_again_says_what_it_replaces_and_cancel_keeps_everything(make_window, qtbot, monkeypatch):
    window = make_window()
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    entry = window.entries()[0]
    asked = []
    monkeypatch.setattr(rerun, "confirm_replace", lambda parent, title, question, verb: asked.append(verb) or False)
    window.file_view.select_entry(entry)
    window.history.reruns.transcribe_again_action.trigger()
    assert asked == ["Transcribe again"] and not window.is_busy()
    assert len(window.engines.transcriber.calls) == 1 and entry.responses[0] == "Answer to prompt 1."


def test_a_cut_off_answer_says_so_and_one_click_runs_it_again_with_twice_the_limit(make_window, qtbot):
    from app.core.pipeline.engines import EngineSettings

    runner = ScriptedPromptRunner(tokens=[f"w{i} " for i in range(8)], finish_reason="length")
    window = make_window(runner=runner)
    window.settings.set_engine_settings(EngineSettings(max_tokens=8))
    window.prompt_editor.set_prompts(["Summarize."])
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    page = window.results.prompt_page(0)
    assert page.banner_text() == "Cut off: this answer reached the limit of 8 tokens and may stop mid-sentence."
    assert page.more_button.isVisible() and page.more_button.text() == "Run again with 64 tokens"
    runner.finish_reason, runner.tokens = "stop", ["A ", "whole ", "answer."]
    with qtbot.waitSignal(window.idle, timeout=5000):
        page.more_button.click()
    assert runner.max_tokens == 64 and page.plain_text() == "A whole answer."
    assert page.banner_text() == "" and not page.more_button.isVisible()
    assert window.engines.calls and len(window.engines.calls) == 1  # the same model, no reload
