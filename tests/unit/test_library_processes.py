"""The history library shared by processes: creating it at once, waiting for a writer, and an analysis that a
live process is running (it cannot be deleted, stored by another process, resumed elsewhere), in the core, the
command line and the window. The owner is a real child process (alive, then gone); the real races between
`hearsay` processes are in tests/integration/test_two_processes.py."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from app import cli
from app.core.analysis import Analysis
from app.core.errors import AnalysisBusyError
from app.core.library import schema
from app.core.library.rows import SourceRecord
from app.core.library.store import Library
from app.core.pipeline.batch import run_batch
from app.core.pipeline.engines import EngineSettings
from app.core.pipeline.recorder import LibraryRecorder
from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber, make_segments

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"
TEXTS = ["We ship the release on Friday.", "Marta owns the budget review."]


def stored(library: Library | None = None) -> Analysis:
    """speech.wav analysed into ``library`` (the default one when None) by this process."""
    own = library is None
    library = library or Library()
    analysis = Analysis(source=SPEECH, prompts=["Summarize."])
    for _ in run_batch([analysis], ScriptedTranscriber(make_segments(TEXTS)), ScriptedPromptRunner(),
                       threading.Event(), recorder=LibraryRecorder(library, EngineSettings())):
        pass
    if own:
        library.close()
    return analysis


@pytest.fixture
def libraries():
    """``libraries(path=None)``: a ``Library`` closed when the test ends (an unclosed sqlite3 connection
    keeps its files open until the garbage collector finds it)."""
    opened = []

    def open_library(path=None) -> Library:
        opened.append(Library(path))
        return opened[-1]

    yield open_library
    for library in opened:
        library.close()


@pytest.fixture
def other_process():
    """A live child process; ``.pid``. Ended (and reaped) when the test ends."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield child
    child.kill()
    child.wait()


def run_by(library: Library, analysis_id: str, pid: int) -> None:
    """Mark the analysis as running in process ``pid`` (as that process's recorder does)."""
    with library.transaction() as conn:
        conn.execute("UPDATE analyses SET status = 'running', owner_pid = ? WHERE id = ?", (pid, analysis_id))


def test_a_running_analysis_of_another_process_is_not_deleted_nor_overwritten(tmp_path, other_process,
                                                                                  libraries):
    library = libraries(tmp_path / "library.sqlite3")
    analysis = stored(library)
    run_by(library, analysis.id, other_process.pid)
    busy = (f"{analysis.id[:8]} (speech.wav): it is being analysed by another Hearsay process "
            f"(pid {other_process.pid}); wait for it to finish or stop it first")
    with pytest.raises(AnalysisBusyError) as caught:
        library.delete(analysis.id)
    assert caught.value.message == f"cannot delete {busy}" and caught.value.pid == other_process.pid
    with pytest.raises(AnalysisBusyError) as caught:
        library.save_analysis(analysis, SourceRecord())
    assert caught.value.message == f"cannot store {busy}"
    assert library.entry(analysis.id).owner_pid == other_process.pid  # untouched
    assert library.entry(analysis.id).status == "running"

    other_process.kill()
    other_process.wait()
    assert library.entry(analysis.id).status == "interrupted"
    library.save_analysis(analysis, SourceRecord())  # its owner is gone: this process takes it over
    assert library.delete(analysis.id) and library.entries() == []


def test_this_process_stores_its_own_running_analysis_but_does_not_delete_it(tmp_path, libraries):
    library = libraries(tmp_path / "library.sqlite3")
    analysis = stored(library)
    run_by(library, analysis.id, os.getpid())
    library.save_analysis(analysis, SourceRecord())
    run_by(library, analysis.id, os.getpid())
    with pytest.raises(AnalysisBusyError, match="it is being analysed by this Hearsay process"):
        library.delete(analysis.id)


def test_history_resume_and_delete_of_an_analysis_another_process_runs_say_so(other_process, capsys,
                                                                               libraries):
    analysis = stored()
    run_by(libraries(), analysis.id, other_process.pid)
    short = analysis.id[:8]
    assert cli.main(["history", "resume", short]) == 1
    assert capsys.readouterr().err == (f"hearsay: history: {short} (speech.wav) is being analysed by another "
                                       f"Hearsay process (pid {other_process.pid}); wait for it to finish\n")
    assert cli.main(["history", "delete", short]) == 1
    assert capsys.readouterr().err == (f"hearsay: history: cannot delete {short} (speech.wav): it is being analysed "
                                       f"by another Hearsay process (pid {other_process.pid}); wait for it to "
                                       "finish or stop it first\n")
    assert [e.id for e in libraries().entries()] == [analysis.id]


