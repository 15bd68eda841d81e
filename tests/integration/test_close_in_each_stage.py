"""Closing the window in each stage of a real analysis (tiny.en + SmolLM2-135M): the process exits 0
without Qt's "Destroyed while thread is still running" or any other thread warning, and the history
library holds the analysis as cancelled, exactly as far as it got (no half rows).

Each case runs ``app.ui.launch.run_gui`` (the path ``hearsay FILE`` takes) in a child process, offscreen,
with a 60-second recording queued (once its signals are connected); the child closes the window as the wanted stage is reached (seen
from the GUI thread through the worker's signals) and reports the stage it saw and how long the close took.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.core.library.store import LIBRARY_FILE, Library
from tests.makers import repeated_speech

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data"

CHILD = textwrap.dedent('''
    import json, sys, time
    from PySide6.QtCore import QObject, QTimer, Slot
    from PySide6.QtWidgets import QApplication
    from app.core.pipeline.engines import EngineSettings
    from app.core.pipeline.events import ResponseDelta, SegmentDecoded, Stage, StageChanged
    from app.ui.launch import run_gui
    from app.ui.window.main_window import MainWindow
    from app.ui.settings.store import Settings

    wanted, recording = sys.argv[1], sys.argv[2]
    reached = {
        "loading": lambda e: isinstance(e, StageChanged) and e.stage is Stage.LOADING_WHISPER,
        "transcribing": lambda e: isinstance(e, SegmentDecoded),
        "prompting": lambda e: isinstance(e, ResponseDelta),
    }[wanted]
    app = QApplication(sys.argv[:1])
    settings = Settings()
    settings.set_engine_settings(EngineSettings(max_tokens=256))
    settings.set_prompts(["Write a long, detailed report of this meeting."])

    class Closer(QObject):
        """Lives in the GUI thread, so the worker's signal reaches it queued, as the window's own slots."""

        def __init__(self, window):
            super().__init__()
            self.window = window
            window.host.worker.event.connect(self.on_event)
            window.idle.connect(self.on_idle)

        @Slot()
        def on_idle(self):  # the run ended before the wanted stage: say so and close (no hang)
            if self.window.isVisible():
                [entry] = self.window.entries()
                print(f"ended before {wanted}: {entry.status.value}, {len(entry.segments)} segments", flush=True)
                self.window.close()

        @Slot(str, object)
        def on_event(self, analysis_id, event):
            if reached(event) and self.window.isVisible():
                print(f"closing during {wanted} ({type(event).__name__})", flush=True)
                started = time.perf_counter()
                self.window.close()
                print(f"close_s={time.perf_counter() - started:.3f}", flush=True)

    def hook():  # run_gui makes the window; connect to it, then queue the file as `hearsay FILE` does
        windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow)]
        if not windows:
            QTimer.singleShot(0, hook)
            return
        app.closer = Closer(windows[0])
        windows[0].add_files([recording], start=True)

    QTimer.singleShot(0, hook)
    code = run_gui([], settings=settings)
    [entry] = app.closer.window.entries()  # the worker is done with it: closing waited for the thread
    analysis = entry.analysis
    print("memory=" + json.dumps({"id": analysis.id, "status": analysis.status.value,
                                  "segments": [s.text for s in analysis.transcript.segments],
                                  "results": [(r.status.value, r.response) for r in analysis.prompt_results]}))
    print(f"exit={code}", flush=True)
    sys.exit(code)
''')


@pytest.fixture(scope="module")
def long_speech(tmp_path_factory) -> Path:
    """About 60 s of speech: tests/data/speech.wav five times with half a second of silence between."""
    return repeated_speech(tmp_path_factory.mktemp("speech") / "long.wav", 5, seconds=60)


@pytest.mark.parametrize("stage", ["loading", "transcribing", "prompting"])
def test_close_the_window_during(stage, long_speech, tmp_path, record_property):
    env = dict(os.environ, HEARSAY_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=str(ROOT))
    for attempt in (1, 2):  # a run that ended before the stage (it has happened once) is tried again
        home = tmp_path / f"home{attempt}"
        env["HEARSAY_HOME"] = str(home)
        done = subprocess.run([sys.executable, "-c", CHILD, stage, str(long_speech)], capture_output=True, text=True,
                              timeout=300, env=env, cwd=ROOT)
        if "ended before" not in done.stdout:
            break
        record_property(f"attempt_{attempt}", done.stdout.split("ended before", 1)[1].splitlines()[0])
    print(f"\n{stage}: " + " | ".join(line for line in done.stdout.splitlines() if not line.startswith("memory=")))
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"closing during {stage}" in done.stdout and "exit=0" in done.stdout
    assert "Destroyed while" not in done.stderr, done.stderr[-3000:]
    assert "QThread" not in done.stderr and "Traceback" not in done.stderr, done.stderr[-3000:]
    record_property("close_s", float(done.stdout.split("close_s=")[1].split()[0]))
    memory = json.loads(done.stdout.split("memory=")[1].splitlines()[0])
    assert memory["status"] == "cancelled"
    assert_library_matches(home / "data" / LIBRARY_FILE, memory, stage)


def assert_library_matches(path: Path, memory: dict, stage: str) -> None:
    """The history holds the closed analysis as cancelled, exactly as the window had it: every segment
    decoded before the close in order, each prompt result final (no row left running or waiting)."""
    library = Library(path)
    try:
        [entry] = library.entries()
        assert (entry.id, entry.status) == (memory["id"], "cancelled")
        stored = library.load(entry.id)
        assert [s.text for s in stored.transcript.segments] == memory["segments"]
        assert [(r.status.value, r.response) for r in stored.prompt_results] == [tuple(r) for r in memory["results"]]
        assert all(status in ("cancelled", "done") for status, _ in memory["results"])
        conn = library.connection()
        assert [row[0] for row in conn.execute("SELECT idx FROM segments ORDER BY idx")] == \
            list(range(len(memory["segments"])))
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("INSERT INTO search_index (search_index) VALUES ('integrity-check')")  # raises when broken
    finally:
        library.close()
    if stage == "loading":
        assert memory["segments"] == []
    elif stage == "transcribing":
        assert memory["segments"] and not entry.transcript_complete
    else:
        assert entry.transcript_complete and memory["results"][0][0] == "cancelled" and memory["results"][0][1]
