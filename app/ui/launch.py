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
from app.ui.player.playback import quiet_multimedia_logs
from app.ui.settings.store import Settings
from app.ui.window.main_window import MainWindow
from app.ui.workers import EngineFactory


def run_gui(files: Sequence[str], *, settings: Settings | None = None,
            engine_factory: EngineFactory | None = None) -> int:
    """Open the window with ``files`` queued and analysing; return the application's exit code.

    ``settings`` and ``engine_factory`` are for tests. Ctrl+C in the terminal, SIGTERM and SIGHUP close
    the window the same way as its close button (cancel, wait, exit); the exit code is then 128 + the
    signal's number (130, 143, 129), as on the command line.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Hearsay")
    app.setOrganizationName("Hearsay")
    app.setApplicationDisplayName("Hearsay")
    app.setDesktopFileName("hearsay")
    theme.apply(app)
    quiet_multimedia_logs()
    window = MainWindow(settings=settings, engine_factory=engine_factory)
    app.aboutToQuit.connect(window.shutdown)
    window.show()
    if files:
        window.add_files(files, start=True)

    received: list[int] = []

    def close_on_signal(signo, _frame) -> None:
        received.append(signo)
        window.close()

    in_main_thread = threading.current_thread() is threading.main_thread()
    stop_signals = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {signo: signal.signal(signo, close_on_signal) for signo in stop_signals  # ignored (nohup): kept so
                if signal.getsignal(signo) is not signal.SIG_IGN} if in_main_thread else {}
    ticker = QTimer()  # lets Python run its signal handlers while Qt's loop runs
    ticker.timeout.connect(lambda: None)
    ticker.start(250)
    try:
        code = app.exec()
        return 128 + received[0] if received else code
    finally:
        ticker.stop()
        for signo, handler in previous.items():
            signal.signal(signo, handler)
        app.aboutToQuit.disconnect(window.shutdown)
        window.shutdown()
