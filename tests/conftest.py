"""Fixtures for every test: isolated settings and home, no network, no thread left running.

Only PySide6.QtCore is imported here (no QApplication is created unless a test
asks for ``qtbot``/``qapp``), so core-only tests run as before; the check that
``app.core`` never imports Qt runs in a subprocess.
"""

from __future__ import annotations

import socket
import threading
import time
import traceback
import weakref

import pytest

pytest_plugins = ("pytester",)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """HEARSAY_HOME (config, cache, log, data) and QSettings' default locations point into a temp folder."""
    from PySide6.QtCore import QSettings

    home = tmp_path_factory.mktemp("hearsay-home")
    monkeypatch.setenv("HEARSAY_HOME", str(home))
    monkeypatch.delenv("HEARSAY_DATA_DIR", raising=False)
    qsettings_dir = home / "qsettings"
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
            QSettings.setPath(fmt, scope, str(qsettings_dir))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    yield home


_LOOPBACK_ALLOWED: list[bool] = []
"""Non-empty while a test's ``hub_server`` fixture runs: then (only) 127.0.0.1 may be reached."""


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Any attempt to reach the network fails the attempt (proof that Hearsay works offline).

    Local (AF_UNIX) sockets still work; 127.0.0.1 only inside a test that asks for ``hub_server``.
    """
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guard(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            if _LOOPBACK_ALLOWED and sock.family == socket.AF_INET and address[0] == "127.0.0.1":
                return
            raise OSError("network access is disabled in tests")

    def connect(self, address):
        guard(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        guard(self, address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def allow_loopback():
    """127.0.0.1 (only) may be reached while the test runs (a loopback server of its own)."""
    _LOOPBACK_ALLOWED.append(True)
    try:
        yield
    finally:
        _LOOPBACK_ALLOWED.remove(True)


@pytest.fixture
def hub_server(allow_loopback):
    """A loopback stand-in for the Hugging Face hub (``tests/hub_server.py``) serving the bundled SmolLM2 GGUF and
    tiny.en folder under catalog-style repo names; 127.0.0.1 (only) may be reached while it runs. Its switches
    (``drop_at``, ``corrupt``, ``status``, ``stall_at``, ``rate_bytes_per_s``) inject faults."""
    from tests.hub_server import HubServer, bundled_repos

    server = HubServer(bundled_repos()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hub_catalog(monkeypatch):
    """The catalog with the test entries of ``tests/hub_server.py`` added (``hub_server``'s models), so that
    ``hearsay models download ID`` and ``--llm-model ID`` know them; returns {"llm": entry, "whisper": entry}."""
    from app.core.hub import catalog
    from tests.hub_server import test_entries

    entries = test_entries()
    real = catalog.catalog
    monkeypatch.setattr(catalog, "catalog", lambda: [*real(), *entries.values()])
    return entries


def _calling_place() -> str:
    """``file:line`` of the innermost caller outside this conftest and installed packages."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        if frame.filename != __file__ and "site-packages" not in frame.filename:
            return f"{frame.filename}:{frame.lineno}"
    return "unknown place"


@pytest.fixture(autouse=True)
def _dangling_qthreads(monkeypatch):
    """Fail a test that leaves a QThread running or a non-daemon Python thread alive (as napari does).

    Autouse fixtures are set up before the fixtures a test asks for, so this
    check runs after pytest-qt has closed the test's widgets (whose
    ``closeEvent`` must stop their threads).
    """
    from PySide6.QtCore import QThread

    started: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    real_start = QThread.start

    def start(self, *args, **kwargs):
        started[self] = _calling_place()
        return real_start(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", start)
    before = set(threading.enumerate())
    yield
    dangling = []
    for thread, place in list(started.items()):
        try:
            if thread.isRunning():
                dangling.append(place)
                thread.quit()
                thread.wait(2000)
        except RuntimeError:  # the C++ object is gone, so the thread is too
            pass
    deadline = time.monotonic() + 2.0
    leftovers = []
    for thread in set(threading.enumerate()) - before:
        if thread.daemon or isinstance(thread, threading._DummyThread):
            continue
        thread.join(max(deadline - time.monotonic(), 0.01))
        if thread.is_alive():
            leftovers.append(thread.name)
    if dangling:
        pytest.fail(f"QThread(s) left running, started at: {', '.join(dangling)}")
    if leftovers:
        pytest.fail(f"Python thread(s) left running: {', '.join(leftovers)}")


# ---- GUI helpers (Qt is imported lazily, inside the fixtures) ------------------------------------

DATA_DIR = __import__("pathlib").Path(__file__).parent / "data"


class EngineRecorder:
    """An engine factory for ``MainWindow(engine_factory=...)`` that hands out the given fakes.

    ``calls`` lists the ``EngineSettings`` of every call; ``threads`` the threads it ran in.
    ``speaker_stage`` is the window's speaker factory: a ``SpeakerStage`` on ``diarizer`` (a
    ``tests.fakes.ScriptedDiarizer``) when one is given and the settings ask for speakers, else None;
    ``speaker_calls`` lists (settings, voiceprints) of every call.
    """

    def __init__(self, transcriber=None, runner=None, diarizer=None):
        from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber

        self.transcriber = transcriber or ScriptedTranscriber()
        self.runner = runner or ScriptedPromptRunner()
        self.diarizer = diarizer
        self.calls = []
        self.speaker_calls = []
        self.threads = set()

    def __call__(self, settings):
        self.calls.append(settings)
        self.threads.add(threading.get_ident())
        return self.transcriber, self.runner

    def speaker_stage(self, settings, voiceprints=None):
        from app.core.pipeline.diarizing import SpeakerStage
        from app.core.speakers.diarizer import SpeakerCount

        self.speaker_calls.append((settings, list(voiceprints or [])))
        if self.diarizer is None or not settings.diarize:
            return None
        count = SpeakerCount(settings.num_speakers, settings.min_speakers, settings.max_speakers).check()
        return SpeakerStage(self.diarizer, count, list(voiceprints or []) if settings.voiceprints else None)


@pytest.fixture(autouse=True)
def no_real_diarizer_in_the_window(request, monkeypatch):
    """Windows and workers built in tests with their default speaker factory find no speakers (the real
    speaker engine would load torch in every GUI test), unless the test is marked ``real_speakers``; the
    ``make_window`` fixture's ``diarizer`` scripts them."""
    if request.node.get_closest_marker("real_speakers"):
        return
    monkeypatch.setattr("app.ui.workers.create_speaker_stage", lambda settings, voiceprints=None: None,
                        raising=False)  # (a pytester subprocess may import another checkout's app)


@pytest.fixture
def make_window(qtbot):
    """``make_window(transcriber=None, runner=None, auto_start=True, settings=None, diarizer=None)``: a shown
    MainWindow on scripted engines.

    The window's engine factory is an ``EngineRecorder`` (``window.engines``); speakers are found only with a
    ``diarizer`` (``tests.fakes.ScriptedDiarizer``).
    """
    from app.ui.settings.store import Settings
    from app.ui.window.main_window import MainWindow

    def make(transcriber=None, runner=None, auto_start=True, settings=None, diarizer=None):
        settings = settings or Settings()
        settings.set_auto_start(auto_start)
        recorder = EngineRecorder(transcriber, runner, diarizer)
        window = MainWindow(settings=settings, engine_factory=recorder, speaker_factory=recorder.speaker_stage)
        window.engines = recorder
        qtbot.addWidget(window)
        window.show()
        return window

    return make


@pytest.fixture
def drop_files():
    """``drop_files(widget, paths)``: drag ``paths`` onto ``widget`` as the file manager does.

    Sends a real QDragEnterEvent, then (when it was accepted) a QDropEvent with
    file URLs; returns (enter_accepted, drop_accepted).
    """
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    def drop(widget, paths=(), mime=None):
        if mime is None:
            mime = QMimeData()
            mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        center = widget.rect().center()
        enter = QDragEnterEvent(center, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, enter)
        if not enter.isAccepted():
            return False, False
        event = QDropEvent(QPointF(center), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)
        return True, event.isAccepted()

    return drop


def _distinct_wav(path) -> None:
    """Append a RIFF chunk naming ``path`` to the WAV file there: the same sound, other bytes."""
    data = path.read_bytes()
    payload = path.name.encode()
    payload += b"\0" * (len(payload) % 2)
    data += b"hsay" + len(payload).to_bytes(4, "little") + payload
    path.write_bytes(data[:4] + (len(data) - 8).to_bytes(4, "little") + data[8:])


@pytest.fixture
def speech_copies(tmp_path):
    """``speech_copies("a.wav", "b.wav")``: copies of the speech fixture under those names.

    WAV copies differ byte-wise (a chunk naming each), so the history library,
    which reuses the transcript of identical content, sees different files.
    """
    import shutil

    def copies(*names):
        paths = []
        for name in names:
            target = tmp_path / name
            shutil.copy(DATA_DIR / ("speech" + target.suffix), target)
            if target.suffix == ".wav":
                _distinct_wav(target)
            paths.append(target)
        return paths

    return copies


@pytest.fixture(autouse=True)
def no_real_diarizer_in_process(request, monkeypatch):
    """In-process runs of ``hearsay analyze`` / ``history resume`` with scripted engines find no speakers
    unless a test asks (the ``engines`` fixture's ``made["diarizer"]``, or the marker ``real_speakers`` for the
    real speaker engine): the default speaker stage would load torch and the real diarizer in every CLI test."""
    if request.node.get_closest_marker("real_speakers"):
        return
    from app.cli import analyze as cli_analyze
    from app.cli import history as cli_history

    monkeypatch.setattr(cli_analyze, "create_speaker_stage", lambda settings, voiceprints=None: None)
    monkeypatch.setattr(cli_history, "create_speaker_stage", lambda settings, voiceprints=None: None)


@pytest.fixture
def engines(monkeypatch):
    """``hearsay analyze`` in-process builds scripted engines instead of the real ones: {"settings": the
    EngineSettings it asked for, "transcriber", "runner": what it got}. Speakers are looked for only when a
    test puts a diarizer in ``made["diarizer"]`` (``tests.fakes.ScriptedDiarizer``) before the run; its
    ``SpeakerStage`` is then ``made["speakers"]``. Some test modules define their own."""
    from app.cli import analyze as cli_analyze
    from app.core.pipeline.diarizing import SpeakerStage
    from app.core.speakers.diarizer import SpeakerCount
    from tests.fakes import ScriptedPromptRunner, ScriptedTranscriber

    made = {}

    def speaker_stage(settings, voiceprints=None):
        if not settings.diarize or made.get("diarizer") is None:
            return None
        count = SpeakerCount(settings.num_speakers, settings.min_speakers, settings.max_speakers).check()
        made["speakers"] = SpeakerStage(made["diarizer"], count, list(voiceprints or []) if settings.voiceprints
                                        else None)
        return made["speakers"]

    def create(settings):
        made["settings"] = settings
        made["transcriber"], made["runner"] = ScriptedTranscriber(), ScriptedPromptRunner()
        return made["transcriber"], made["runner"]

    monkeypatch.setattr(cli_analyze, "create_engines", create)
    monkeypatch.setattr(cli_analyze, "create_speaker_stage", speaker_stage)
    return made
