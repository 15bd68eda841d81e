"""The History end to end on the real default models (tiny.en + SmolLM2-135M): a run is stored, a second run
of the same file reuses its transcript, and a new window shows the stored analysis without loading a model."""

from pathlib import Path

import pytest

from app.core.analysis import AnalysisStatus, PromptStatus
from app.core.pipeline.engines import EngineSettings, create_engines
from app.core.pipeline.events import ModelReady
from app.ui.settings.store import Settings
from app.ui.window.main_window import MainWindow

pytestmark = pytest.mark.integration

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"
KEY_WORDS = ("website", "friday", "budget")


def test_history_stores_reuses_and_reopens_an_analysis_on_real_models(qtbot):
    settings = Settings()
    settings.set_engine_settings(EngineSettings(max_tokens=32))
    settings.set_prompts(["Who will write the press release?"])
    window = MainWindow(settings=settings, engine_factory=create_engines)
    qtbot.addWidget(window)
    window.show()
    whisper_loads = []
    window.host.worker.event.connect(
        lambda analysis_id, e: whisper_loads.append(analysis_id) if isinstance(e, ModelReady) and e.role == "whisper"
        else None)
    with qtbot.waitSignal(window.idle, timeout=300_000):
        window.add_files([SPEECH])
    [entry] = window.entries()
    first_id, first_answer = entry.id, entry.responses[0]
    assert entry.status is AnalysisStatus.DONE and entry.prompt_statuses == [PromptStatus.DONE], entry.error
    window.file_view.select_entry(entry)
    window.remove_selected()
    with qtbot.waitSignal(window.idle, timeout=300_000):
        [entry] = window.add_files([SPEECH])  # the same file again: its stored transcript is reused
    assert entry.reused_from == first_id and whisper_loads == [first_id]
    assert entry.state_text().startswith("Done · Transcript reused from the analysis of ")
    window.close()

    factory_calls = []
    reopened = MainWindow(settings=settings, engine_factory=lambda s: factory_calls.append(s) or create_engines(s))
    qtbot.addWidget(reopened)
    reopened.show()
    reopened.history.show_panel()
    panel = reopened.history.panel
    [row] = panel.rows()  # both runs are of one recording: one row, the newest run, the other under it
    assert row.entry.status == "done" and [e.status for e in row.earlier] == ["done"]
    assert {row.entry.id, row.earlier[0].id} == {first_id, entry.id}
    panel.every_run.setChecked(True)
    assert sorted(r.entry.id for r in panel.rows()) == sorted([first_id, entry.id])
    with qtbot.waitSignal(reopened.history.opened, timeout=10_000) as opened:
        reopened.history.open_stored(first_id)
    stored = opened.args[0]
    transcript = reopened.results.transcript.toPlainText().lower()
    assert all(word in transcript for word in KEY_WORDS), transcript
    assert stored.responses[0] == first_answer and reopened.results.prompt_page(0).plain_text().strip()
    assert factory_calls == [] and not reopened.host.thread.isRunning()  # nothing was loaded or run
    reopened.close()
