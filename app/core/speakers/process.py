"""The diarizer in a child process of its own, so that torch never enters the process that asks for speakers.

Importing torch and loading the speaker models holds Python's global interpreter lock for hundreds of
milliseconds at a time; in the window's process that froze the event loop (measured: stalls of 270-530 ms
while a file was analysed, ``make bench``'s GUI figure). ``ProcessDiarizer`` has ``SenkoDiarizer``'s
interface and runs it in a ``multiprocessing`` "spawn" child (a fresh interpreter, on every platform):

- ``load()`` starts the child, which loads the models and says so; a second call returns at once.
- ``diarize_file()`` (when the diarizer was given a ``decode`` function) sends only the recording's path: the
  child decodes it itself with that function,
  so neither the audio nor the decoding's work crosses into the asking process (PyAV's decoding ends with a
  full ``gc.collect()``, 35-55 ms holding the lock in the window's process, measured; and an hour of audio
  is 230 MB through the pipe).
- ``diarize()`` sends the audio in 1-MB pieces (so no single pickling holds the lock for long), then the
  request; the child answers with progress fractions (at most every ``PROGRESS_EVERY_S``) and the result
  (turns and centroids), or one sentence of error.
- A cancel ends the child at once (terminate, then kill): within ``CANCEL_S`` whatever the models are doing;
  the next ``load()`` starts a new one. ``close()`` ends it too.
- The child ignores Ctrl+C and hangups (they reach the whole process group from a terminal; the parent
  decides) and ends by itself when the parent goes (its end of the pipe closes), so it is never left behind.

Thread-safety: one ``diarize`` at a time per object (the speaker stage's worker thread); ``close`` may be
called from any thread.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.core.errors import Cancelled, HearsayError
from app.core.processes import end_child, start_child
from app.core.speakers.diarizer import DiarizationResult, SenkoDiarizer, SpeakerCount, senko_version

log = logging.getLogger(__name__)

CHUNK_SAMPLES = 262_144
"""Samples per piece of audio sent to the child (1 MB of float32, 16 s at 16 kHz)."""
POLL_S = 0.05
"""How often the parent looks at the pipe, the child and the cancel flag."""
PROGRESS_EVERY_S = 0.1
"""The child reports progress at most this often."""
CANCEL_S = 1.0
"""How long a cancelled child is given to end after ``terminate`` before it is killed."""


class ProcessDiarizer:
    """``SenkoDiarizer`` in a child process (module docstring): the same ``engine``, ``model_name``, ``load()``
    and ``diarize(audio, cancel, progress, count)``; ``device`` is what the child's engine runs on once loaded.
    ``threads`` and ``device`` are ``SenkoDiarizer``'s. ``decode``: a module-level function (it is pickled by
    name into the child) from a path to mono float32 16-kHz samples, raising HearsayError for an undecodable
    file; without it ``diarize_file`` raises HearsayError."""

    engine_name = SenkoDiarizer.engine_name
    model_name = SenkoDiarizer.model_name

    def __init__(self, threads: int | None = None, device: str = "cpu",
                 decode: Callable[[Path], np.ndarray] | None = None) -> None:
        self.threads = threads
        self.decode = decode
        self.requested_device = device
        self.device = "cpu"
        self._process = None
        self._conn = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> str:
        """"senko 0.2.2", as ``SenkoDiarizer.engine`` (read from the installed package, torch not imported)."""
        return f"{self.engine_name} {senko_version()}".strip()

    @property
    def loaded(self) -> bool:
        """True while a child with loaded models is running."""
        return self._process is not None and self._process.is_alive()

    def load(self) -> float:
        """Start the child and wait for its models; returns the seconds it took (0.0 when running already).
        Raises HearsayError with the child's sentence when the models cannot load, or when the child ends."""
        with self._lock:
            if self.loaded:
                return 0.0
            self._end()
            started = time.perf_counter()
            process, parent = start_child(serve, (self.threads, self.requested_device, self.decode),
                                          "hearsay-diarizer")
            self._process, self._conn = process, parent
            kind, value = self._receive(None)
            if kind != "loaded":
                self._end()
                raise HearsayError(value)
            self.device = value
            return time.perf_counter() - started

    def diarize(self, audio: np.ndarray, cancel: threading.Event,
                progress: Callable[[float], None] | None = None, count: SpeakerCount = SpeakerCount()
                ) -> DiarizationResult:
        """``SenkoDiarizer.diarize`` in the child. Raises Cancelled when ``cancel`` is set (the child is ended
        within about ``CANCEL_S``), HearsayError for a bad count, an engine error or a child that ended."""
        count.check()
        if not self.loaded:
            self.load()
        audio = np.ascontiguousarray(audio, dtype=np.float32).ravel()
        try:
            for start in range(0, audio.size, CHUNK_SAMPLES):
                if cancel.is_set():
                    self.close()
                    raise Cancelled()
                self._conn.send(("audio", audio[start:start + CHUNK_SAMPLES]))
            self._conn.send(("diarize", count))
        except (OSError, EOFError) as exc:
            self.close()
            raise HearsayError(f"the speaker engine's process ended ({exc})") from None
        return self._result(cancel, progress)

    def diarize_file(self, path: Path, cancel: threading.Event,
                     progress: Callable[[float], None] | None = None, count: SpeakerCount = SpeakerCount()
                     ) -> DiarizationResult:
        """``diarize`` of the first audio track of ``path``, decoded in the child (module docstring). Raises
        Cancelled and HearsayError as ``diarize`` does, MediaError's sentence as a HearsayError when the
        child cannot decode the file."""
        count.check()
        if self.decode is None:
            raise HearsayError("the speaker engine was not given a way to decode files")
        if not self.loaded:
            self.load()
        try:
            self._conn.send(("diarize-file", (Path(path), count)))
        except (OSError, EOFError) as exc:
            self.close()
            raise HearsayError(f"the speaker engine's process ended ({exc})") from None
        return self._result(cancel, progress)

    def _result(self, cancel: threading.Event, progress: Callable[[float], None] | None) -> DiarizationResult:
        """The child's answer to the request just sent, its progress handed to ``progress``."""
        while True:
            kind, value = self._receive(cancel)
            if kind == "progress":
                if progress is not None:
                    progress(value)
            elif kind == "done":
                return value
            else:
                raise HearsayError(value)

    def _receive(self, cancel: threading.Event | None) -> tuple[str, object]:
        """The child's next message; ("error", sentence) when it ended. Raises Cancelled (child ended) on cancel."""
        process, conn = self._process, self._conn
        while True:
            if cancel is not None and cancel.is_set():
                self.close()
                raise Cancelled()
            try:
                if conn.poll(POLL_S):
                    return conn.recv()
            except (OSError, EOFError):
                pass
            else:
                if process.is_alive():
                    continue
            process.join(CANCEL_S)  # the pipe closes as the child dies: reap it to read how it ended
            code = process.exitcode
            self._end()
            return "error", f"the speaker engine's process ended unexpectedly (exit code {code})"

    def close(self) -> None:
        """End the child (a later ``load`` starts another)."""
        with self._lock:
            self._end()

    def _end(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass
        end_child(process, CANCEL_S)


def serve(conn, threads: int | None, device: str, decode: Callable[[Path], np.ndarray] | None = None) -> None:
    """The child's loop (module docstring): load, then answer ``("audio", samples)``, ``("diarize", count)`` and
    ``("diarize-file", (path, count))`` requests until the parent's end of ``conn`` closes."""
    for name in ("SIGINT", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    diarizer = SenkoDiarizer(threads=threads, device=device)
    try:
        diarizer.load()
    except HearsayError as exc:
        conn.send(("error", exc.message))
        return
    except Exception as exc:  # noqa: BLE001 - said to the parent in one sentence
        conn.send(("error", f"the speaker engine could not load ({type(exc).__name__}: {exc})"))
        return
    conn.send(("loaded", diarizer.device))
    pieces: list[np.ndarray] = []
    while True:
        try:
            kind, value = conn.recv()
        except (EOFError, OSError):
            return
        if kind == "audio":
            pieces.append(value)
            continue
        if kind == "diarize-file":
            path, value = value
            try:
                pieces = [decode(path)]
            except HearsayError as exc:
                conn.send(("error", exc.message))
                continue
        audio = np.concatenate(pieces) if len(pieces) != 1 else pieces[0] if pieces else np.zeros(0, np.float32)
        pieces = []
        last = [0.0]

        def report(fraction: float) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S or fraction >= 1.0:
                last[0] = now
                conn.send(("progress", fraction))

        try:
            result = diarizer.diarize(audio, threading.Event(), report, value)
        except HearsayError as exc:
            conn.send(("error", exc.message))
            continue
        except Exception as exc:  # noqa: BLE001 - said to the parent in one sentence
            log.exception("diarizing failed in the speaker process")
            conn.send(("error", f"the speaker engine failed ({type(exc).__name__}: {exc})"))
            continue
        conn.send(("done", result))
