"""``app.cli.stops`` in this process: real signals sent to the test process (``os.kill``), handled in its main
thread. The first stop signal sets the run's cancel flag (or, with no run, ends the command with 128 + its
number), a second one stops the wait for abandoned engine steps; nothing ever escapes as an exception, and
the handlers before are back afterwards. Subprocess runs on the real models: tests/integration/test_signals.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from app import cli
from app.cli import stops
from app.core.pipeline import cancellable

pytestmark = pytest.mark.skipif(os.name == "nt" or not hasattr(signal, "SIGHUP"), reason="POSIX signals")


def send(signo: int, after: float = 0.0) -> threading.Timer:
    timer = threading.Timer(after, os.kill, (os.getpid(), signo))
    timer.start()
    return timer


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)  # the main thread runs Python's signal handlers between these sleeps


@pytest.fixture
def installed():
    handlers = stops.StopSignals()
    assert handlers.install()
    yield handlers
    handlers.restore()


def test_the_first_signal_cancels_the_run_and_the_second_hurries_without_raising(installed):
    cancel = threading.Event()
    with installed.cancelling(cancel):
        send(signal.SIGTERM)
        wait_until(cancel.is_set)
        assert not installed.hurry.is_set()
        send(signal.SIGINT)
        wait_until(installed.hurry.is_set)
    assert installed.first == signal.SIGTERM and installed.code(1) == 143


@pytest.mark.parametrize("signo, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_with_no_run_to_cancel_a_signal_ends_the_command_with_its_code_once(installed, signo, code, capsys):
    def command() -> int:
        send(signo, after=0.05)
        send(signo, after=0.15)
        wait_until(lambda: False, timeout=10)  # interrupted by the first signal
        return 0

    assert installed.run(command) == code
    wait_until(installed.hurry.is_set)  # the second one arrived outside: it only hurries
    assert capsys.readouterr().err == f"hearsay: {stops.interrupted(signo)}\n"
    assert installed.run(lambda: 0) == code  # a signal that came before a command started ends it too


def test_settle_waits_for_abandoned_steps_unless_hurried(installed):
    release = threading.Event()
    step = threading.Thread(target=release.wait, daemon=True)
    step.start()
    cancellable._abandon(step)
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()
    assert installed.settle(130) == 130
    assert time.monotonic() - started >= 0.25 and not step.is_alive()

    release.clear()
    step = threading.Thread(target=release.wait, daemon=True)
    step.start()
    cancellable._abandon(step)
    try:
        send(signal.SIGINT, after=0.1)  # while settling, any signal means "stop now"
        started = time.monotonic()
        assert installed.settle(130) == 130
        assert time.monotonic() - started < 2 and step.is_alive()  # not waited for
    finally:  # never leave an abandoned step behind: every later settle() would wait for it
        release.set()
    assert cancellable.join_abandoned(5)


def test_main_restores_the_handlers_it_found(monkeypatch, capsys):
    before = {signo: signal.getsignal(signo) for signo in stops.STOP_SIGNALS}
    seen = {}

    def fake_history(argv):
        seen.update({signo: signal.getsignal(signo) for signo in stops.STOP_SIGNALS})
        os.kill(os.getpid(), signal.SIGTERM)
        wait_until(lambda: False)
        return 0

    import app.cli.history as history

    monkeypatch.setattr(history, "run_history", fake_history)
    assert cli.main(["history"]) == 143
    assert all(getattr(handler, "__self__", None).__class__ is stops.StopSignals for handler in seen.values())
    assert {signo: signal.getsignal(signo) for signo in stops.STOP_SIGNALS} == before
    assert capsys.readouterr().err == "hearsay: interrupted by SIGTERM\n"


@pytest.mark.parametrize("signo", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["INT", "TERM", "HUP"])
def test_a_signal_while_hearsay_imports_ends_the_process_even_where_the_exception_would_be_lost(signo):
    """``app.__main__``'s handlers before ``app.cli`` takes over: CPython's import machinery can drop an
    exception raised in some of its steps (a module lock's callback, say), so the handler must end the process
    itself. Here a ``try/except BaseException`` stands for such a step: nothing may run after the signal."""
    script = (
        "import os, signal\n"
        "from app.__main__ import _quiet_stop_signals\n"
        "_quiet_stop_signals()\n"
        "try:\n"
        f"    os.kill(os.getpid(), {int(signo)})\n"
        "    for _ in range(100000): pass\n"
        "except BaseException:\n"
        "    pass\n"
        "print('went on', flush=True)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    name = "" if signo == signal.SIGINT else f" by {signal.Signals(signo).name}"
    assert (done.returncode, done.stdout, done.stderr) == (128 + signo, "", f"hearsay: interrupted{name}\n")
