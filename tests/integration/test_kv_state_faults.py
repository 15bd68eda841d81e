"""Fault injection into stored KV states, on the real SmolLM2 model: a cache may make Hearsay faster, never different.

Each case damages or hides the state file a follow-up would restore, then asks
the same question with temperature 0 and checks that the answer is exactly the
one a cold prefill gives, that the bad state was not used (``source`` is
"cold"), and that one log line says why.
"""

import logging
import os
import random
import threading
from pathlib import Path

import pytest

from app.core.llm import kv_states
from app.core.llm.kv_states import PrefixStateCache
from app.core.llm.runner import LlamaPromptRunner

pytestmark = pytest.mark.integration

TRANSCRIPT = " ".join(
    f"Maria said the website launch moves to Friday number {i}, and Tom keeps the budget at {200 + i} euros."
    for i in range(25)
)
QUESTION = "Who keeps the budget, and how much is it?"
KV_LOG = "app.core.llm.kv_states"


def ask(folder: Path) -> tuple[str, str]:
    """A new runner (as after a restart) over the state cache in ``folder``: (answer, prefix source)."""
    runner = LlamaPromptRunner(max_tokens=16, temperature=0.0, state_cache=PrefixStateCache(folder))
    try:
        text = "".join(runner.stream(TRANSCRIPT, QUESTION, threading.Event()))
        return text, runner.last_stats.source
    finally:
        runner.close()


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """(state file name, its bytes, the cold-prefill answer, the answer after a clean restore)."""
    folder = tmp_path_factory.mktemp("clean")
    cold_text, cold_source = ask(folder)
    assert cold_source == "cold"
    [state] = folder.glob("*.session")
    restored_text, restored_source = ask(folder)
    assert restored_source == "disk"
    assert restored_text == cold_text and cold_text.strip()
    return state.name, state.read_bytes(), cold_text


def discards(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == KV_LOG and r.levelno == logging.WARNING]


@pytest.mark.parametrize("where", [0.0, 0.002, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
def test_random_bytes_anywhere_in_a_state_are_caught_and_the_answer_is_unchanged(clean, tmp_path, caplog, where):
    name, data, expected = clean
    offset = min(int(len(data) * where), len(data) - 16)
    damaged = bytearray(data)
    noise = random.Random(offset).randbytes(16)
    damaged[offset:offset + 16] = bytes(b ^ (n | 1) for b, n in zip(damaged[offset:offset + 16], noise))  # every byte changes
    (tmp_path / name).write_bytes(damaged)
    with caplog.at_level(logging.WARNING, logger=KV_LOG):
        text, source = ask(tmp_path)
    assert (source, text) == ("cold", expected)
    [line] = discards(caplog)
    assert "fails its checksum" in line and "discarded, the prefix is evaluated again" in line
    # the damaged file is gone; the state written by the cold prefill restores cleanly and answers the same
    assert [p.read_bytes() == data for p in tmp_path.glob("*.session")] == [True]
    assert ask(tmp_path) == (expected, "disk")


def test_every_later_follow_up_stays_right_after_a_damaged_state(clean, tmp_path):
    name, data, expected = clean
    damaged = bytearray(data)
    middle = len(data) // 2
    damaged[middle:middle + 16] = bytes(16) if data[middle:middle + 16] != bytes(16) else b"\xff" * 16
    (tmp_path / name).write_bytes(damaged)
    assert [ask(tmp_path) for _ in range(3)] == [(expected, "cold"), (expected, "disk"), (expected, "disk")]


def test_a_state_that_cannot_be_read_falls_back_and_the_prompt_still_answers(clean, tmp_path, caplog, monkeypatch):
    name, data, expected = clean
    (tmp_path / name).write_bytes(data)

    def refused(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(kv_states, "open", refused, raising=False)  # the digest check's reads are refused
    monkeypatch.setattr(Path, "unlink", refused)  # and the file cannot be removed (immutable, read-only folder)
    with caplog.at_level(logging.WARNING, logger=KV_LOG):
        text, source = ask(tmp_path)
    assert (source, text) == ("cold", expected)
    assert any("cannot be read (Permission denied)" in line and "cannot be removed" in line for line in discards(caplog))
    assert (tmp_path / name).exists()  # left where it is, never used


def test_a_state_folder_that_cannot_be_written_does_not_fail_the_prompt(clean, tmp_path, caplog, monkeypatch):
    _, _, expected = clean

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(kv_states.os, "replace", read_only)
    with caplog.at_level(logging.WARNING, logger=KV_LOG):
        text, source = ask(tmp_path)
    assert (source, text) == ("cold", expected)
    assert "cannot keep the KV state on disk: Permission denied" in discards(caplog)
    assert list(tmp_path.iterdir()) == []  # the temp file is removed too


def test_a_state_without_a_checksum_or_not_a_regular_file_is_never_used(clean, tmp_path, caplog):
    name, data, expected = clean
    key = name.split(".")[0]
    (tmp_path / f"{key}.session").write_bytes(data)  # as an older Hearsay wrote it: no digest in the name
    with caplog.at_level(logging.WARNING, logger=KV_LOG):
        assert ask(tmp_path) == (expected, "cold")
    assert any("has no checksum" in line for line in discards(caplog))
    assert not (tmp_path / f"{key}.session").exists()

    for stored in tmp_path.glob("*.session"):
        stored.unlink()
    fifo = tmp_path / name
    os.mkfifo(fifo)
    keeper = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # so that a wrong open would not hang the test
    try:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=KV_LOG):
            assert ask(tmp_path) == (expected, "cold")
        assert any("is not a regular file" in line for line in discards(caplog))
    finally:
        os.close(keeper)
