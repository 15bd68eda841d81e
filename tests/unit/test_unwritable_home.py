"""Folders Hearsay cannot write: ``HEARSAY_HOME`` (or ``HEARSAY_DATA_DIR``) is a file, or read-only.

``hearsay`` (in process, ``app.cli.main``, on the real default models) says it in one line,
``hearsay: <cause naming the folder>``, never a traceback, and runs what can run: ``history list`` of a
read-only library, an analysis that exports without the library, the log or the cache (saying so once),
``models --verify`` without its cache. Read-only is mode 0555, and for root (whom modes do not stop)
``chattr +i``; root without ``chattr +i`` cannot make a folder read-only, which is the one skip, declared.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from app import cli
from app.core import paths
from app.core.errors import FolderError

DATA = Path(__file__).parent.parent / "data"
GOOD = DATA / "speech.txt"
PROMPT = ["-p", "Who writes the press release?", "--max-tokens", "4", "-q"]


def _root_can_freeze() -> bool:
    if os.name == "nt" or os.geteuid() != 0 or not shutil.which("chattr"):
        return os.name != "nt" and os.geteuid() != 0
    with tempfile.TemporaryDirectory() as folder:
        if subprocess.run(["chattr", "+i", folder], capture_output=True).returncode != 0:
            return False
        subprocess.run(["chattr", "-i", folder], check=True)
        return True


CAN_FREEZE = _root_can_freeze()
needs_read_only = pytest.mark.skipif(not CAN_FREEZE, reason="needs a read-only folder: modes do not stop root, "
                                     "and root here cannot set chattr +i (or this is Windows)")
REFUSED = "(Permission denied|Operation not permitted|Read-only file system)"


@pytest.fixture
def freeze(request):
    """``freeze(*paths)``: make folders (0555) and files (0444) read-only until the test ends (``chattr +i``
    too as root)."""

    def make(*targets: Path) -> None:
        for target in targets:
            mode = target.stat().st_mode
            target.chmod(0o555 if target.is_dir() else 0o444)
            request.addfinalizer(lambda t=target, m=mode: t.chmod(m))
            if os.geteuid() == 0:
                subprocess.run(["chattr", "+i", str(target)], check=True)
                request.addfinalizer(lambda t=target: subprocess.run(["chattr", "-i", str(t)], check=True))

    return make


@pytest.fixture
def home_is_a_file(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "hearsay-home"
    home.write_text("not a folder")
    monkeypatch.setenv("HEARSAY_HOME", str(home))
    return home


def hearsay_log_files() -> list[str]:
    """The files Hearsay's own log handlers write (pytest keeps handlers of its own on the root logger)."""
    return [h.baseFilename for h in logging.getLogger().handlers
            if getattr(h, "_hearsay_log", False) and hasattr(h, "baseFilename")]


def run(capsys, *argv: str) -> tuple[int, str, list[str]]:
    """(exit code, stdout, stderr lines) of ``hearsay argv``; stderr must hold no traceback."""
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err.splitlines()


def test_a_home_that_is_a_file_is_said_in_one_line_by_history(home_is_a_file, capsys):
    code, out, err = run(capsys, "history", "list")
    assert (code, out) == (1, "")
    assert err == [f"hearsay: history: cannot open the history library: cannot create the folder {home_is_a_file}"
                   f"/data: {home_is_a_file} is a file, not a folder"]


def test_a_home_that_is_a_file_still_analyses_and_exports_saying_so_once(home_is_a_file, tmp_path, capsys):
    out = tmp_path / "speech.json"
    code, _, err = run(capsys, "analyze", str(GOOD), *PROMPT, "-o", str(out))
    assert code == 0 and out.is_file() and '"response"' in out.read_text()
    assert err == [f"hearsay: cannot open the history library: cannot create the folder {home_is_a_file}/data: "
                   f"{home_is_a_file} is a file, not a folder; this run is not stored in the history"]
    assert hearsay_log_files() == []  # logs nowhere


def test_a_data_folder_that_is_a_file_names_that_folder(tmp_path, monkeypatch, capsys):
    data = tmp_path / "library-here"
    data.write_text("")
    monkeypatch.setenv("HEARSAY_DATA_DIR", str(data))
    code, out, err = run(capsys, "analyze", str(GOOD), *PROMPT)
    assert code == 0 and out.startswith("# speech.txt")
    assert err == [f"hearsay: cannot open the history library: cannot create the folder {data}: {data} is a file, "
                   "not a folder; this run is not stored in the history"]


def test_a_log_folder_that_cannot_be_made_stops_nothing_and_is_named_where_the_log_would_be(
        tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    home.mkdir()
    (home / "log").write_text("a file where the log folder goes")
    monkeypatch.setenv("HEARSAY_HOME", str(home))
    code, out, err = run(capsys, "analyze", str(GOOD), *PROMPT)
    assert (code, err) == (0, []) and out.startswith("# speech.txt")
    code, out, err = run(capsys, "history", "list")
    assert code == 0 and "speech.txt" in out and err == []  # the run was stored

    def broken(argv):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "run_analyze", broken)
    code, _, err = run(capsys, "analyze", str(GOOD))
    assert code == 1 and err == [f"hearsay: unexpected error: boom (no details kept: cannot create the folder "
                                 f"{home}/log: {home}/log is a file, not a folder)"]


