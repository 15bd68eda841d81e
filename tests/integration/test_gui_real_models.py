"""The window end to end on the real default models (tiny.en + SmolLM2-135M): drop, tabs, a follow-up
question, Markdown export; and how long the event loop stalls during an analysis."""

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog

from app.core.analysis import AnalysisStatus, PromptStatus
from app.core.llm.prompts import default_named_prompts
from app.core.pipeline.engines import EngineSettings
from app.core.pipeline.events import ModelReady
from app.ui.settings.store import Settings
from app.ui.window.main_window import MainWindow
from app.ui.window.stall_meter import StallMeter

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent.parent / "data"
KEY_WORDS = ("website", "friday", "maria", "budget", "marketing")
MAX_STALL_MS = 250
"""A generous bound for CI; `make bench` reports the figure against its 50 ms goal."""


def test_gui_drop_to_tabs_to_markdown_on_real_models(qtbot, drop_files, monkeypatch, tmp_path):
    settings = Settings()
    settings.set_engine_settings(EngineSettings(max_tokens=48))
    window = MainWindow(settings=settings)  # the window's own engines: Whisper in its child process
    qtbot.addWidget(window)
    window.show()
    loads = []
    window.host.worker.event.connect(
        lambda analysis_id, e: loads.append((analysis_id, e.role, e.load_time)) if isinstance(e, ModelReady) else None)

    with qtbot.waitSignal(window.idle, timeout=300_000):
        assert drop_files(window.drop_zone, [DATA / "speech.wav", DATA / "speech.mp4"]) == (True, True)

    wav, mp4 = window.entries()
    for entry in (wav, mp4):
        assert entry.status is AnalysisStatus.DONE, entry.error
        assert entry.prompt_statuses == [PromptStatus.DONE] * 3
    # The models load once and stay loaded for the second file. The LLM loads in the background while
    # the first file transcribes, so its ModelReady may report little or no load time of its own.
    for entry in (wav, mp4):
        assert sorted(role for analysis_id, role, _ in loads if analysis_id == entry.id) == ["llm", "whisper"]
    assert [t for i, role, t in loads if i == wav.id and role == "whisper"][0] > 0
    assert all(t == 0 for i, _, t in loads if i == mp4.id)

    window.file_view.select_entry(wav)
    results = window.results
    assert results.tab_titles() == ["Transcript", "Summary", "Paragraph", "Action items"]
    transcript = results.transcript.toPlainText()
    assert transcript.startswith("[00:00] ")
    assert all(word in transcript.lower() for word in KEY_WORDS), transcript
    for index in range(3):
        assert results.prompt_page(index).plain_text().strip(), f"prompt {index + 1} has no response"
        cut = wav.prompt_cut_off[index]  # at 48 tokens SmolLM2 often reaches the limit: said, not hidden
        assert results.prompt_page(index).banner_text() == (
            f"Cut off: this answer reached the limit of {cut} tokens and may stop mid-sentence." if cut else "")

    # A follow-up question runs on the loaded models; the questions asked afterwards share one tab.
    with qtbot.waitSignal(window.idle, timeout=120_000):
        assert window.ask("Who will write the press release?", wav)
    assert wav.prompt_statuses[-1] is PromptStatus.DONE, wav.prompt_errors[-1]
    assert results.tab_titles()[-1] == "Questions" and wav.prompts[-1].startswith("Who will")
    assert results.prompt_page(3).heading() == "Who will write the press release?"
    assert results.prompt_page(3).plain_text().strip()
    assert results.context_meter.text().startswith("Transcript ")
    assert not [e for e in loads if e[0] == wav.id and e[1] == "llm"][1:]  # no new model load

    out = tmp_path / "speech.md"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(out), "Markdown (*.md)"))
    window.export_md_action.trigger()
    markdown = out.read_text("utf-8")
    assert markdown.startswith("# speech.wav\n")
    for prompt in default_named_prompts():
        section = markdown.split(f"## {prompt.name}\n\n_{prompt.text}_\n", 1)[1].split("\n## ", 1)[0]
        assert section.strip(), f"empty section for {prompt!r}"
    assert "## Transcript" in markdown and "- **Whisper model:** tiny.en" in markdown

    window.close()
    assert not window.host.thread.isRunning()


def test_gui_event_loop_stays_responsive_during_an_analysis_on_real_models(qtbot):
    settings = Settings()
    settings.set_engine_settings(EngineSettings(max_tokens=48))
    window = MainWindow(settings=settings)  # the window's own engines: Whisper in its child process
    qtbot.addWidget(window)
    window.show()
    meter = StallMeter(10)
    meter.start()
    with qtbot.waitSignal(window.idle, timeout=300_000):
        window.add_files([DATA / "speech.wav"])
    meter.stop()
    [entry] = window.entries()
    assert entry.status is AnalysisStatus.DONE, entry.error
    print(f"\nlongest event-loop stall from submit to idle: {meter.max_gap_ms:.0f} ms "
          f"({meter.ticks} ticks, {meter.gaps_over(50)} gaps over 50 ms)")
    assert meter.max_gap_ms < MAX_STALL_MS
    window.close()
