"""The window's side of generation settings and the demo model: Settings (system prompt, temperature), the
demo model's line in each answer tab, and the token usage in the answer's tooltip (scripted engines)."""

from app.core.analysis import DEMO_NOTE
from app.core.pipeline.engines import EngineSettings
from app.ui.settings.dialog import SettingsDialog
from app.ui.settings.store import SYSTEM_PROMPT_LIMIT, Settings
from tests.conftest import DATA_DIR
from tests.fakes import ScriptedPromptRunner

SPEECH = DATA_DIR / "speech.wav"


class DemoRunner(ScriptedPromptRunner):
    """A scripted runner that says it holds the catalog's demo model, as the real one does for SmolLM2."""

    demo = True


def analysed(make_window, qtbot, runner=None):
    window = make_window(runner=runner)
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    return window


def test_the_settings_dialog_remembers_the_system_prompt_and_the_temperature(qtbot):
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    assert dialog.system_prompt.toPlainText() == "" and dialog.temperature.value() == EngineSettings().temperature
    dialog.system_prompt.setPlainText("  Answer in German.\n")
    dialog.temperature.setValue(0.7)
    dialog.accept()
    chosen = Settings().engine_settings()
    assert (chosen.system_prompt, chosen.temperature) == ("Answer in German.", 0.7)
    reopened = SettingsDialog(Settings())
    qtbot.addWidget(reopened)
    assert (reopened.system_prompt.toPlainText(), reopened.temperature.value()) == ("Answer in German.", 0.7)


def test_odd_stored_generation_values_fall_back_or_are_bounded():
    settings = Settings()
    settings.set_value(Settings.Key.TEMPERATURE, "warm")
    settings.set_value(Settings.Key.SYSTEM_PROMPT, "x" * (SYSTEM_PROMPT_LIMIT + 50))
    chosen = settings.engine_settings()
    assert chosen.temperature == EngineSettings().temperature and len(chosen.system_prompt) == SYSTEM_PROMPT_LIMIT
    settings.set_value(Settings.Key.TEMPERATURE, "9")
    settings.set_value(Settings.Key.SYSTEM_PROMPT, "   ")
    assert (settings.engine_settings().temperature, settings.engine_settings().system_prompt) == (2.0, None)


def test_a_changed_temperature_or_system_prompt_reaches_the_runner_without_reloading_the_models(make_window, qtbot):
    window = analysed(make_window, qtbot)
    runner = window.engines.runner
    assert (runner.temperature, runner.system_prompt) == (EngineSettings().temperature, None)
    window.settings.set_engine_settings(EngineSettings(system_prompt="Answer in German.", temperature=0.9))
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([DATA_DIR / "speech.mp3"])
    assert (runner.temperature, runner.system_prompt) == (0.9, "Answer in German.")
    assert len(window.engines.calls) == 1  # the same engines: no model was loaded again


def test_each_answer_of_the_demo_model_says_so_in_its_tab(make_window, qtbot):
    window = analysed(make_window, qtbot, DemoRunner())
    entry = window.entries()[0]
    assert entry.llm_demo and entry.analysis.llm_demo
    pages = [window.results.prompt_page(i) for i in range(len(entry.prompts))]
    assert [p.demo_note() for p in pages] == [DEMO_NOTE] * 3
    with qtbot.waitSignal(window.idle, timeout=5000):
        assert window.ask("Who ships?")
    assert window.results.conversation.pages[0].demo_note() == DEMO_NOTE


def test_answers_of_another_model_carry_no_demo_line_and_show_their_tokens(make_window, qtbot):
    window = analysed(make_window, qtbot)
    page = window.results.prompt_page(0)
    assert page.demo_note() == "" and page.demo_label.isHidden()
    assert page.text.toolTip() == "Tokens: 0 read + 3 generated = 3"  # the scripted runner reads no tokens
