"""Whisper in a child process of its own, so that the window's process never waits on it.

Loading faster-whisper holds Python's global interpreter lock in one stretch while the Hugging Face
``tokenizers`` library parses the model's tokenizer.json: 72-74 ms for Whisper base, measured with a 10-ms
timer on the GUI thread while ``tokenizers.Tokenizer.from_file`` ran in another thread (the rest of the load,
CTranslate2's own, releases the lock). In the window that was the longest event-loop stall of an analysis
(``make bench``'s GUI figure, goal < 50 ms). The imports of faster-whisper, CTranslate2 and PyAV and the
Python work around every 30-s window go with it.

``ProcessTranscriber`` has ``WhisperTranscriber``'s interface (``app.core.pipeline.engines.Transcriber``) and
runs one in a ``multiprocessing`` "spawn" child (a fresh interpreter, on every platform), as the diarizer
does (``app.core.speakers.process``):

- ``load()`` starts the child, which loads the model and says so (model name, device); a second call returns
  0.0 while the child lives, so the model stays loaded across files. A failed load ends the child.
- ``transcribe()`` sends the request and returns once the child has decoded the first window (the duration),
  as the in-process engine does; the segments then stream over the pipe one message each. Every message
  carries the id of its call, so what an abandoned call still sends is dropped.
- A cancel returns at once: the parent stops waiting and tells the child, which stops at its next segment or
  window (as ``WhisperTranscriber`` does in process) and is then ready for the next file, model still loaded.
- The child's log records (``WARNING`` and up from any library, ``INFO`` and up from Hearsay's own modules)
  come back to this process's logging, so a truncated file or a detected language reads as before.
- The errors keep their class: ``ModelError``, ``MediaError`` or ``HearsayError`` with the child's sentence;
  a child that ends unexpectedly is a ``HearsayError`` naming its exit code.
- The child ignores Ctrl+C and hangups (they reach the whole process group from a terminal; the parent
  decides) and ends by itself when the parent goes (its end of the pipe closes). ``close()`` ends it.

Thread-safety: ``load`` may be called from several threads (one child starts); one ``transcribe`` iterator
is consumed by one thread at a time; ``close`` may be called from any thread.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from app.core.analysis import Segment
from app.core.errors import HearsayError, MediaError, ModelError
from app.core.processes import end_child, start_child
from app.core.hub import catalog
from app.core.speech import options

log = logging.getLogger(__name__)

POLL_S = 0.05
"""How often a waiting parent looks at its cancel flag."""
END_S = 1.0
"""How long the child is given to end after ``terminate`` before it is killed."""
_ERRORS = {cls.__name__: cls for cls in (HearsayError, MediaError, ModelError)}
_LOAD = "load"
"""The "call id" of the load's answer."""