def test_models_verify_without_a_cache_folder(home_is_a_file, capsys):
    code, out, err = run(capsys, "models", "--verify")
    assert code == 0 and err == []
    assert [line.endswith("sha256 ok") for line in out.splitlines() if "default" in line] == [True, True]


def test_the_folder_error_names_the_file_in_the_way(home_is_a_file):
    with pytest.raises(FolderError) as caught:
        paths.cache_dir()
    assert caught.value.message == (f"cannot create the folder {home_is_a_file}/cache: {home_is_a_file} is a file, "
                                    "not a folder")
    assert caught.value.path == home_is_a_file / "cache"


def test_window_settings_last_the_session_when_their_folder_cannot_be_made(home_is_a_file):
    from app.ui.settings.store import Settings

    settings = Settings()
    settings.set_value(Settings.Key.MAX_TOKENS, 99)
    assert settings.get_int(Settings.Key.MAX_TOKENS, 1) == 99


@needs_read_only
def test_a_read_only_new_home_is_said_in_one_line_and_the_analysis_still_exports(tmp_path, monkeypatch, freeze,
                                                                                  capsys):
    home = tmp_path / "home"
    home.mkdir()
    freeze(home)
    monkeypatch.setenv("HEARSAY_HOME", str(home))
    code, out, err = run(capsys, "history", "list")
    assert (code, out, len(err)) == (1, "", 1)
    assert err[0].startswith(f"hearsay: history: cannot open the history library: cannot create the folder "
                             f"{home}/data: ")
    assert re.fullmatch(REFUSED, err[0].rsplit(": ", 1)[1])
    out_file = tmp_path / "speech.md"
    code, _, err = run(capsys, "analyze", str(GOOD), *PROMPT, "-o", str(out_file))
    assert code == 0 and out_file.read_text().startswith("# speech.txt") and len(err) == 1
    assert err[0].startswith(f"hearsay: cannot open the history library: cannot create the folder {home}/data: ")
    assert err[0].endswith("; this run is not stored in the history")


@needs_read_only
def test_a_read_only_library_is_listed_searched_and_shown_and_refuses_writes_in_one_line(
        tmp_path, monkeypatch, freeze, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("HEARSAY_HOME", str(home))
    code, _, err = run(capsys, "analyze", str(GOOD), *PROMPT)
    assert (code, err) == (0, [])
    library = home / "data" / "library.sqlite3"
    freeze(library, *[home / kind for kind in ("data", "log", "cache", "config") if (home / kind).exists()], home)

    code, out, err = run(capsys, "history", "list")
    assert code == 0 and err == [] and "done" in out and "speech.txt" in out
    short = out.split()[0]
    code, out, err = run(capsys, "history", "search", "budget")
    assert code == 0 and err == [] and short in out
    code, out, err = run(capsys, "history", "show", short)
    assert code == 0 and err == [] and out.startswith("# speech.txt")
    exported = tmp_path / "exported.json"
    code, out, err = run(capsys, "history", "export", short, "-o", str(exported))
    assert code == 0 and err == [f"wrote {exported}"] and '"full_transcript"' in exported.read_text()
    code, out, err = run(capsys, "history", "delete", short)
    assert (code, out) == (1, "")
    assert err == [f"hearsay: history: cannot write the history library {library}: it is read-only"]
    code, out, err = run(capsys, "history", "resume", short)
    assert (code, out) == (1, "")
    assert err == [f"hearsay: history: cannot resume {short} (speech.txt): the history library {library} is "
                   "read-only"]
    code, out, err = run(capsys, "analyze", str(GOOD), *PROMPT)
    assert code == 0 and out.startswith("# speech.txt")
    assert err == [f"hearsay: the history library {library} is read-only; this run is not stored in the history"]


def test_a_log_file_that_cannot_be_opened_is_a_folder_error(tmp_path, monkeypatch):
    from app.core.logs import setup_logging

    home = tmp_path / "home"
    (home / "log" / "hearsay.log").mkdir(parents=True)  # a folder where the log file goes
    monkeypatch.setenv("HEARSAY_HOME", str(home))
    with pytest.raises(FolderError) as caught:
        setup_logging()
    assert caught.value.message == f"cannot write the log file {home}/log/hearsay.log: Is a directory"
    assert hearsay_log_files() == []


def test_the_window_runs_without_history_and_says_so_once(home_is_a_file):
    from app.core.pipeline.engines import EngineSettings
    from app.ui.history.recording import HistoryRecording

    told = []
    recording = HistoryRecording(told.append)
    assert recording.begin(EngineSettings()) is None and recording.begin(EngineSettings()) is None
    assert told == [f"History is off for this session, analyses still run: cannot open the history library: cannot "
                    f"create the folder {home_is_a_file}/data: {home_is_a_file} is a file, not a folder."]
