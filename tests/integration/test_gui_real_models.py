"""The window end to end on the real default models (tiny.en + SmolLM2-135M): drop, tabs, Markdown export."""

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from app.core.analysis import AnalysisStatus, PromptStatus
from app.core.engines import EngineSettings, create_engines
from app.core.events import ModelReady
from app.core.prompts import default_prompts
from app.ui.main_window import MainWindow
from app.core.prompts import tab_titles
from app.ui.settings import Settings

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent.parent / "data"
KEY_WORDS = ("website", "friday", "maria", "budget", "marketing")


def test_gui_drop_to_tabs_to_markdown_on_real_models(qtbot, drop_files, monkeypatch, tmp_path):
    settings = Settings()
    settings.set_engine_settings(EngineSettings(max_tokens=48))
    window = MainWindow(settings=settings, engine_factory=create_engines)
    qtbot.addWidget(window)
    window.show()
    loads = []
    window.host.worker.event.connect(
        lambda _id, e: loads.append((e.role, e.load_time)) if isinstance(e, ModelReady) else None)

    with qtbot.waitSignal(window.idle, timeout=300_000):
        assert drop_files(window.drop_zone, [DATA / "speech.wav", DATA / "speech.mp4"]) == (True, True)

    wav, mp4 = window.entries()
    for entry in (wav, mp4):
        assert entry.status is AnalysisStatus.DONE, entry.error
        assert entry.prompt_statuses == [PromptStatus.DONE] * 3
    # The models load once and stay loaded for the second file.
    assert [role for role, _ in loads] == ["whisper", "llm", "whisper", "llm"]
    assert loads[0][1] > 0 and loads[1][1] > 0 and loads[2][1] == 0 and loads[3][1] == 0

    window.file_view.select_entry(wav)
    results = window.results
    assert results.tab_titles() == ["Transcript"] + tab_titles(default_prompts())
    transcript = results.transcript.toPlainText()
    assert transcript.startswith("[00:00] ")
    assert all(word in transcript.lower() for word in KEY_WORDS), transcript
    for index in range(3):
        assert results.prompt_page(index).plain_text().strip(), f"prompt {index + 1} has no response"
        assert results.prompt_page(index).banner_text() == ""

    out = tmp_path / "speech.md"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(out), "Markdown (*.md)"))
    window.export_md_action.trigger()
    markdown = out.read_text("utf-8")
    assert markdown.startswith("# speech.wav\n")
    for prompt in default_prompts():
        section = markdown.split(f"## {prompt}\n", 1)[1].split("\n## ", 1)[0]
        assert section.strip(), f"empty section for {prompt!r}"
    assert "## Transcript" in markdown and "- **Whisper model:** tiny.en" in markdown

    window.close()
    assert not window.host.thread.isRunning()
