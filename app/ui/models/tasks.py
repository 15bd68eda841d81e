"""Work the Models window runs off the GUI thread: downloads and imports (one ``ModelTask`` thread each), and the
look at this computer's memory and cores (``ProfileProbe``) that the recommendation needs.

A ``ModelTask`` is a ``QThread`` running one core call (``downloads.download`` or ``imports.import_model``) with a
``threading.Event`` to cancel; its signals reach the GUI thread queued. ``stop()`` sets the flag and waits for
the thread: the core checks the flag every 50 ms (``downloads.CANCEL_POLL_SECONDS``), so a cancel lands well
within a second and a closing window never leaves a thread running.

Thread-safety: create, start and stop tasks in the GUI thread; their signals are delivered there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

from app.core.errors import Cancelled, HearsayError
from app.core.hub.advice import MachineProfile

log = logging.getLogger(__name__)

Work = Callable[[threading.Event, Callable[[object], None]], object]
"""``work(cancel, progress)``: the core call; returns its result, raises Cancelled or HearsayError."""


class ModelTask(QThread):
    """Runs ``work(cancel, progress)`` for the model ``model_id`` in its own thread.

    Signals (emitted from the task's thread, delivered queued): ``progressed(model_id, report)`` for every
    progress report (a ``DownloadProgress``); ``ended(model_id, outcome, value)`` once, with outcome "done"
    (value: the work's result), "cancelled" (value None) or "failed" (value: one sentence naming the model
    and the cause; an unexpected error is logged with its traceback and named by its type).
    """

    progressed = Signal(str, object)
    ended = Signal(str, str, object)

    def __init__(self, model_id: str, work: Work, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model_id = model_id
        self._work = work
        self.cancel_flag = threading.Event()

    def run(self) -> None:  # noqa: D102 (QThread's entry point, in the task's thread)
        try:
            value = self._work(self.cancel_flag, lambda report: self.progressed.emit(self.model_id, report))
        except Cancelled:
            self.ended.emit(self.model_id, "cancelled", None)
        except HearsayError as exc:
            self.ended.emit(self.model_id, "failed", exc.message)
        except Exception as exc:  # a bug must still end the row's download, and say so
            log.exception("the model task for %s failed", self.model_id)
            self.ended.emit(self.model_id, "failed", f"{self.model_id} failed with an unexpected error "
                                                     f"({type(exc).__name__}); the log file has the details")
        else:
            self.ended.emit(self.model_id, "done", value)

    def cancel(self) -> None:
        """Ask the work to stop (safe from any thread); it ends within a second, keeping a partial download."""
        self.cancel_flag.set()

    def stop(self) -> None:
        """Cancel and wait until the thread has ended (GUI thread; returns within about a second)."""
        self.cancel()
        self.wait()


class ProfileProbe(QObject):
    """Reads this computer's ``MachineProfile`` (RAM, cores, CUDA memory by ``nvidia-smi``, which may take up to
    its 5 s timeout) in a short-lived daemon thread; ``ready(MachineProfile)`` follows in the GUI thread. A
    failure reads as a profile of what could be found (logged)."""

    ready = Signal(object)

    def start(self) -> None:
        """Start reading (call once)."""
        threading.Thread(target=self._probe, name="hearsay-machine-profile", daemon=True).start()

    def _probe(self) -> None:
        try:
            profile = MachineProfile.of_this_machine()
        except Exception:  # never block the recommendation on an odd machine
            log.exception("cannot read this computer's memory and cores")
            profile = MachineProfile(ram_bytes=0)
        try:
            self.ready.emit(profile)
        except RuntimeError:  # the window closed meanwhile
            pass
