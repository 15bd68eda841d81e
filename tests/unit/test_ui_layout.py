"""Long names never widen the window: the layout holds from 1024x700 up, whatever the file, prompt or model name."""

import shutil
import threading

import pytest
from PySide6.QtWidgets import QToolBar, QWidget

from app.core.pipeline.engines import EngineSettings
from app.ui.settings.store import Settings
from tests.conftest import DATA_DIR
from tests.fakes import ScriptedTranscriber, make_segments

LONG_NAME = ("Interview with the regional water authority about the drought plan and the summer restrictions, "
             "take two b.wav")
LONG_MODEL = "/models/" + "Meta-Llama-3.1-8B-Instruct-abliterated-uncensored-imatrix-" * 2 + "Q4_K_M.gguf"
LONG_PROMPT = "Summarize " + "the very long and winding discussion about the budget " * 6 + "in one paragraph."


def inside(window: QWidget, widget: QWidget) -> bool:
    """True when ``widget`` is shown and lies entirely inside ``window`` (nothing off-screen)."""
    if not widget.isVisible():
        return False
    top_left = widget.mapTo(window, widget.rect().topLeft())
    return top_left.x() >= 0 and top_left.x() + widget.width() <= window.width()


@pytest.mark.parametrize("size", [(1024, 700), (1240, 780), (1600, 1000)])
def test_a_110_character_name_a_long_prompt_and_a_long_model_never_widen_the_window(make_window, qtbot, tmp_path,
                                                                                 size):
    assert len(LONG_NAME) == 110
    recording = shutil.copy(DATA_DIR / "speech.wav", tmp_path / LONG_NAME)
    settings = Settings()
    settings.set_engine_settings(EngineSettings(llm_model=LONG_MODEL))
    settings.set_prompts([LONG_PROMPT, "Summarize."])
    gate = threading.Event()
    window = make_window(transcriber=ScriptedTranscriber(make_segments(["One.", "Two."], 30.0), gate=gate),
                         settings=settings)
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0])
    list_width = window.file_view.width()
    [entry] = window.add_files([recording])
    qtbot.waitUntil(lambda: window.progress.isVisible() and window.progress.label.text().startswith("Transcribing"))
    qtbot.wait(50)
    running = (window.width(), window.file_view.width())
    qtbot.waitUntil(lambda: gate.set() or not window.is_busy(), timeout=10000)  # one segment per set
    qtbot.wait(50)
    assert running == (size[0], list_width)  # the progress label does not squeeze the file list
    assert window.width() == size[0] and window.minimumSizeHint().width() <= 1024
    title = window.results.title
    assert title.text() == LONG_NAME and title.is_elided() == (title.fontMetrics().horizontalAdvance(LONG_NAME)
                                                               > title.width())
    if title.is_elided():
        assert title.toolTip() == f"{LONG_NAME}\n{recording}"  # the name in full, then where it is
    models = window.models_label
    assert inside(window, models) and (not models.is_elided() or models.toolTip().startswith(models.text()))
    toolbar = window.findChild(QToolBar, "mainToolbar")
    settings_button = toolbar.widgetForAction(window.settings_action)
    for widget in (window.results.copy_button, window.results.ask_bar, settings_button):
        assert widget is not None and inside(window, widget), widget


def test_the_settings_dialog_fits_a_700_pixel_screen_and_cuts_no_field(qtbot, monkeypatch):
    """Three sections (transcription, answers, speed) are taller than a 1024x700 laptop's screen: the form
    scrolls, OK stays in view, and no field is cut at the right edge."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QScreen

    from app.ui.settings.dialog import SettingsDialog

    monkeypatch.setattr(QScreen, "availableGeometry", lambda self: QRect(0, 0, 1024, 700))
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    body = dialog._scroll.widget()
    assert dialog.height() <= 700 - 40  # room for a title bar
    assert body.height() > dialog._scroll.viewport().height()  # it scrolls: the form is taller than the room
    assert dialog._scroll.viewport().width() >= body.minimumSizeHint().width()  # nothing cut at the right
    assert inside(dialog, dialog.ok_button) and dialog.ok_button.isVisible()
