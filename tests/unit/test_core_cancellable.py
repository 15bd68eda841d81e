"""Waiting on uninterruptible work: a cancel stops the wait at once, results and errors come through."""

import threading
import time

import pytest

from app.core.errors import Cancelled, ModelError
from app.core.pipeline.cancellable import iterate_cancellable, wait_cancellable


def test_a_cancel_stops_waiting_for_work_that_goes_on_in_the_background():
    cancel, finished = threading.Event(), threading.Event()

    def slow_load():
        time.sleep(0.5)
        finished.set()
        return 1.0

    threading.Timer(0.05, cancel.set).start()
    started = time.perf_counter()
    with pytest.raises(Cancelled):
        wait_cancellable(slow_load, cancel, "test-load")
    assert time.perf_counter() - started < 0.3 and not finished.is_set()
    assert finished.wait(2)  # the abandoned work still ran to its end


def test_results_and_errors_come_through_when_not_cancelled():
    assert wait_cancellable(lambda: 42, threading.Event(), "test") == 42
    with pytest.raises(ModelError, match="damaged"):
        wait_cancellable(lambda: (_ for _ in ()).throw(ModelError("damaged")), threading.Event(), "test")


def test_iteration_stops_within_a_poll_even_while_an_item_is_being_produced():
    cancel = threading.Event()
    produced = []

    def windows():
        for number in range(5):
            time.sleep(0.02 if number == 0 else 0.6)  # the second "window" takes long
            produced.append(number)
            yield number

    got, started = [], None
    for item in iterate_cancellable(windows(), cancel, "test-windows"):
        got.append(item)
        cancel.set()
        started = time.perf_counter()
    assert got == [0] and time.perf_counter() - started < 0.3
    time.sleep(0.8)
    assert produced == [0, 1]  # the producer finished the item in progress, then stopped


def test_an_error_while_producing_reaches_the_consumer():
    def broken():
        yield "first"
        raise ModelError("the model file is damaged")

    items = iterate_cancellable(broken(), threading.Event(), "test")
    assert next(items) == "first"
    with pytest.raises(ModelError):
        next(items)


def test_abandoned_work_is_waited_for_at_exit():
    from app.core.pipeline.cancellable import join_abandoned

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        wait_cancellable(lambda: time.sleep(0.3), cancel, "test-abandoned")
    assert not join_abandoned(timeout=0.01)  # still running
    assert join_abandoned(timeout=2)  # what the atexit hook does before the interpreter is torn down