class ProcessTranscriber:
    """``WhisperTranscriber`` in a child process (module docstring). The constructor takes
    ``WhisperTranscriber``'s arguments and checks the vocabulary as it does (HearsayError); nothing starts
    until ``load()``. ``model_name``, ``device``, ``english_only`` and ``translated_to`` are the child
    engine's once loaded; ``decoded_until`` (seconds) is the last call's, as ``WhisperTranscriber``'s."""

    def __init__(self, model: str | None = None, **engine_options) -> None:
        self._options = dict(engine_options, model=model)
        options.parse_vocabulary(engine_options.get("vocabulary"))  # a bad list fails here, as in process
        self.requested_model = model
        self.model_name = model or catalog.default_entry("whisper").name
        self.device = "not loaded"
        self.english_only = False
        self.translated_to = "en" if engine_options.get("translate") else None
        self.decoded_until: float | None = None
        self._process = None
        self._conn = None
        self._reader: threading.Thread | None = None
        self._inboxes: dict[object, queue.Queue] = {}
        self._inboxes_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._calls = itertools.count(1)
        self._call: object = None

    @property
    def loaded(self) -> bool:
        """True while a child with a loaded model runs."""
        return self._process is not None and self._process.is_alive() and self.device != "not loaded"

    def load(self) -> float:
        """Start the child and wait until its model is loaded; returns the seconds it took (0.0 when it runs
        already). Raises ModelError (or HearsayError) with the child's sentence when the model cannot load,
        HearsayError when the child ends."""
        with self._lock:
            if self.loaded:
                return 0.0
            self._end()
            started = time.perf_counter()
            inbox = self._inbox(_LOAD)
            process, parent = start_child(serve, (self._options,), "hearsay-whisper")
            reader = threading.Thread(target=self._read, args=(parent, process), name="hearsay-whisper-pipe",
                                      daemon=True)
            with self._state_lock:
                self._process, self._conn, self._reader = process, parent, reader
            reader.start()
            message = inbox.get()
            self._drop_inbox(_LOAD)
            if message[1] != "loaded":
                self._end()
                raise _error(message)
            info = message[2]
            self.model_name, self.device = info["model_name"], info["device"]
            self.english_only, self.translated_to = info["english_only"], info["translated_to"]
            return time.perf_counter() - started

    def transcribe(self, path: Path, cancel: threading.Event, language: str | None = None, start: float = 0.0
                   ) -> tuple[float, Iterator[Segment]]:
        """``WhisperTranscriber.transcribe`` in the child: (duration in seconds, segments as they decode).
        Returns (``start``, no segments) when ``cancel`` is set before the child started; the iterator stops
        without error once ``cancel`` is set. Raises what the child's engine raised (MediaError, ModelError,
        HearsayError), or HearsayError when the child ended."""
        self.load()
        call = next(self._calls)
        inbox = self._inbox(call)
        self._call, self.decoded_until = call, start
        self._send(("transcribe", call, Path(path), language, start))
        message = self._next(call, inbox, cancel)
        if message is None:
            return start, iter(())
        if message[1] != "started":
            self._drop_inbox(call)
            raise _error(message)
        return message[2], self._segments(call, inbox, cancel)

    def _segments(self, call: int, inbox: queue.Queue, cancel: threading.Event) -> Iterator[Segment]:
        try:
            while (message := self._next(call, inbox, cancel)) is not None:
                kind = message[1]
                if kind == "end":
                    self._decoded(call, message[2])
                    return
                if kind != "segment":
                    raise _error(message)
                self._decoded(call, message[3])
                yield message[2]
        finally:
            self._drop_inbox(call)

    def _next(self, call: int, inbox: queue.Queue, cancel: threading.Event) -> tuple | None:
        """The next message of ``call``; None once ``cancel`` is set (the child is told to stop)."""
        while not cancel.is_set():
            try:
                return inbox.get(timeout=POLL_S)
            except queue.Empty:
                continue
        self._drop_inbox(call)
        try:
            self._send(("cancel", call))
        except HearsayError:
            pass  # the child is gone: nothing to stop
        return None

    def _decoded(self, call: int, until: float | None) -> None:
        if self._call == call and until is not None:
            self.decoded_until = until

    def close(self) -> None:
        """End the child (a later ``load`` starts another). Does not wait for a load in progress: that load
        raises HearsayError as its child ends."""
        self._end()

    # The pipe -----------------------------------------------------------------------------------------

    def _inbox(self, call: object) -> queue.Queue:
        with self._inboxes_lock:
            return self._inboxes.setdefault(call, queue.Queue())

    def _drop_inbox(self, call: object) -> None:
        with self._inboxes_lock:
            self._inboxes.pop(call, None)

    def _send(self, message: tuple) -> None:
        conn = self._conn
        try:
            if conn is None:
                raise OSError("not started")
            with self._send_lock:
                conn.send(message)
        except (OSError, ValueError) as exc:
            raise HearsayError(f"the speech engine's process ended ({exc})") from None

    def _read(self, conn, process) -> None:
        """The reader thread: hands each message to its call's inbox and each log record to logging; when the
        pipe closes, tells every waiting call the child ended."""
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            if message[0] == "log":
                _, name, level, text = message
                logging.getLogger(name).log(level, "%s", text)
                continue
            with self._inboxes_lock:
                inbox = self._inboxes.get(message[0])
            if inbox is not None:
                inbox.put(message)
        process.join(END_S)
        ended = (None, "error", "HearsayError",
                 f"the speech engine's process ended unexpectedly (exit code {process.exitcode})")
        with self._inboxes_lock:
            for inbox in self._inboxes.values():
                inbox.put(ended)

    def _end(self) -> None:
        with self._state_lock:
            process, conn, reader = self._process, self._conn, self._reader
            self._process = self._conn = self._reader = None
            self.device = "not loaded"
        end_child(process, END_S)
        if reader is not None and reader is not threading.current_thread():
            reader.join(END_S)
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass


