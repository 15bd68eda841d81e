"""Guards against Qt binding bugs that would crash Hearsay far from their cause."""

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    event = Signal(str, object)


def test_emitting_a_signal_keeps_python_refcounts_intact(qapp):
    # PySide6 6.12.0 dropped a reference to True on every emit(); after enough events
    # Python 3.11 aborts at exit ("bool_dealloc"). pyproject.toml pins below it.
    emitter = _Emitter()
    received = []
    emitter.event.connect(lambda key, value: received.append(value))
    before = sys.getrefcount(True)
    for number in range(500):
        emitter.event.emit("file", number)
    assert len(received) == 500
    assert sys.getrefcount(True) - before > -50
