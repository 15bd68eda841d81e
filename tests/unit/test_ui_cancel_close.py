"""Cancel (button and Esc) and closing the window mid-run: fast, clean, finished files kept."""

import time
from pathlib import Path

from PySide6.QtCore import Qt

from app.core.analysis import AnalysisStatus, PromptStatus
from app.core.pipeline.events import Stage
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"


def slow_transcriber():
    """Twenty segments, half a second apart: ten seconds unless cancelled."""
    return ScriptedTranscriber(segments=make_segments([f"Segment {i}." for i in range(20)]), delay=0.5)


def slow_runner():
    """A hundred tokens, 50 ms apart: five seconds per prompt unless cancelled."""
    return ScriptedPromptRunner(tokens=[f"t{i} " for i in range(100)], delay=0.05)


def test_cancel_mid_transcription_keeps_finished_files_and_cancels_the_queue(make_window, qtbot, speech_copies):
    first, second, third = speech_copies("first.wav", "second.wav", "third.wav")
    transcriber = ScriptedTranscriber()
    window = make_window(transcriber=transcriber)
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.add_files([first])
    transcriber.segments, transcriber.delay = slow_transcriber().segments, 0.5
    window.add_files([second, third])
    done, running, queued = window.entries()
    qtbot.waitUntil(lambda: len(running.segments) >= 1, timeout=3000)
    assert window.cancel_action.isEnabled()
    started = time.monotonic()
    with qtbot.waitSignal(window.idle, timeout=2000):
        window.cancel_action.trigger()
    assert time.monotonic() - started < 1.0
    assert done.status is AnalysisStatus.DONE and done.responses == [f"Answer to prompt {i}." for i in (1, 2, 3)]
    assert running.status is AnalysisStatus.CANCELLED and running.state_text() == "Cancelled"
    assert queued.status is AnalysisStatus.CANCELLED
    assert [p.name for p in transcriber.calls] == ["first.wav", "second.wav"]
    assert window.export_md_action.isEnabled()  # the finished file (and the partial transcript) can be exported
    window.file_view.select_entry(running)
    assert window.results.transcript.toPlainText().startswith("[00:00] Segment 0.")
    assert window.results.prompt_page(0).banner_text() == (
        "Not run: the analysis was cancelled before this prompt. Analysis → Resume runs it.")


def test_cancel_mid_generation_with_esc(make_window, qtbot):
    window = make_window(runner=slow_runner())
    window.add_files([SPEECH])
    entry = window.entries()[0]
    page = window.results.prompt_page(0)
    qtbot.waitUntil(lambda: page.plain_text().startswith("t0 t1"), timeout=3000)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    started = time.monotonic()
    with qtbot.waitSignal(window.idle, timeout=2000):
        qtbot.keyClick(window.file_view, Qt.Key.Key_Escape)
    assert time.monotonic() - started < 1.0
    assert entry.status is AnalysisStatus.CANCELLED
    assert entry.prompt_statuses == [PromptStatus.CANCELLED] * 3
    assert page.banner_text() == (
        "Cancelled while answering: the answer below is incomplete. Right-click the tab → Run again to finish it.")
    assert page.plain_text().count("t") >= 2  # the partial response stays visible
    assert not window.cancel_action.isEnabled() and not window.progress.is_running()


def test_a_new_batch_after_cancel_runs_normally(make_window, qtbot):
    window = make_window(runner=slow_runner())
    window.add_files([SPEECH])
    qtbot.waitUntil(lambda: window.entries()[0].stage is Stage.PROMPTING, timeout=3000)
    with qtbot.waitSignal(window.idle, timeout=2000):
        window.cancel()
    window.engines.runner.tokens, window.engines.runner.delay = ["Fine."], 0.0
    window.file_view.select_entry(window.entries()[0])
    with qtbot.waitSignal(window.idle, timeout=5000):
        window.analyze()
    assert window.entries()[0].status is AnalysisStatus.DONE
    assert window.results.prompt_page(2).plain_text() == "Fine."


def test_close_mid_transcription_stops_the_thread(make_window, qtbot):
    window = make_window(transcriber=slow_transcriber())
    window.add_files([SPEECH])
    qtbot.waitUntil(lambda: len(window.entries()[0].segments) >= 1, timeout=3000)
    thread = window.host.thread
    assert thread.isRunning()
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 1.0
    assert not thread.isRunning() and thread.isFinished()
    assert not window.is_busy()


class ClosingRunner(ScriptedPromptRunner):
    """Records the thread that closes it (engines must be released in the worker thread)."""

    closed_in = None

    def close(self):
        import threading

        self.closed_in = threading.get_ident()


def test_close_mid_generation_releases_engines_in_the_worker_thread(make_window, qtbot):
    import threading

    runner = ClosingRunner(tokens=[f"t{i} " for i in range(100)], delay=0.05)
    window = make_window(runner=runner)
    window.add_files([SPEECH])
    qtbot.waitUntil(lambda: window.entries()[0].prompt_statuses[0] is PromptStatus.RUNNING, timeout=3000)
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 1.0
    assert not window.host.thread.isRunning()
    assert runner.closed_in is not None and runner.closed_in != threading.get_ident()
    assert runner.closed_in in window.engines.threads


def test_close_when_idle_and_never_started(make_window):
    window = make_window()
    assert not window.host.thread.isRunning()
    window.close()  # nothing to stop
    assert not window.host.thread.isRunning()
