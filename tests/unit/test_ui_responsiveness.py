"""The window's process never imports faster-whisper (Whisper runs in a child process), imports the engine
modules it does need before it shows rather than in the middle of the first analysis, and the stall meter
measures event-loop stalls."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer

from app.ui.window.stall_meter import StallMeter

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("faster_whisper", "ctranslate2", "llama_cpp", "torch")

SHOW_WINDOW = """
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from app.ui.window.main_window import MainWindow
loaded_before = [m for m in %r if m in sys.modules]
window = MainWindow(engine_factory=%s)  # nothing is analysed
window.show()
app.processEvents()
visible = window.isVisible()
window.close()
print(json.dumps({"visible": visible, "before": loaded_before, "loaded": [m for m in %r if m in sys.modules]}))
"""


def show_window(tmp_path, factory: str) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HEARSAY_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", SHOW_WINDOW % (HEAVY, factory, HEAVY)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_window_imports_its_in_process_engines_before_it_shows_and_never_faster_whisper(tmp_path):
    # Left to the first analysis, these imports stalled the event loop 51-58 ms (workers.import_engine_modules).
    report = show_window(tmp_path, "None")  # the real engines
    assert report == {"visible": True, "before": [], "loaded": ["ctranslate2", "llama_cpp"]}


def test_with_other_engines_the_window_imports_none_of_the_real_ones(tmp_path):
    report = show_window(tmp_path, "lambda settings: (None, None)")
    assert report == {"visible": True, "before": [], "loaded": []}


def test_stall_meter_records_the_longest_gap(qtbot):
    meter = StallMeter(10)
    meter.start()
    qtbot.wait(60)
    QTimer.singleShot(0, lambda: time.sleep(0.15))  # the event loop is blocked for 150 ms
    qtbot.wait(100)
    assert meter.stop() >= 140 and meter.max_gap_ms >= 140
    assert meter.ticks >= 5 and meter.gaps_over(100) == 1
    assert not meter.is_running()
    meter.start()
    qtbot.wait(50)
    assert meter.stop() < 140  # a new start forgets the old gaps
