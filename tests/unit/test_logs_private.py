"""The log file keeps no transcript or response text at the default level, and it rotates (1 MB x 3).

The first two tests run the real default models (marked integration); the rotation test is quick.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path

import pytest

from app.core import logs, paths

ROOT = Path(__file__).resolve().parent.parent.parent
SPEECH = ROOT / "tests" / "data" / "speech.wav"
SECRET = "The vault code is forty two seventeen and Maria keeps the spare key under the blue flowerpot."


def texts_of(result: dict) -> list[str]:
    """Every transcript utterance and every response of a Hearsay JSON result (the private parts)."""
    utterances = [u["text"] for u in result["result"]["transcription"]["utterances"]]
    responses = [r["results"]["response"] for r in result["result"]["audio_to_llm"]["results"]]
    return [t.strip() for t in utterances + responses if len(t.strip()) >= 12]


@pytest.mark.integration
def test_a_real_analysis_logs_no_transcript_or_response_text(tmp_path):
    home, out = tmp_path / "home", tmp_path / "out.json"
    env = dict(os.environ, HEARSAY_HOME=str(home), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "app", "analyze", str(SPEECH), "-o", str(out), "--max-tokens", "32",
                           "-p", "Summarize.", "-p", "Who writes the press release?", "-q"],
                          capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    private = texts_of(json.loads(out.read_text("utf-8")))
    assert len(private) >= 3  # the transcript and both answers are there to be leaked
    log_files = sorted((home / "log").iterdir())
    assert [p.name for p in log_files] == ["hearsay.log"]
    logged = "\n".join(p.read_text("utf-8") for p in log_files)
    assert logged.strip(), "nothing was logged: the check below would prove nothing"
    leaked = [text for text in private if text in logged]
    assert leaked == []
    for word in ("press release", "website", "Summarize."):  # nor pieces of them, nor the prompts
        assert word.lower() not in logged.lower()


@pytest.mark.integration
def test_llama_cpp_lines_carry_no_prompt_text_even_at_debug(tmp_path):
    from app.core.llm.runner import LlamaPromptRunner

    captured: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            captured.append(record.getMessage())

    llama_log = logging.getLogger("hearsay.llama_cpp")
    keep = Keep(logging.DEBUG)
    llama_log.addHandler(keep)
    llama_log.setLevel(logging.DEBUG)
    runner = LlamaPromptRunner(max_tokens=24)
    try:
        answer = "".join(runner.stream(SECRET, "Where is the spare key?", threading.Event()))
    finally:
        runner.close()
        llama_log.removeHandler(keep)
        llama_log.setLevel(logging.NOTSET)
    assert captured, "llama.cpp wrote no line at all: the check below would prove nothing"
    text = "\n".join(captured).lower()
    for piece in ("vault code", "forty two", "flowerpot", "spare key"):
        assert piece not in text
    assert answer.strip() and answer.strip().lower() not in text


def test_llama_cpp_lines_are_below_the_default_level():
    root = logging.getLogger()
    old_level = root.level
    try:
        logs.setup_logging()
        assert root.level == logging.INFO
        assert not logging.getLogger("hearsay.llama_cpp").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(old_level)
        _drop_handlers(paths.log_dir() / "hearsay.log")


def test_the_log_rotates_at_one_megabyte_keeping_three(monkeypatch):
    root = logging.getLogger()
    old_level = root.level
    log_file = logs.setup_logging()
    try:
        logs.setup_logging()  # a second call adds no second handler
        [handler] = [h for h in root.handlers if isinstance(h, RotatingFileHandler)
                     and Path(h.baseFilename) == log_file]
        assert (handler.maxBytes, handler.backupCount) == (1_000_000, 3)
        line = "x" * 1000
        for _ in range(4500):  # about 4.5 MB
            logging.getLogger("hearsay.test").info(line)
        names = sorted(p.name for p in log_file.parent.iterdir())
        assert names == ["hearsay.log", "hearsay.log.1", "hearsay.log.2", "hearsay.log.3"]
        assert all(p.stat().st_size <= 1_000_000 for p in log_file.parent.iterdir())
    finally:
        root.setLevel(old_level)
        _drop_handlers(log_file)


def test_a_new_log_folder_replaces_the_old_handler(tmp_path, monkeypatch):
    root = logging.getLogger()
    old_level = root.level
    monkeypatch.setenv("HEARSAY_HOME", str(tmp_path / "first"))
    first = logs.setup_logging()
    monkeypatch.setenv("HEARSAY_HOME", str(tmp_path / "second"))
    second = logs.setup_logging()
    try:
        files = [Path(h.baseFilename) for h in root.handlers if isinstance(h, RotatingFileHandler)]
        assert second in files and first not in files  # one log file per process, the current one
        logging.getLogger("hearsay.test").info("only in the second")
        assert "only in the second" in second.read_text("utf-8")
        assert "only in the second" not in first.read_text("utf-8")
    finally:
        root.setLevel(old_level)
        _drop_handlers(second)


def _drop_handlers(log_file: Path) -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, RotatingFileHandler)
                    and Path(h.baseFilename) == log_file]:
        root.removeHandler(handler)
        handler.close()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_hearsays_folders_are_created_private_to_the_user(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARSAY_HOME", str(tmp_path / "home"))
    for folder in (paths.data_dir(), paths.log_dir(), paths.cache_dir(), paths.config_dir()):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
