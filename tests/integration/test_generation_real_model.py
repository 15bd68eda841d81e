"""System prompt, temperature, usage and the demo mark on the real bundled SmolLM2-135M: a cache may make Hearsay
faster, never different."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.core.analysis import DEMO_NOTE
from app.core.llm.kv_states import PrefixStateCache
from app.core.llm.runner import LlamaPromptRunner

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent.parent / "data"
TRANSCRIPT = " ".join(
    f"Maria said the website launch moves to Friday number {i}, and Tom keeps the budget at {200 + i} euros."
    for i in range(12)
)
QUESTION = "Who keeps the budget?"
OTHER = "When does the website launch?"
SYSTEM_PROMPT = "Answer in one short sentence, and name the person first."


def answer(runner: LlamaPromptRunner, prompt: str = QUESTION) -> str:
    return "".join(runner.stream(TRANSCRIPT, prompt, threading.Event()))


def test_a_sampled_answer_depends_neither_on_what_ran_before_nor_on_what_is_cached(tmp_path):
    first = LlamaPromptRunner(max_tokens=24, temperature=0.7, state_cache=PrefixStateCache(tmp_path))
    try:
        answer(first, OTHER)  # another answer first: sampling must not carry over
        warm = answer(first)
        assert first.last_stats.source == "warm"
        assert answer(first) == warm  # the same prompt again, all of it cached: still evaluated as on a cold run
    finally:
        first.close()
    second = LlamaPromptRunner(max_tokens=24, temperature=0.7, state_cache=PrefixStateCache(tmp_path))
    try:
        restored = answer(second)  # a new process would do the same: the prefix comes from disk
        assert second.last_stats.source == "disk"
    finally:
        second.close()
    assert warm.strip() and warm == restored


def test_a_changed_system_prompt_never_reuses_a_state_or_the_live_cache_made_with_another(tmp_path):
    runner = LlamaPromptRunner(max_tokens=16, temperature=0.0, state_cache=PrefixStateCache(tmp_path))
    fresh = LlamaPromptRunner(max_tokens=16, temperature=0.0, system_prompt=SYSTEM_PROMPT)
    try:
        assert not runner.demo and runner.load() > 0 and runner.demo  # the bundled model is the catalog's demo entry
        answer(runner)
        assert runner.last_stats.source == "cold" and len(list(tmp_path.glob("*.session"))) == 1
        prefix = runner.assemble(TRANSCRIPT, QUESTION).prefix_len
        runner.system_prompt = SYSTEM_PROMPT
        changed = answer(runner)
        stats = runner.last_stats
        assert stats.source == "cold" and stats.reused_tokens < prefix // 2  # only the chat template's opening
        assert len(list(tmp_path.glob("*.session"))) == 2  # a state of its own, never the other one's
        assert changed == answer(fresh)  # exactly what a runner that never saw the other system prompt says
        again = LlamaPromptRunner(max_tokens=16, temperature=0.0, state_cache=PrefixStateCache(tmp_path))
        answer(again)
        assert again.last_stats.source == "disk"  # the built-in instructions find their own state again
        again.close()
    finally:
        runner.close()
        fresh.close()


def test_the_cli_reports_usage_and_marks_the_demo_model(tmp_path):
    out = tmp_path / "result.json"
    env = dict(os.environ, HEARSAY_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, "-m", "app", "analyze", str(DATA / "speech.txt"), "-q", "-p",
                           "Who writes the press release?", "--max-tokens", "24", "--temperature", "0",
                           "--system-prompt", SYSTEM_PROMPT, "-o", str(out)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text("utf-8"))
    meta = data["result"]["metadata"]
    assert meta["llm_demo"] is True and meta["llm_note"] == DEMO_NOTE
    assert (meta["temperature"], meta["system_prompt"]) == (0.0, SYSTEM_PROMPT)
    [entry] = data["result"]["audio_to_llm"]["results"]
    usage = entry["usage"]
    assert usage["prompt_tokens"] > 60 and 0 < usage["completion_tokens"] <= 24  # the transcript is about 50 tokens
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens"] == entry["prompt_tokens"] and usage["completion_tokens"] == entry["completion_tokens"]
