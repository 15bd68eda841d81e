"""The Models window and the first-run bar, driven with pytest-qt against the loopback hub (tests/hub_server.py)
serving the real bundled model files: a download with its progress bar moving, cancel within a second and
resume, Use, Remove refused for the bundled model and the one in use, a 404's sentence, Add model…, the hub
settings; the first-run bar with the demo model, its one-click download, its dismissal, and its end when another
model is used. Only 127.0.0.1 is reachable, and only through the hub_server fixture."""

from __future__ import annotations

import dataclasses
import time

import pytest
from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication

from app.core.hub import catalog, downloads, installed
from app.core.hub.advice import MachineProfile
from app.ui.models import window as window_module
from app.ui.models.rows import PROGRESS_STEPS
from app.ui.models.window import ModelsWindow
from app.ui.settings.dialog import SettingsDialog
from app.ui.settings.store import Settings
from app.ui.window.help_pages import shortcut_rows
from tests.unit.test_hub_imports import MemoryKeyring

PROFILE = MachineProfile(ram_bytes=8_000_000_000, physical_cores=4)
"""A faked computer: 8 GB of RAM, 4 cores, no GPU."""
LLM_ID, WHISPER_ID = "test-smollm2", "test-whisper-tiny.en"
DEMO_ID, TINY_ID = "smollm2-135m-instruct-q4_1", "whisper-tiny.en"


@pytest.fixture
def hub_models(monkeypatch, hub_server):
    """The catalog of the bundled defaults and the loopback hub's two models, the latter with the sizes the
    recommendation needs (so that on ``PROFILE`` it recommends them); this computer reads as ``PROFILE``; the
    settings point downloads at the loopback hub. Returns the hub server."""
    from tests.hub_server import test_entries

    entries = test_entries()
    served = [dataclasses.replace(entries["llm"], params_b=0.5, ram_bytes=700_000_000),
              dataclasses.replace(entries["whisper"], params_b=0.074, ram_bytes=300_000_000)]
    defaults = [catalog.default_entry("whisper"), catalog.default_entry("llm")]
    monkeypatch.setattr(catalog, "catalog", lambda: [*defaults, *served])
    monkeypatch.setattr(MachineProfile, "of_this_machine", classmethod(lambda cls: PROFILE))
    Settings().set_hub_endpoint(hub_server.endpoint)
    return hub_server


def models_window(qtbot, settings=None) -> ModelsWindow:
    window = ModelsWindow(settings or Settings(), profile=PROFILE)
    qtbot.addWidget(window)
    window.show()
    return window


def download(qtbot, window, model_id, timeout=60_000):
    """Click Download on ``model_id``'s row and wait for the download to end; returns (outcome, detail)."""
    with qtbot.waitSignal(window.download_ended, timeout=timeout) as ended:
        qtbot.mouseClick(window.rows[model_id].buttons["download"], Qt.MouseButton.LeftButton)
    return tuple(ended.args[1:])


def test_the_window_lists_each_role_with_the_recommendation_and_the_states(qtbot, hub_models):
    window = models_window(qtbot)
    assert [i.id for i in window.items.values() if i.role == "whisper"] == [TINY_ID, WHISPER_ID]
    assert [i.id for i in window.items.values() if i.role == "llm"] == [DEMO_ID, LLM_ID]
    demo, served = window.rows[DEMO_ID], window.rows[LLM_ID]
    assert demo.state.text() == "Bundled with Hearsay" and served.state.text() == "Not installed"
    assert demo.in_use.isVisibleTo(window) and not served.in_use.isVisibleTo(window)
    assert demo.meta.text() == "93.8 MiB  ·  English  ·  Apache-2.0"
    assert demo.note.text() == "A tiny demo model for trying Hearsay out; its answers are often invented"
    # the badge and the estimate, labelled as one, with its how in the tooltip
    assert served.badge.isVisibleTo(window) and not demo.badge.isVisibleTo(window)
    assert window.rows[WHISPER_ID].badge.isVisibleTo(window)
    assert served.estimate.text().startswith("Estimate: about ") and "on the processor" in served.estimate.text()
    assert served.estimate.toolTip().startswith("Estimate: ") and "reference:" in served.estimate.toolTip()
    assert window.machine.text().startswith("This computer: 8 GB RAM, 4 cores.")
    # bundled: Use and Show in folder, no Download; Remove shown but refused, with the reason
    assert demo.buttons["download"].isHidden() and not demo.buttons["remove"].isEnabled()
    assert demo.buttons["remove"].toolTip().startswith("Bundled with Hearsay")
    assert not served.buttons["download"].isHidden() and served.buttons["use"].isHidden()