def _error(message: tuple) -> HearsayError:
    """The exception an ("error", class name, sentence) message stands for."""
    _, _, kind, text = message
    return _ERRORS.get(kind, HearsayError)(text)


class _PipeLogHandler(logging.Handler):
    """The child's log records, sent to the parent as ("log", logger name, level, text)."""

    def __init__(self, send) -> None:
        super().__init__(logging.INFO)
        self._send = send

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.startswith("app.")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            self._send(("log", record.name, record.levelno, text))
        except Exception:  # noqa: BLE001 - a log line must never take the child down
            pass


def serve(conn, engine_options: dict) -> None:
    """The child's loop (module docstring): load the model, then answer ("transcribe", call, path, language,
    start) requests in order and honour ("cancel", call), until the parent's end of ``conn`` closes."""
    for name in ("SIGINT", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    send_lock = threading.Lock()

    def send(message: tuple) -> None:
        with send_lock:
            conn.send(message)

    root = logging.getLogger()
    root.addHandler(_PipeLogHandler(send))
    root.setLevel(logging.INFO)
    requests: queue.Queue = queue.Queue()
    cancels: dict[int, threading.Event] = {}
    cancels_lock = threading.Lock()

    def flag(call: int) -> threading.Event:
        with cancels_lock:
            return cancels.setdefault(call, threading.Event())

    def read() -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                os._exit(0)  # the parent is gone: nothing is left to answer
            if message[0] == "cancel":
                flag(message[1]).set()
            else:
                flag(message[1])
                requests.put(message)

    from app.core.speech.transcription import WhisperTranscriber

    try:  # faster-whisper's (disabled) progress bar would make tqdm create a multiprocessing lock, which a
        # terminated child leaves registered: "resource_tracker: ... 1 leaked semaphore" when the window closes
        from tqdm import tqdm

        tqdm.set_lock(threading.RLock())
    except ImportError:
        pass
    try:
        transcriber = WhisperTranscriber(**engine_options)
        transcriber.load()
    except HearsayError as exc:
        send((_LOAD, "error", type(exc).__name__, exc.message))
        return
    except Exception as exc:  # noqa: BLE001 - said to the parent in one sentence
        send((_LOAD, "error", "ModelError", f"the speech model could not load ({type(exc).__name__}: {exc})"))
        return
    send((_LOAD, "loaded", {"model_name": transcriber.model_name, "device": transcriber.device,
                            "english_only": transcriber.english_only, "translated_to": transcriber.translated_to}))
    threading.Thread(target=read, name="hearsay-whisper-requests", daemon=True).start()
    while True:
        _, call, path, language, start = requests.get()
        cancel = flag(call)
        try:
            if not cancel.is_set():
                duration, segments = transcriber.transcribe(path, cancel, language, start)
                send((call, "started", duration))
                for segment in segments:
                    send((call, "segment", segment, transcriber.decoded_until))
            send((call, "end", transcriber.decoded_until))
        except HearsayError as exc:
            send((call, "error", type(exc).__name__, exc.message))
        except Exception as exc:  # noqa: BLE001 - said to the parent in one sentence
            logging.getLogger(__name__).exception("transcribing %s failed in the speech process", path)
            send((call, "error", "HearsayError", f"the speech engine failed ({type(exc).__name__}: {exc})"))
        with cancels_lock:
            cancels.pop(call, None)
