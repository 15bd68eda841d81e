"""Ctrl+C, SIGTERM and SIGHUP on the command line: the first asks the run to stop, the second stops now.

The first stop signal sets the running analysis's cancel flag (``cancelling``):
the engines stop at their next segment, prefill slice or token, what is
finished is written and stored, the files in progress are stored as cancelled
(resumable), and ``hearsay`` exits with ``exit_code(signal)``: 128 + the
signal's number (130 Ctrl+C, 143 SIGTERM, 129 SIGHUP), as a shell reports a
process killed by it. Before exiting it waits for the engine steps a cancel
abandoned (a model load, a Whisper window: ``app.core.pipeline.cancellable``),
because tearing the interpreter down under a thread inside CTranslate2 or
llama.cpp crashes the process; that wait is ``settle``.

A second stop signal (any of the three) means "stop now": it never raises in
the middle of a write. The current write ends (the run is already winding
down), ``settle`` stops waiting for the abandoned steps, and the process flushes
stdout, stderr and the log and leaves with ``os._exit`` (no interpreter
teardown, so no crash under a native thread). Should the wind-down take more
than ``HURRY_GRACE_S`` (the main thread blocked in C, say waiting for a history
library another program keeps locked, where Python cannot run its handlers),
the process leaves all the same, saying so in one line: SQLite keeps every
committed write and drops the one in progress whole, and a run left stored as
running by a process that is gone is listed as interrupted. That count of
signals is kept by a thread reading ``signal.set_wakeup_fd``'s pipe, so it
works whatever the main thread is doing.

When no run is there to cancel (listing the history, opening the library,
before the engines start), the first signal raises ``Stopped`` in the main
thread, as Ctrl+C raises KeyboardInterrupt, but only inside ``run`` (which
turns it into the exit code) and only once, so it never escapes as a traceback. Only the process's own entry point (``app.__main__``) may end the
process; a ``main`` called in-process (tests) never calls ``os._exit``.

Thread-safety: install, restore and the handlers run in the main thread;
``cancelling`` may be entered from it only.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from app.core.pipeline.cancellable import EXIT_WAIT_SECONDS, join_abandoned

STOP_SIGNALS: tuple[int, ...] = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                                      if hasattr(signal, name))
HURRY_GRACE_S = 3.0
"""After a second stop signal, the longest the write in progress may take before the process ends anyway."""
POLL_S = 0.05
_FLUSH_WAIT_S = 0.5

_current: StopSignals | None = None


class Stopped(KeyboardInterrupt):
    """Raised in the main thread by a first stop signal when no run is there to cancel. ``signo``: which."""

    def __init__(self, signo: int) -> None:
        super().__init__(signo)
        self.signo = signo


def exit_code(signo: int) -> int:
    """The exit status after stop signal ``signo``: 128 + its number (Ctrl+C: 130)."""
    return 128 + int(signo)


def interrupted(signo: int | None) -> str:
    """"interrupted" after Ctrl+C (or none), "interrupted by SIGTERM" after another stop signal."""
    return "interrupted" if signo in (None, signal.SIGINT) else f"interrupted by {signal_name(signo)}"


def signal_name(signo: int) -> str:
    """``SIGTERM`` for 15, and so on."""
    try:
        return signal.Signals(signo).name
    except ValueError:
        return f"signal {signo}"


class StopSignals:
    """The stop-signal handlers of one command (see the module docstring).

    ``own_process``: this is the process's entry point, so a second signal may
    end the process with ``os._exit``. ``first`` is the first signal received
    (None before), ``hurry`` is set by the second.
    """

    def __init__(self, own_process: bool = False) -> None:
        self.own_process = own_process
        self.first: int | None = None
        self.hurry = threading.Event()
        self.exit_status: int | None = None  # what os._exit would give, once known
        self._cancels: list[threading.Event] = []
        self._previous: dict[int, object] = {}
        self._settling = False
        self._armed = False  # Stopped may be raised now (inside ``run``, once)
        self._watchdog: threading.Thread | None = None
        self._watchdog_lock = threading.Lock()
        self._seen_first: int | None = None  # the first stop signal, as the watcher thread saw it
        self._wakeup: tuple[int, int, int] | None = None  # (read fd, write fd, previous wakeup fd)

    # ---- installing -------------------------------------------------------------------

    def install(self) -> bool:
        """Handle the stop signals in this process until ``restore``; False (nothing done) off the main thread.

        A signal the process was started ignoring stays ignored (``nohup`` ignores SIGHUP, a shell's
        background job SIGINT): the user asked for the run to survive it.
        """
        global _current
        if threading.current_thread() is not threading.main_thread():
            return False
        for signo in STOP_SIGNALS:
            if signal.getsignal(signo) is not signal.SIG_IGN:
                self._previous[signo] = signal.signal(signo, self._handle)
        _current = self
        if self.own_process:
            self._watch_signals()
        return True

    def _watch_signals(self) -> None:
        """Count stop signals in a thread of their own (see the module docstring)."""
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        try:
            previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        except (ValueError, OSError):  # Windows takes only a socket here: no watcher, the handlers still work
            os.close(read_fd)
            os.close(write_fd)
            return
        self._wakeup = (read_fd, write_fd, previous)
        threading.Thread(target=self._count, args=(read_fd,), name="hearsay-stop-signals", daemon=True).start()

    def _count(self, read_fd: int) -> None:
        seen = 0
        while True:
            try:
                data = os.read(read_fd, 64)
            except OSError:
                return
            if not data:
                return
            for signo in data:
                if signo in STOP_SIGNALS:
                    seen += 1
                    if seen == 1:
                        self._seen_first = signo
                    else:  # also when Python ran its handler once for two quick signals of one kind
                        self._hurry()

    def restore(self) -> None:
        """Put back the handlers that were there before ``install``."""
        global _current
        for signo, previous in self._previous.items():
            signal.signal(signo, previous)
        self._previous.clear()
        if self._wakeup is not None:
            read_fd, write_fd, previous = self._wakeup
            signal.set_wakeup_fd(previous)
            os.close(write_fd)
            os.close(read_fd)
            self._wakeup = None
        if _current is self:
            _current = None

    # ---- the handler ------------------------------------------------------------------

    def _handle(self, signo: int, _frame) -> None:
        if self.first is None:
            self.first = signo
            if self._settling:
                self._hurry()
            elif self._cancels:
                for cancel in self._cancels:
                    cancel.set()
            elif self._armed:
                self._armed = False  # one Stopped at most, raised where ``run`` catches it
                raise Stopped(signo)
            return
        self._hurry()

    def _hurry(self) -> None:
        self.hurry.set()
        self._start_watchdog()

    def _start_watchdog(self) -> None:
        with self._watchdog_lock:
            if not self.own_process or self._watchdog is not None:
                return
            self._watchdog = threading.Thread(target=self._leave_after_grace, name="hearsay-stop-now", daemon=True)
        self._watchdog.start()

    def _leave_after_grace(self) -> None:
        time.sleep(HURRY_GRACE_S)
        first = self.first or self._seen_first or signal.SIGINT
        if self.exit_status is None:  # the run did not wind down in time
            try:
                print(f"hearsay: {interrupted(first)}; stopped without waiting for the file in progress "
                      "(`hearsay history` lists it as interrupted)", file=sys.stderr)
            except (OSError, ValueError):
                pass
        leave(self.exit_status if self.exit_status is not None else exit_code(first))

    # ---- what commands use ------------------------------------------------------------

    @contextmanager
    def cancelling(self, cancel: threading.Event) -> Iterator[threading.Event]:
        """While inside, the first stop signal sets ``cancel`` instead of raising ``Stopped``."""
        self._cancels.append(cancel)
        if self.first is not None:
            cancel.set()
        try:
            yield cancel
        finally:
            self._cancels.remove(cancel)

    def run(self, command: Callable[[], int]) -> int:
        """``command()``'s exit code; ``exit_code(signal)`` when a first stop signal interrupted it (or came
        before it started), said in one line on stderr."""
        try:
            try:
                self._armed = self.first is None
                if self.first is not None:
                    raise Stopped(self.first)
                return command()
            finally:
                self._armed = False
        except KeyboardInterrupt as exc:  # Stopped, or Python's own Ctrl+C where no handler of ours was put
            signo = getattr(exc, "signo", signal.SIGINT)
            try:
                print(f"hearsay: {interrupted(signo)}", file=sys.stderr)
            except (OSError, ValueError):
                pass
            return exit_code(signo)

    def code(self, default: int) -> int:
        """``exit_code`` of the first stop signal, or ``default`` when none came."""
        return exit_code(self.first) if self.first is not None else default

    def settle(self, code: int) -> int:
        """The command ended with ``code``: wait for the engine steps a cancel abandoned, then return ``code``.

        The wait ends early when a stop signal comes (or came) twice, or after
        ``EXIT_WAIT_SECONDS``; then, in the process's own entry point, the
        process leaves at once with ``os._exit(code)`` (see ``leave``), as it also does in its own entry
        point whenever a stop signal came, once the wait is over.
        Signals received from here on mean "stop now".
        """
        self._settling = True
        self.exit_status = code
        deadline = time.monotonic() + EXIT_WAIT_SECONDS
        while not join_abandoned(timeout=POLL_S):
            if self.hurry.is_set() or time.monotonic() > deadline:
                if self.own_process:
                    leave(code)
                break
        if self.own_process and self.first is not None:
            # A stop signal came: leave now rather than through the interpreter's teardown, which puts the
            # default handlers back first (CPython's signal module finalization), so that a second signal
            # arriving during the teardown would kill the process by that signal instead of this exit code.
            leave(code)
        return code


def current() -> StopSignals | None:
    """The handlers installed by ``app.cli.main`` for the command now running, or None."""
    return _current


@contextmanager
def cancelling(cancel: threading.Event) -> Iterator[StopSignals]:
    """The first stop signal sets ``cancel`` while inside; yields the ``StopSignals`` in charge (the
    command's, else ones installed for this block only, when called outside ``app.cli.main``)."""
    stops = _current
    temporary = stops is None
    if temporary:
        stops = StopSignals()
        stops.install()
    try:
        with stops.cancelling(cancel):
            yield stops
    finally:
        if temporary:
            stops.restore()


def leave(code: int) -> None:
    """End the process now with ``code``: flush stdout, stderr and the log (waiting at most half a second,
    in case a stream is blocked), then ``os._exit``, skipping the interpreter teardown. Never returns."""

    def flush() -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                pass
        try:
            for handler in logging.getLogger().handlers:
                handler.flush()
        except Exception:  # noqa: BLE001 - leaving anyway
            pass

    flusher = threading.Thread(target=flush, name="hearsay-flush", daemon=True)
    flusher.start()
    flusher.join(_FLUSH_WAIT_S)
    os._exit(code)