def test_the_window_neither_resumes_nor_deletes_an_analysis_another_process_runs(make_window, qtbot, monkeypatch,
                                                                                 other_process, libraries):
    analysis = stored()
    window = make_window()
    history = window.history
    history.dock.show()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes)
    run_by(libraries(), analysis.id, 0)  # its owner gone: listed as interrupted, so the window may delete it...
    listed = libraries().entries()
    assert listed[0].status == "interrupted"
    run_by(libraries(), analysis.id, other_process.pid)  # ...but another process resumed it meanwhile
    with qtbot.waitSignal(history._tasks.deleted, timeout=2000) as deleted:
        assert history.delete(listed) == 1
    assert deleted.args[0] == [] and len(asked) == 1
    assert window.statusBar().currentMessage() == (
        f"Could not delete from History: cannot delete {analysis.id[:8]} (speech.wav): it is being analysed by "
        f"another Hearsay process (pid {other_process.pid}); wait for it to finish or stop it first.")
    assert [e.id for e in libraries().entries()] == [analysis.id]
    assert history.delete(libraries().entries()) == 0 and len(asked) == 1  # listed as running: not even asked
    assert window.statusBar().currentMessage() == "Not deleted: speech.wav is being analysed now."

    with qtbot.waitSignal(history.opened, timeout=2000):
        history.open_stored(analysis.id)
    assert history.resume(window.results.entry) is False
    assert window.statusBar().currentMessage() == (
        f"Not resumed: {analysis.id[:8]} (speech.wav) is being analysed by another Hearsay process "
        f"(pid {other_process.pid}).")


def test_connections_migrating_a_new_library_at_once_all_succeed(tmp_path):
    for attempt in range(10):
        path = tmp_path / f"library-{attempt}.sqlite3"
        start, errors = threading.Barrier(4), []

        def open_it():
            start.wait()
            try:
                Library(path).close()
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with closing(sqlite3.connect(path)) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION


def test_a_new_library_held_by_another_connection_is_opened_once_it_is_free(tmp_path):
    path = tmp_path / "library.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # still in rollback-journal mode: SQLite refuses the switch to WAL at once
    holder.execute("CREATE TABLE held (x)")
    threading.Timer(0.5, lambda: holder.execute("ROLLBACK")).start()
    started = time.monotonic()
    library = Library(path)
    assert time.monotonic() - started >= 0.45
    assert library.connection().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    library.close()
    holder.close()


def test_migrate_reads_the_version_again_once_it_holds_the_lock(tmp_path):
    path = tmp_path / "library.sqlite3"
    first, second = (sqlite3.connect(path, isolation_level=None, timeout=5, check_same_thread=False)
                     for _ in range(2))
    first.execute("PRAGMA journal_mode = WAL")
    first.execute("BEGIN IMMEDIATE")  # as if this one were migrating: the second read version 0 before
    found = []
    waiter = threading.Thread(target=lambda: found.append(schema.migrate(second)))
    waiter.start()
    time.sleep(0.2)
    for statement in schema._statements(schema.MIGRATIONS[0]):
        first.execute(statement)
    first.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")
    first.execute("COMMIT")
    waiter.join(5)
    first.close()
    second.close()
    assert found == [schema.SCHEMA_VERSION]  # nothing done twice: no "table analyses already exists"


def test_a_write_that_waited_the_whole_busy_timeout_says_who_kept_it(tmp_path, monkeypatch, libraries):
    from app.core.errors import LibraryError
    from app.core.library import store

    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 0.3)
    library = libraries(tmp_path / "library.sqlite3")
    analysis = stored(library)
    holder = sqlite3.connect(library.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(LibraryError) as caught:
        library.update_progress(analysis)
    assert time.monotonic() - started >= 0.25
    assert caught.value.message == "cannot write the history library: another program kept it locked for 0 s"
    holder.execute("ROLLBACK")
    holder.close()
    library.update_progress(analysis)  # free again
