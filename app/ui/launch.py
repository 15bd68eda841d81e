"""Start the GUI: ``run_gui(files)`` is what ``hearsay [FILE...]`` calls.

On Windows, faster-whisper (CTranslate2) and llama-cpp-python must load their
DLLs before Qt does, so there they are imported here first, before PySide6.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence

if sys.platform == "win32":  # DLL load order: the engines before Qt (elsewhere this only delays the window)
    try:
        import faster_whisper  # noqa: F401
        import llama_cpp  # noqa: F401
    except ImportError:  # pragma: no cover - the window still opens; analysing reports the missing engine
        pass

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.ui import theme
from app.ui.settings.store import Settings
from app.ui.window.main_window import MainWindow
from app.ui.workers import EngineFactory


def run_gui(files: Sequence[str], *, settings: Settings | None = None,
            engine_factory: EngineFactory | None = None) -> int:
    """Open the window with ``files`` queued and analysing; return the application's exit code.

    ``settings`` and ``engine_factory`` are for tests. Ctrl+C in the terminal
    closes the window the same way as its close button (cancel, wait, exit).
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Hearsay")
    app.setOrganizationName("Hearsay")
    app.setApplicationDisplayName("Hearsay")
    app.setDesktopFileName("hearsay")
    theme.apply(app)
    window = MainWindow(settings=settings, engine_factory=engine_factory)
    app.aboutToQuit.connect(window.shutdown)
    window.show()
    if files:
        window.add_files(files, start=True)

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, lambda *_: window.close()) if in_main_thread else None
    ticker = QTimer()  # lets Python run its signal handlers while Qt's loop runs
    ticker.timeout.connect(lambda: None)
    ticker.start(250)
    try:
        return app.exec()
    finally:
        ticker.stop()
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)
        app.aboutToQuit.disconnect(window.shutdown)
        window.shutdown()
