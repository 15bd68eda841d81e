"""Waiting on engine work that cannot be interrupted, without making a cancel wait for it.

A model load, the start of a transcription (decoding the first window of
audio) and each faster-whisper window (encode, decode with its temperature
fallbacks, word alignment: seconds, with no cancel check inside) run in a
helper thread; the caller waits in ``POLL_SECONDS`` steps and gives up as
soon as its cancel flag is set, so a cancel lands within about 50 ms. The
abandoned step finishes in the background and its result is dropped; the
engines are safe with that (their ``load`` takes a lock, and CTranslate2
queues concurrent calls on one model). At interpreter exit the abandoned
threads are waited for (``join_abandoned``, registered with ``atexit``):
tearing the interpreter down under a thread that is still inside CTranslate2
crashes the process (SIGSEGV, seen when the window was closed mid-transcription).
"""

from __future__ import annotations

import atexit
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from app.core.errors import Cancelled

T = TypeVar("T")
POLL_SECONDS = 0.05
EXIT_WAIT_SECONDS = 60.0
"""The longest the process waits at exit for abandoned steps (a Whisper window with all its fallbacks)."""
_ITEM, _END, _ERROR = range(3)
_abandoned: set[threading.Thread] = set()
_abandoned_lock = threading.Lock()


def _abandon(thread: threading.Thread) -> None:
    with _abandoned_lock:
        _abandoned.add(thread)


def join_abandoned(timeout: float = EXIT_WAIT_SECONDS) -> bool:
    """Wait up to ``timeout`` seconds for the steps a cancel stopped waiting for; True when all ended."""
    deadline = time.monotonic() + timeout
    with _abandoned_lock:
        threads = list(_abandoned)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    with _abandoned_lock:
        _abandoned.difference_update(t for t in threads if not t.is_alive())
        return not _abandoned


atexit.register(join_abandoned)


def wait_cancellable(work: Callable[[], T], cancel: threading.Event, name: str) -> T:
    """``work()``'s result, computed in a daemon thread called ``name``.

    Raises Cancelled as soon as ``cancel`` is set (``work`` goes on to its end
    unobserved), or what ``work`` raised.
    """
    results: queue.Queue = queue.Queue(maxsize=1)

    def run() -> None:
        try:
            results.put((_ITEM, work()))
        except BaseException as exc:  # handed to the caller, who decides
            results.put((_ERROR, exc))

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    while True:
        try:
            kind, value = results.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if cancel.is_set():
                _abandon(thread)
                raise Cancelled() from None
            continue
        if kind == _ERROR:
            raise value
        return value


def iterate_cancellable(items: Iterable[T], cancel: threading.Event, name: str) -> Iterator[T]:
    """Yield ``items``, produced in a daemon thread called ``name``; stop as soon as ``cancel`` is set.

    The producer stops taking items once ``cancel`` is set or this iterator is
    closed, after the item in progress. Re-raises what producing an item raised.
    """
    produced: queue.Queue = queue.Queue()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                produced.put((_ITEM, item))
                if cancel.is_set() or stop.is_set():
                    break
            produced.put((_END, None))
        except BaseException as exc:
            produced.put((_ERROR, exc))

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            try:
                kind, value = produced.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if cancel.is_set():
                    return
                continue
            if kind == _END:
                return
            if kind == _ERROR:
                raise value
            yield value
            if cancel.is_set():
                return
    finally:
        stop.set()
        if thread.is_alive():
            _abandon(thread)