def test_download_moves_the_bar_then_use_makes_it_the_language_model(qtbot, hub_models):
    hub_models.rate_bytes_per_s = 40e6  # about 2.5 s for the 94 MiB file, so the bar is seen moving
    settings = Settings()
    window = models_window(qtbot, settings)
    row = window.rows[LLM_ID]
    values = []
    row.progress.valueChanged.connect(values.append)
    assert download(qtbot, window, LLM_ID) == ("done", "")
    print(f"\nprogress bar values seen (of {PROGRESS_STEPS}): {values}")
    assert values == sorted(values) and len(set(values)) >= 5 and values[-1] == PROGRESS_STEPS
    assert 0 < values[len(values) // 2] < PROGRESS_STEPS
    assert row.state.text() == "Installed" and row.progress.isHidden() and not window.tasks
    assert installed.find_installed(LLM_ID).sha256 == catalog.default_entry("llm").sha256
    # Use: the settings change, the row says so, and Remove is now refused because it is in use
    with qtbot.waitSignal(window.model_chosen) as chosen:
        qtbot.mouseClick(row.buttons["use"], Qt.MouseButton.LeftButton)
    assert chosen.args == ["llm", LLM_ID]
    assert Settings().engine_settings().llm_model == LLM_ID
    assert row.in_use.isVisibleTo(window) and not window.rows[DEMO_ID].in_use.isVisibleTo(window)
    assert not row.buttons["use"].isEnabled()
    assert not row.buttons["remove"].isEnabled() and row.buttons["remove"].toolTip().startswith("In use")
    assert window.remove(LLM_ID) is False
    assert row.error.text() == "test-smollm2 is in use; choose another model first, then remove it."
    assert catalog.resolve_llm(LLM_ID).path == str(installed.find_installed(LLM_ID).path)


def test_the_progress_line_gives_bytes_rate_and_time_left(qtbot, hub_models):
    hub_models.rate_bytes_per_s = 20e6
    window = models_window(qtbot)
    row = window.rows[LLM_ID]
    lines = []
    row.progress.valueChanged.connect(lambda _v: lines.append((row.state.text(), row.progress_label.text())))
    qtbot.mouseClick(row.buttons["download"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any("left" in text for _, text in lines), timeout=10_000)
    state, text = next((s, t) for s, t in lines if "left" in t)
    assert state.startswith("Downloading ") and state.endswith(" %")
    assert " MiB of 93.8 MiB · " in text and "/s · " in text and text.endswith("left"), text
    with qtbot.waitSignal(window.download_ended, timeout=5000):
        window.cancel(LLM_ID)


def test_cancel_lands_within_a_second_keeps_the_partial_and_download_resumes(qtbot, hub_models):
    hub_models.rate_bytes_per_s = 8e6
    window = models_window(qtbot)
    row = window.rows[LLM_ID]
    qtbot.mouseClick(row.buttons["download"], Qt.MouseButton.LeftButton)
    task = window.tasks[LLM_ID]
    finished_at = []
    task.finished.connect(lambda: finished_at.append(time.monotonic()))
    qtbot.waitUntil(lambda: row.progress.value() >= 50, timeout=10_000)
    with qtbot.waitSignal(window.download_ended, timeout=2000) as ended:
        asked = time.monotonic()
        qtbot.mouseClick(row.buttons["cancel"], Qt.MouseButton.LeftButton)
    took = time.monotonic() - asked
    print(f"\ncancel to download_ended: {took:.3f} s")
    assert ended.args == [LLM_ID, "cancelled", ""] and took < 1.0
    qtbot.waitUntil(lambda: bool(finished_at), timeout=1000)
    assert finished_at[0] - asked < 1.0 and not window.tasks
    kept = installed.partial_bytes(LLM_ID)
    assert 0 < kept < catalog.default_entry("llm").size_bytes
    assert row.state.text().startswith("Partly downloaded: ") and "resumes" in row.state.text()
    assert row.buttons["download"].text() == "Resume download" and row.progress.isHidden()
    # resume: a Range request from what was kept
    hub_models.rate_bytes_per_s = None
    assert download(qtbot, window, LLM_ID) == ("done", "")
    assert hub_models.ranges() == [f"bytes={kept}-"] and row.state.text() == "Installed"


def test_a_404_shows_its_one_sentence_in_the_row(qtbot, hub_models):
    hub_models.status = 404
    window = models_window(qtbot)
    outcome, detail = download(qtbot, window, LLM_ID)
    host = hub_models.endpoint.removeprefix("http://")
    expected = (f"Cannot download test-smollm2: HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/"
                f"SmolLM2-135M-Instruct.Q4_1.gguf was not found on {host} (HTTP 404); check the hub endpoint "
                f"(mirror) setting, or import a copy you have with `hearsay models import PATH`.")
    assert (outcome, detail) == ("failed", expected)
    row = window.rows[LLM_ID]
    assert row.error.text() == expected and row.error.isVisibleTo(window)
    assert row.state.text() == "Not installed" and not row.buttons["download"].isHidden()


def test_remove_refuses_the_bundled_and_the_in_use_model_and_deletes_another(qtbot, hub_models, monkeypatch):
    window = models_window(qtbot)
    assert window.remove(TINY_ID) is False
    assert window.rows[TINY_ID].error.text() == "Whisper tiny.en is bundled with Hearsay and cannot be removed."
    assert download(qtbot, window, WHISPER_ID) == ("done", "")
    row = window.rows[WHISPER_ID]
    assert row.buttons["remove"].isEnabled()  # installed, not in use
    qtbot.mouseClick(row.buttons["use"], Qt.MouseButton.LeftButton)
    assert Settings().engine_settings().whisper_model == WHISPER_ID
    assert not row.buttons["remove"].isEnabled()
    qtbot.mouseClick(window.rows[TINY_ID].buttons["use"], Qt.MouseButton.LeftButton)
    assert Settings().engine_settings().whisper_model is None  # the bundled default is stored as "the default"
    asked = []
    monkeypatch.setattr(window_module, "confirm_remove", lambda _parent, question: asked.append(question) or True)
    folder = installed.find_installed(WHISPER_ID).folder
    with qtbot.waitSignal(window.models_changed):
        qtbot.mouseClick(row.buttons["remove"], Qt.MouseButton.LeftButton)
    assert asked == ["Remove test-whisper-tiny.en? Its files (74.5 MiB) are deleted; it can be downloaded again."]
    assert not folder.exists() and window.rows[WHISPER_ID].state.text() == "Not installed"


def test_show_in_folder_opens_the_models_folder(qtbot, hub_models):
    class Opener(QObject):
        def __init__(self):
            super().__init__()
            self.urls = []

        @Slot(QUrl)
        def open(self, url):
            self.urls.append(url.toLocalFile())

    opener = Opener()
    QDesktopServices.setUrlHandler("file", opener, "open")  # Qt's hook for the file manager
    try:
        window = models_window(qtbot)
        qtbot.mouseClick(window.rows[TINY_ID].buttons["folder"], Qt.MouseButton.LeftButton)
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert opener.urls == [str(catalog.default_entry("whisper").installed_path())]


def test_closing_the_window_mid_download_cancels_and_waits_for_the_thread(qtbot, hub_models):
    hub_models.rate_bytes_per_s = 5e6
    window = models_window(qtbot)
    row = window.rows[LLM_ID]
    qtbot.mouseClick(row.buttons["download"], Qt.MouseButton.LeftButton)
    task = window.tasks[LLM_ID]
    qtbot.waitUntil(lambda: row.progress.value() > 20, timeout=10_000)
    started = time.monotonic()
    window.close()
    took = time.monotonic() - started
    assert took < 1.0 and task.isFinished() and not task.isRunning() and not window.tasks
    assert installed.partial_bytes(LLM_ID) > 0 and installed.find_installed(LLM_ID) is None


def test_add_model_imports_a_gguf_and_warns_when_it_has_no_chat_template(qtbot, hub_models, monkeypatch, tmp_path):
    import gguf
    import numpy

    path = tmp_path / "base-model.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(2048)
    writer.add_tensor("dummy", numpy.zeros(4, dtype="float32"))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    monkeypatch.setattr(window_module, "choose_import_path", lambda _parent, kind: kind == "gguf" and str(path))
    monkeypatch.setattr(window_module, "choose_import_mode", lambda _parent, _path: "reference")
    window = models_window(qtbot)
    with qtbot.waitSignal(window.models_changed, timeout=10_000):
        assert window.add_model("gguf")
    assert window.notice.text() == (
        "Added base-model (used where it lies); Use makes it the language model. base-model.gguf has no chat "
        "template in its metadata, so its answers are formatted by llama.cpp's fallback and may be poor; prefer "
        "an instruct model.")
    assert window.notice.property("severity") == "warning"
    row = window.rows["base-model"]
    assert row.state.text() == "Installed (imported, used where it lies)" and not row.buttons["use"].isHidden()
    # the same file again: the sentence of the refusal, nothing added
    assert window.add_model("gguf")
    qtbot.waitUntil(lambda: not window.tasks and window.notice.property("severity") == "error", timeout=10_000)
    assert window.notice.text() == ("A model with the id base-model is already installed; remove it with "
                                    "`hearsay models remove base-model` or choose another id.")


def test_the_endpoint_is_remembered_and_the_token_goes_only_to_the_keyring(qtbot, hub_models):
    import keyring

    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        window = models_window(qtbot)
        assert window.endpoint.text() == hub_models.endpoint  # as the settings remember it
        window.endpoint.setText("hf-mirror.com")
        assert window.save_endpoint() is False
        assert window.hub_status.text().startswith("The hub endpoint 'hf-mirror.com' is not an http(s) address")
        qtbot.mouseClick(window.rows[LLM_ID].buttons["download"], Qt.MouseButton.LeftButton)
        assert not window.tasks and hub_models.requests == []  # refused before any request, said in its row
        assert window.rows[LLM_ID].error.text().startswith("The hub endpoint 'hf-mirror.com'")
        window.endpoint.setText("https://hf-mirror.com/")
        assert window.save_endpoint() and Settings().hub_endpoint() == "https://hf-mirror.com"
        token = "hf_models_window_secret"
        window.token.setText(token)
        qtbot.mouseClick(window.save_token_button, Qt.MouseButton.LeftButton)
        assert backend.store == {("Hearsay", "huggingface-hub-token"): token} and window.token.text() == ""
        assert window.hub_status.text() == "The access token is stored in the OS keyring."
        assert token not in open(Settings().file_name(), encoding="utf-8").read()
        qtbot.mouseClick(window.forget_token_button, Qt.MouseButton.LeftButton)
        assert backend.store == {}
    finally:
        keyring.set_keyring(before)


# ---- the main window: menu, shortcut, Settings, and the first-run bar ------------------------------------------

def test_the_models_window_opens_from_the_menu_the_shortcut_and_settings(make_window, qtbot, hub_models):
    window = make_window(auto_start=False)
    assert dict((what, keys) for keys, what in shortcut_rows(window))["Models"] == "Ctrl+Shift+M"
    file_menu = [a for a in window.menuBar().actions() if a.text() == "&File"][0].menu()
    assert window.models_action in file_menu.actions()
    window.models_action.trigger()
    assert window.models_window.isVisible()
    window.models_window.close()
    # Settings → Models…: a modal Models window; Use there fills the dialog's field
    assert download(qtbot, window.open_models(), WHISPER_ID) == ("done", "")
    window.models_window.close()
    dialog = SettingsDialog(window.settings, window, profile=PROFILE)
    qtbot.addWidget(dialog)

    def use_it():
        models = [w for w in QApplication.topLevelWidgets() if isinstance(w, ModelsWindow) and w.isModal()][0]
        models.use(WHISPER_ID)
        models.close()

    QTimer.singleShot(200, use_it)
    qtbot.mouseClick(dialog.models_button, Qt.MouseButton.LeftButton)
    assert dialog.whisper.currentText() == WHISPER_ID and dialog.validate() is None


def test_the_first_run_bar_offers_the_recommended_model_and_one_click_downloads_and_uses_it(make_window, qtbot,
                                                                                           hub_models):
    hub_models.rate_bytes_per_s = 60e6
    window = make_window(auto_start=False)
    bar = window.first_run_bar
    qtbot.waitUntil(lambda: bar.offered == LLM_ID, timeout=5000)
    assert bar.isVisible()
    assert bar.text.text() == ("Answers now come from SmolLM2 135M Instruct, a tiny demo model: they are for trying "
                               "Hearsay out and are often invented. For real work, use a stronger language model.")
    assert bar.button.text() == "Get test-smollm2 (93.8 MiB)"
    assert bar.button.toolTip().startswith("Recommended for this computer. Downloads 93.8 MiB from the hub")
    qtbot.mouseClick(bar.button, Qt.MouseButton.LeftButton)
    models = window.models_window
    assert models.isVisible() and LLM_ID in models.tasks  # the window opened and the download started
    with qtbot.waitSignal(models.download_ended, timeout=60_000) as ended:
        pass
    assert ended.args == [LLM_ID, "done", ""]
    assert window.settings.engine_settings().llm_model == LLM_ID  # used once it was in
    assert not bar.isVisible() and "test-smollm2" in window.models_label.text()


def test_the_first_run_bar_goes_after_use_of_another_model_and_comes_back_with_the_demo(make_window, qtbot,
                                                                                       hub_models):
    downloads.download(catalog.find_entry(LLM_ID), endpoint=hub_models.endpoint)
    window = make_window(auto_start=False)
    bar = window.first_run_bar
    qtbot.waitUntil(lambda: bar.offered == LLM_ID, timeout=5000)
    assert bar.button.text() == "Use test-smollm2"  # installed: one click uses it
    models = window.open_models()
    qtbot.mouseClick(models.rows[LLM_ID].buttons["use"], Qt.MouseButton.LeftButton)
    assert not bar.isVisible()
    assert window.statusBar().currentMessage() == ("test-smollm2 is now the language model; it applies to the next "
                                                   "file analysed.")
    qtbot.mouseClick(models.rows[DEMO_ID].buttons["use"], Qt.MouseButton.LeftButton)
    assert bar.isVisible() and window.settings.engine_settings().llm_model is None
    qtbot.mouseClick(bar.button, Qt.MouseButton.LeftButton)
    assert window.settings.engine_settings().llm_model == LLM_ID and not bar.isVisible()


def test_closing_the_main_window_mid_download_cancels_it_and_waits(make_window, qtbot, hub_models):
    hub_models.rate_bytes_per_s = 5e6
    window = make_window(auto_start=False)
    qtbot.waitUntil(lambda: window.first_run_bar.offered == LLM_ID, timeout=5000)
    qtbot.mouseClick(window.first_run_bar.button, Qt.MouseButton.LeftButton)
    models = window.models_window
    task = models.tasks[LLM_ID]
    qtbot.waitUntil(lambda: models.rows[LLM_ID].progress.value() > 20, timeout=10_000)
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 1.0 and task.isFinished()
    assert installed.partial_bytes(LLM_ID) > 0 and installed.find_installed(LLM_ID) is None


def test_dismissing_the_first_run_bar_is_remembered(make_window, qtbot, hub_models):
    window = make_window(auto_start=False)
    bar = window.first_run_bar
    qtbot.waitUntil(lambda: bar.offered == LLM_ID, timeout=5000)
    qtbot.mouseClick(bar.close_button, Qt.MouseButton.LeftButton)
    assert not bar.isVisible() and Settings().demo_bar_dismissed()
    again = make_window(auto_start=False, settings=Settings())
    qtbot.waitUntil(lambda: again.machine_profile is not None, timeout=5000)
    assert not again.first_run_bar.isVisible()
