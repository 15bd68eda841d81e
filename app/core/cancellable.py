"""Waiting on engine work that cannot be interrupted, without making a cancel wait for it.

A model load, the start of a transcription (decoding the first window of
audio) and each faster-whisper window (encode, decode with its temperature
fallbacks, word alignment: seconds, with no cancel check inside) run in a
helper thread; the caller waits in ``POLL_SECONDS`` steps and gives up as
soon as its cancel flag is set, so a cancel lands within about 50 ms. The
abandoned step finishes in the background and its result is dropped; the
engines are safe with that (their ``load`` takes a lock, and CTranslate2
queues concurrent calls on one model).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from app.core.errors import Cancelled

T = TypeVar("T")
POLL_SECONDS = 0.05
_ITEM, _END, _ERROR = range(3)


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

    threading.Thread(target=run, name=name, daemon=True).start()
    while True:
        try:
            kind, value = results.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if cancel.is_set():
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

    threading.Thread(target=produce, name=name, daemon=True).start()
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
