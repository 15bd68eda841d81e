"""The prompt runner on the real SmolLM2 model: shared prefix, stored KV states, frozen template date."""

import threading

import pytest

from app.core.llm.kv_states import PrefixStateCache
from app.core.llm.runner import LlamaPromptRunner

pytestmark = pytest.mark.integration

TRANSCRIPT = " ".join(
    f"Maria said the website launch moves to Friday number {i}, and Tom keeps the budget at {200 + i} euros."
    for i in range(25)
)
OTHER = "Ken reported that the data migration is finished and the servers are quiet."


def answer(runner, transcript, prompt):
    return "".join(runner.stream(transcript, prompt, threading.Event())), runner.last_stats


@pytest.fixture(scope="module")
def greedy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kv")
    runners = []

    def make(cache=True):
        runner = LlamaPromptRunner(max_tokens=16, temperature=0.0,
                                   state_cache=PrefixStateCache(folder) if cache else None)
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.close()


def test_prompts_of_a_file_share_the_transcript_prefix(greedy):
    runner = greedy()
    first = runner.assemble(TRANSCRIPT, "Summarize.")
    second = runner.assemble(TRANSCRIPT, "When is the launch?")
    assert first.prefix_len > 300 and first.prefix_len == second.prefix_len
    assert first.tokens[: first.prefix_len] == second.tokens[: second.prefix_len]
    assert runner.assemble(TRANSCRIPT, "Read {{ transcript }} now.").prefix_len == 0
    _, cold = answer(runner, TRANSCRIPT, "Summarize.")
    _, warm = answer(runner, TRANSCRIPT, "When is the launch?")
    assert (cold.source, cold.reused_tokens) == ("cold", 0)
    assert (warm.source, warm.reused_tokens) == ("warm", first.prefix_len)


def test_a_restored_state_answers_exactly_like_a_cold_prefill(greedy):
    runner = greedy()
    answer(runner, TRANSCRIPT, "Summarize.")  # stores the prefix state (or finds it)
    answer(runner, OTHER, "Summarize.")  # another transcript takes the KV cache
    restored_text, restored = answer(runner, TRANSCRIPT, "Who keeps the budget?")
    assert restored.source == "disk" and restored.reused_tokens > 300
    restarted = greedy()  # a new Llama, as after an app restart
    restarted_text, after_restart = answer(restarted, TRANSCRIPT, "Who keeps the budget?")
    assert after_restart.source == "disk"
    cold_text, cold = answer(greedy(cache=False), TRANSCRIPT, "Who keeps the budget?")
    assert cold.source == "cold"
    assert restored_text == restarted_text == cold_text and cold_text.strip()


def test_stored_states_stay_within_their_byte_bound(greedy, tmp_path):
    runner = greedy(cache=False)
    runner.state_cache = PrefixStateCache(tmp_path, max_bytes=1)
    answer(runner, TRANSCRIPT, "Summarize.")
    answer(runner, OTHER, "Summarize.")
    assert runner.state_cache.total_bytes() <= 1


def test_template_dates_are_frozen_for_the_session(greedy):
    runner = greedy()
    runner.load()
    assert runner._formatter.strftime_now("%Y-%m-%d %H:%M:%S") == runner._session_start.strftime("%Y-%m-%d %H:%M:%S")


def test_an_answer_that_reaches_the_limit_says_length(greedy):
    runner = greedy(cache=False)
    runner.max_tokens = 4
    text, _ = answer(runner, TRANSCRIPT, "Summarize in detail.")
    assert runner.last_finish_reason == "length" and text.strip()
    runner.max_tokens = 64
    answer(runner, TRANSCRIPT, "Who keeps the budget? Answer with one name.")
    assert runner.last_finish_reason in ("stop", "length")
