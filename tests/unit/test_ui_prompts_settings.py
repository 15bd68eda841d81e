"""The prompt list (add, edit, remove, reorder, remembered) and the Settings dialog (remembered)."""

from pathlib import Path

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QMessageBox

from app.core.llm.prompts import NamedPrompt, default_prompts, short_title
from app.core.pipeline.engines import EngineSettings
from app.ui.settings.dialog import SettingsDialog
from app.ui.settings.store import Settings
from app.ui.window import prompt_editor
from app.ui.window.main_window import MainWindow

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


def new_window(qtbot) -> MainWindow:
    window = MainWindow(settings=Settings())
    qtbot.addWidget(window)
    return window


def test_prompt_changes_are_remembered_by_a_new_window(qtbot):
    window = new_window(qtbot)
    editor = window.prompt_editor
    assert editor.prompts() == default_prompts()
    editor.add_prompt("Who speaks, and about what?")
    editor.edit_prompt(0, "Three bullet points, please.")
    editor.remove_prompt(1)
    assert editor.move_prompt(2, -1) == 1
    expected = ["Three bullet points, please.", "Who speaks, and about what?", default_prompts()[2]]
    assert editor.prompts() == expected
    window.close()
    again = new_window(qtbot)
    assert again.prompt_editor.prompts() == expected
    assert Settings().prompts() == expected


def test_buttons_and_dialogs_edit_the_list(qtbot, monkeypatch):
    window = new_window(qtbot)
    editor = window.prompt_editor
    answers = iter([NamedPrompt("Added prompt", "Added"), NamedPrompt("Edited prompt", "Edited"), None])
    monkeypatch.setattr(prompt_editor, "ask_prompt", lambda parent, title, current=None: next(answers))
    editor.add_action.trigger()
    assert editor.prompts()[-1] == "Added prompt" and editor.list.currentRow() == 3
    editor.up_action.trigger()
    assert editor.prompts()[2] == "Added prompt"
    editor.edit_action.trigger()
    assert editor.prompts()[2] == "Edited prompt"
    editor.edit_action.trigger()  # dialog cancelled: nothing changes
    assert editor.prompts()[2] == "Edited prompt"
    editor.down_action.trigger()
    assert editor.prompts()[3] == "Edited prompt" and not editor.down_action.isEnabled()
    editor.remove_action.trigger()
    assert editor.prompts() == default_prompts()
    assert Settings().prompts() == default_prompts()


def test_drag_reorder_is_remembered(qtbot):
    window = new_window(qtbot)
    editor = window.prompt_editor
    changes = []
    editor.prompts_changed.connect(changes.append)
    # What QListWidget does on an internal drag-and-drop move.
    assert editor.list.model().moveRows(QModelIndex(), 2, 1, QModelIndex(), 0)
    expected = [default_prompts()[2], *default_prompts()[:2]]
    assert changes == [expected] and Settings().prompts() == expected


def test_reset_to_defaults_asks_first(qtbot, monkeypatch):
    window = new_window(qtbot)
    editor = window.prompt_editor
    editor.set_prompts(["Only one"])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    editor.reset_action.trigger()
    assert editor.prompts() == ["Only one"]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    editor.reset_action.trigger()
    assert editor.prompts() == default_prompts() == Settings().prompts()


def test_an_emptied_prompt_list_stays_empty(qtbot):
    window = new_window(qtbot)
    window.prompt_editor.set_prompts([])
    assert Settings().prompts() == []
    assert new_window(qtbot).prompt_editor.prompts() == []


def test_new_files_use_the_edited_prompts_and_tabs_follow_their_order(make_window, qtbot):
    window = make_window()
    window.prompt_editor.set_prompts(["Zeta question", "Alpha question that is rather long for a tab"])
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    assert window.results.tab_titles() == ["Transcript", "Zeta question", short_title("Alpha question that is rather long for a tab")]
    assert window.results.tab_titles()[2].endswith("…")


def test_settings_dialog_remembers_the_model_choice(qtbot, tmp_path):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF....")
    settings = Settings()
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.engine_settings() == EngineSettings()
    dialog.whisper.setCurrentText("base")
    dialog.llm.setText(str(gguf))
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.language.setCurrentIndex(dialog.language.findData("de"))
    dialog.max_tokens.setValue(256)
    dialog.auto_start.setChecked(False)
    dialog.accept()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    expected = EngineSettings(whisper_model="base", llm_model=str(gguf), device="cpu", language="de", max_tokens=256)
    assert Settings().engine_settings() == expected
    assert Settings().auto_start() is False
    reopened = SettingsDialog(Settings())
    qtbot.addWidget(reopened)
    assert reopened.engine_settings() == expected


def test_settings_dialog_refuses_a_missing_model_file_and_a_bad_language(qtbot, tmp_path):
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.llm.setText(str(tmp_path / "nope.gguf"))
    dialog.accept()
    assert dialog.error.text() == f"The language model file {tmp_path / 'nope.gguf'} does not exist."
    assert Settings().engine_settings() == EngineSettings()
    dialog.llm.setText("")
    dialog.language.setEditText("english please")
    dialog.accept()
    assert "is not a language code" in dialog.error.text()
    dialog.language.setEditText("FR")
    dialog.accept()  # French with the English-only default Whisper model: said, and refused
    assert dialog.error.text().startswith("The Whisper model tiny.en understands English only, so French speech")
    dialog.whisper.setCurrentText("base")  # multilingual (not on this computer: a warning, not a refusal)
    dialog.accept()
    assert Settings().engine_settings().language == "fr"


