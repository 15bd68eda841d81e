"""The engine worker on its own thread, ``run_gui``, and the conftest's thread guard."""

import threading
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.core.analysis import Analysis, AnalysisStatus, PromptStatus
from app.core.errors import ModelError
from app.core.pipeline.engines import EngineSettings
from app.core.pipeline.events import AnalysisFinished
from app.ui.workers import WorkerHost
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


def test_worker_signals_in_strict_order_and_engines_are_reused(qtbot):
    made = []

    def factory(settings):
        made.append(threading.get_ident())
        return ScriptedTranscriber(), ScriptedPromptRunner()

    host = WorkerHost(factory)
    try:
        worker = host.worker
        finished, started = [], []
        worker.analysis_started.connect(started.append)
        worker.event.connect(lambda _id, e: finished.append(e.analysis) if isinstance(e, AnalysisFinished) else None)
        one, two = Analysis(SPEECH, ["A?"]), Analysis(SPEECH, ["B?"])
        with qtbot.waitSignals([worker.analysis_started, worker.analysis_started, worker.batch_finished],
                               order="strict", timeout=5000):
            host.submit([one, two], EngineSettings())
        assert started == [one, two]
        assert finished == [one, two] and all(a.status is AnalysisStatus.DONE for a in finished)
        with qtbot.waitSignal(worker.batch_finished, timeout=5000):
            host.submit([Analysis(SPEECH, ["C?"])], EngineSettings(language="en"))
        assert len(made) == 1 and made[0] != threading.get_ident()
    finally:
        host.shutdown()
    assert not host.thread.isRunning()


def test_factory_errors_fail_each_file_with_the_message(qtbot):
    def factory(settings):
        raise ModelError("the default model tiny.en is not installed; run `make setup`")

    host = WorkerHost(factory)
    try:
        analysis = Analysis(SPEECH, ["A?"])
        with qtbot.waitSignal(host.worker.batch_finished, timeout=5000):
            host.submit([analysis], EngineSettings())
        assert analysis.status is AnalysisStatus.FAILED
        assert analysis.error == "the default model tiny.en is not installed; run `make setup`"
        assert analysis.prompt_results[0].status is PromptStatus.SKIPPED
    finally:
        host.shutdown()


def test_cancel_skips_queued_batches_too(qtbot):
    gate = threading.Event()
    host = WorkerHost(lambda s: (ScriptedTranscriber(gate=gate), ScriptedPromptRunner()))
    try:
        running, queued = Analysis(SPEECH, ["A?"]), Analysis(SPEECH, ["B?"])
        with qtbot.waitSignal(host.worker.analysis_started, timeout=5000):
            host.submit([running], EngineSettings())
        host.submit([queued], EngineSettings())
        assert host.is_busy()
        started = time.monotonic()
        host.cancel()
        qtbot.waitUntil(lambda: not host.is_busy(), timeout=2000)
        assert time.monotonic() - started < 1.0
        assert running.status is AnalysisStatus.CANCELLED and queued.status is AnalysisStatus.CANCELLED
        assert queued.prompt_results[0].status is PromptStatus.CANCELLED
    finally:
        host.shutdown()


def test_submit_after_shutdown_is_refused():
    host = WorkerHost(lambda s: (ScriptedTranscriber(), ScriptedPromptRunner()))
    host.shutdown()
    try:
        host.submit([Analysis(SPEECH, ["A?"])], EngineSettings())
    except RuntimeError as exc:
        assert "shut down" in str(exc)
    else:
        raise AssertionError("submit after shutdown must fail")


def test_run_gui_queues_and_starts_the_files(qapp, monkeypatch):
    from app.ui.launch import run_gui
    from app.ui.settings.store import Settings
    from app.ui.window.main_window import MainWindow

    settings = Settings()
    settings.set_auto_start(False)  # files named on the command line start anyway
    seen = []

    def close_when_done():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows and windows[0].entries() and all(e.finished for e in windows[0].entries()):
            seen.append(windows[0])
            windows[0].close()

    timer = QTimer()
    timer.timeout.connect(close_when_done)
    timer.start(20)
    try:
        code = run_gui([str(SPEECH)], settings=settings,
                       engine_factory=lambda s: (ScriptedTranscriber(), ScriptedPromptRunner()))
    finally:
        timer.stop()
    assert code == 0
    [window] = seen
    assert window.windowTitle() == "Hearsay"
    assert [e.status for e in window.entries()] == [AnalysisStatus.DONE]
    assert window.results.tab_titles()[0] == "Transcript" and window.results.tabs.count() == 4
    assert not window.host.thread.isRunning()
    window.deleteLater()


def test_thread_guard_fails_a_test_that_leaves_a_qthread_running(pytester):
    conftest = Path(__file__).parent.parent / "conftest.py"
    pytester.makeconftest(conftest.read_text("utf-8"))
    pytester.makepyfile(
        """
        from PySide6.QtCore import QThread

        keep = []

        def test_leaks_a_qthread(qapp):
            thread = QThread()
            keep.append(thread)
            thread.start()

        def test_leaks_a_python_thread():
            import threading
            stop = threading.Event()
            threading.Thread(target=stop.wait, args=(2.2,), name="leaky").start()
            keep.append(stop)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines(["*QThread(s) left running, started at: *test_thread_guard*.py:8",
                                 "*Python thread(s) left running: leaky*"])
