"""Reads and deletes stored analyses off the GUI thread: a two-hour recording has thousands of segments
with word timestamps, which take a few hundred milliseconds to parse (and tens to delete with their
search entries).

Each task runs in a short-lived daemon thread with its own library
connection (opened and closed there) and reports back through a queued
signal; it never touches an engine, so it does not wait for the worker's jobs.

Thread-safety: create and call ``load`` in the GUI thread; ``loaded`` is delivered there.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager

from PySide6.QtCore import QObject, Signal, Slot

from app.core.errors import AnalysisBusyError, HearsayError
from app.core.library.store import Library

log = logging.getLogger(__name__)


class HistoryTasks(QObject):
    """``load(analysis_id)`` reads that analysis in the background; ``loaded(analysis_id, Analysis | None,
    error | None)`` follows in the GUI thread (the error is one sentence when it could not be read).
    ``delete(ids)`` removes analyses; ``deleted(removed ids, error | None)`` follows (an analysis a Hearsay
    process is running is not removed: the error says so, and the others are still removed).

    ``open_library`` opens the library for one use (a context manager). A
    request for an id already being read is not repeated.
    """

    loaded = Signal(str, object, object)
    deleted = Signal(list, object)

    def __init__(self, open_library: Callable[[], AbstractContextManager[Library]], parent=None) -> None:
        super().__init__(parent)
        self._open_library = open_library
        self._reading: set[str] = set()
        self.loaded.connect(self._on_loaded)  # a bound slot: runs in this object's (the GUI) thread

    @Slot(str, object, object)
    def _on_loaded(self, analysis_id: str, _analysis: object, _error: object) -> None:
        self._reading.discard(analysis_id)

    def load(self, analysis_id: str) -> bool:
        """Start reading ``analysis_id``; False when it is already being read."""
        if analysis_id in self._reading:
            return False
        self._reading.add(analysis_id)
        threading.Thread(target=self._read, args=(analysis_id,), name="hearsay-history-read", daemon=True).start()
        return True

    def delete(self, ids: list[str]) -> None:
        """Start removing the analyses ``ids`` (with their segments, results and search entries)."""
        threading.Thread(target=self._delete, args=(list(ids),), name="hearsay-history-delete", daemon=True).start()

    def _delete(self, ids: list[str]) -> None:
        error, removed = None, []
        try:
            with self._open_library() as library:
                for analysis_id in ids:
                    try:
                        library.delete(analysis_id)
                    except AnalysisBusyError as exc:  # started running since it was listed
                        error = error or exc.message
                        continue
                    removed.append(analysis_id)
        except HearsayError as exc:
            error = exc.message
        except Exception as exc:
            log.exception("deleting from the history failed")
            error = f"unexpected error: {exc}"
        try:
            self.deleted.emit(removed, error)
        except RuntimeError:  # the window closed meanwhile
            pass

    def _read(self, analysis_id: str) -> None:
        analysis, error = None, None
        try:
            with self._open_library() as library:
                analysis = library.load(analysis_id)
        except HearsayError as exc:
            error = exc.message
        except Exception as exc:  # a bug must still answer, or the request would wait forever
            log.exception("reading %s from the history failed", analysis_id)
            error = f"unexpected error: {exc}"
        try:
            self.loaded.emit(analysis_id, analysis, error)
        except RuntimeError:  # the window closed meanwhile
            pass


class LibraryCalls(QObject):
    """Short writes and reads of the history library off the GUI thread, run one after another in the order
    asked (a rename and its undo never overtake each other).

    ``call(tag, action)`` queues ``action(library)``; ``done(tag, result, error | None)`` follows in the GUI
    thread (the error is one sentence). The calls run in one short-lived daemon thread, started when the first
    is queued and ending when none is left; each call opens the library with ``open_library`` and closes it.

    Thread-safety: call ``call`` from the GUI thread; ``done`` is delivered there.
    """

    done = Signal(object, object, object)

    def __init__(self, open_library: Callable[[], AbstractContextManager[Library]], parent=None) -> None:
        super().__init__(parent)
        self._open_library = open_library
        self._lock = threading.Lock()
        self._queue: deque[tuple[object, Callable[[Library], object]]] = deque()
        self._running = False

    def call(self, tag: object, action: Callable[[Library], object]) -> None:
        """Queue ``action(library)``; ``done(tag, its result, None)`` or ``done(tag, None, error)`` follows."""
        with self._lock:
            self._queue.append((tag, action))
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._drain, name="hearsay-library-calls", daemon=True).start()

    def busy(self) -> bool:
        """True while calls are queued or running."""
        with self._lock:
            return self._running

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._running = False
                    return
                tag, action = self._queue.popleft()
            result, error = None, None
            try:
                with self._open_library() as library:
                    result = action(library)
            except HearsayError as exc:
                error = exc.message
            except Exception as exc:  # a bug must still answer
                log.exception("a history library call failed")
                error = f"unexpected error: {exc}"
            try:
                self.done.emit(tag, result, error)
            except RuntimeError:  # the window closed meanwhile
                pass
