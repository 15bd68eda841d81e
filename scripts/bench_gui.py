"""GUI figures for `make bench`, in their own process: window visible after launch, longest stall.

Prints ``window_visible_s=`` (seconds from just before this interpreter
imported PySide6 and Hearsay's window to the window being shown, models not
loaded) and ``max_stall_ms=`` (longest gap of a 10 ms timer while the real
default models analyse tests/data/speech.wav in the worker thread).
Interpreter start-up itself is not included: `python -c pass` adds about 0.05 s.
"""

from __future__ import annotations

import sys
import time

STARTED = time.perf_counter()

from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.pipeline.engines import EngineSettings  # noqa: E402
from app.ui.settings.store import Settings  # noqa: E402
from app.ui.window.main_window import MainWindow  # noqa: E402
from app.ui.window.stall_meter import StallMeter  # noqa: E402


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = Settings()  # under the benchmark's own HEARSAY_HOME
    settings.set_engine_settings(EngineSettings(max_tokens=48))
    window = MainWindow(settings=settings)
    window.show()
    app.processEvents()
    print(f"window_visible_s={time.perf_counter() - STARTED:.3f}", flush=True)
    meter = StallMeter(10)
    meter.start()
    window.idle.connect(meter.stop)  # the analysis is over: closing the window afterwards is not measured
    window.idle.connect(app.quit)
    window.add_files([ROOT / "tests" / "data" / "speech.wav"], start=True)
    app.exec()
    meter.stop()
    print(f"max_stall_ms={meter.max_gap_ms:.1f}", flush=True)
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
