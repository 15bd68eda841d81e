"""The window opens without the heavy engine modules, and the stall meter measures event-loop stalls."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer

from app.ui.window.stall_meter import StallMeter

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("faster_whisper", "ctranslate2", "llama_cpp")

SHOW_WINDOW = """
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from app.ui.window.main_window import MainWindow
window = MainWindow()  # the default engine factory; nothing is analysed
window.show()
app.processEvents()
visible = window.isVisible()
window.close()
print(json.dumps({"visible": visible, "loaded": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


def test_the_window_shows_without_importing_the_engines(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HEARSAY_HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", SHOW_WINDOW], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"visible": True, "loaded": []}


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