def test_settings_survive_odd_stored_values(qtbot):
    settings = Settings()
    settings.set_value(Settings.Key.MAX_TOKENS, "lots")
    settings.set_value(Settings.Key.DEVICE, "tpu")
    settings.set_value(Settings.Key.PROMPTS, "not json")
    assert settings.engine_settings() == EngineSettings()
    assert settings.prompts() == default_prompts()


def test_settings_file_lives_in_hearsay_home(_isolated_home):
    assert Path(Settings().file_name()) == _isolated_home / "config" / "hearsay.ini"


def test_tab_titles_are_short_titles_made_distinct():
    from app.core.llm.prompts import tab_titles

    prompts = ["Who speaks?", "List every decision made in this meeting, with who made it",
               "List every decision made in this meeting, in order"]
    assert tab_titles(prompts[:2]) == [short_title(p) for p in prompts[:2]]
    titles = tab_titles(prompts)
    assert titles[0] == "Who speaks?" and len(set(titles)) == 3
    assert tab_titles(["Same", "Same", "Other"]) == ["Same", "Same (2)", "Other"]


def test_settings_dialog_remembers_the_speed_options(qtbot):
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    assert dialog.batch_size.text() == "Off" and dialog.context_window.text() == "Model default"
    assert dialog.overlap.currentData() == "auto"
    dialog.beam_size.setValue(5)
    dialog.vad_filter.setChecked(True)
    dialog.batch_size.setValue(8)
    dialog.context_window.setValue(4096)
    dialog.overlap.setCurrentIndex(dialog.overlap.findData("off"))
    dialog.accept()
    expected = EngineSettings(beam_size=5, vad_filter=True, batch_size=8, context_window=4096, overlap=False)
    assert Settings().engine_settings() == expected
    reopened = SettingsDialog(Settings())
    qtbot.addWidget(reopened)
    assert reopened.engine_settings() == expected
    assert reopened.overlap.currentData() == "off" and reopened.vad_filter.isChecked()
    ini = Path(Settings().file_name()).read_text("utf-8")
    for line in ("beam_size=5", "vad_filter=true", "batch_size=8", "context_window=4096", "overlap=off"):
        assert line in ini, ini
    reopened.overlap.setCurrentIndex(reopened.overlap.findData("on"))
    reopened.context_window.setValue(0)
    reopened.accept()
    assert Settings().engine_settings().overlap is True and Settings().engine_settings().context_window is None


def test_speed_settings_survive_odd_stored_values(qtbot):
    settings = Settings()
    for key, value in ((Settings.Key.BEAM_SIZE, "wide"), (Settings.Key.VAD_FILTER, "nope"),
                       (Settings.Key.BATCH_SIZE, -3), (Settings.Key.CONTEXT_WINDOW, "huge"),
                       (Settings.Key.OVERLAP, "sometimes")):
        settings.set_value(key, value)
    assert settings.engine_settings() == EngineSettings()
    settings.set_value(Settings.Key.BEAM_SIZE, 99)
    settings.set_value(Settings.Key.BATCH_SIZE, 500)
    settings.set_value(Settings.Key.CONTEXT_WINDOW, 10**9)
    assert settings.engine_settings() == EngineSettings(beam_size=10, batch_size=32, context_window=131072)


def test_new_speed_settings_reach_the_engine_factory(make_window, qtbot):
    window = make_window()
    window.settings.set_engine_settings(EngineSettings(beam_size=3, overlap=False, context_window=2048))
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([SPEECH])
    assert window.engines.calls == [EngineSettings(beam_size=3, overlap=False, context_window=2048)]


def test_settings_say_what_is_wrong_as_soon_as_it_is_chosen(qtbot, tmp_path):
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.language.setCurrentIndex(dialog.language.findData("es"))  # Spanish, with the English-only tiny.en
    assert not dialog.error.isHidden() and not dialog.ok_button.isEnabled()
    assert dialog.error.text() == ("The Whisper model tiny.en understands English only, so Spanish speech would come "
                                   "out as English or be skipped: choose a multilingual model (base, small, "
                                   "large-v3-turbo) or English.")
    multilingual = tmp_path / "whisper-base"
    multilingual.mkdir()
    (multilingual / "model.bin").write_bytes(b"x")
    (multilingual / "vocabulary.txt").write_text("t\n" * 51865, "utf-8")  # a multilingual vocabulary
    dialog.whisper.setCurrentText(str(multilingual))
    assert dialog.error.isHidden() and dialog.ok_button.isEnabled()
    recording = tmp_path / "meeting.wav"
    recording.write_bytes(b"RIFF....WAVEfmt ")
    dialog.llm.setText(str(recording))  # a recording chosen as the language model
    assert dialog.error.text() == f"{recording} is not a GGUF model file." and not dialog.ok_button.isEnabled()
    dialog.llm.setText("")
    assert dialog.ok_button.isEnabled()


def test_every_setting_explains_itself_in_plain_words(qtbot):
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    for field in (dialog.whisper, dialog.llm, dialog.device, dialog.language, dialog.max_tokens, dialog.beam_size,
                  dialog.vad_filter, dialog.batch_size, dialog.context_window, dialog.overlap, dialog.auto_start):
        assert len(field.toolTip()) > 60, field
    assert "alternative wordings" in dialog.beam_size.toolTip() and "read in parts" in dialog.context_window.toolTip()
