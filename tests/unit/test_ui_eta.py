"""Time left per stage, from rates measured while the file runs (and remembered from earlier runs)."""

from app.core.analysis import PromptResult
from app.core.pipeline.events import (
    ContextMeasured,
    PromptFinished,
    PromptStarted,
    ResponseDelta,
    Stage,
    StageChanged,
    TranscriptionProgress,
)
from app.ui.window.eta import Rates, StageClock, about


def test_transcription_time_left_follows_the_measured_real_time_factor():
    clock = StageClock()
    clock.observe("a", StageChanged(Stage.TRANSCRIBING), 3, now=100.0)
    clock.observe("a", TranscriptionProgress(2.0, 600.0), 3, now=101.0)
    assert clock.seconds_left("a", Stage.TRANSCRIBING, now=101.0) is None  # too little audio to measure: no guess
    clock.observe("a", TranscriptionProgress(60.0, 600.0), 3, now=106.0)  # 60 s of audio in 6 s: RTF 0.1
    assert clock.seconds_left("a", Stage.TRANSCRIBING, now=106.0) == 54.0
    assert clock.rates.realtime_factor == 0.1


def test_a_remembered_rate_gives_an_estimate_before_this_run_measured_one():
    clock = StageClock(Rates(realtime_factor=0.2))
    clock.observe("a", TranscriptionProgress(0.0, 300.0), 3, now=0.0)
    assert clock.seconds_left("a", Stage.TRANSCRIBING, now=0.0) == 60.0


def test_prompt_time_left_counts_the_prefill_the_answer_and_the_prompts_after_it():
    clock = StageClock(Rates(prefill_tokens_per_s=100.0, decode_tokens_per_s=20.0, answer_tokens=40.0),
                       max_tokens=512)
    clock.observe("a", ContextMeasured(1000, 8192, "whole"), 3, now=0.0)
    clock.observe("a", PromptStarted(0), 3, now=0.0)
    # first prompt: 10 s of prefill + 2 s of answer, then two more prompts of 2 s each
    assert clock.seconds_left("a", Stage.PROMPTING, now=0.0) == 16.0
    for k in range(20):  # the answer streams: 20 tokens over a second, 10 s after the start
        clock.observe("a", ResponseDelta(0, "x"), 3, now=10.0 + k / 19)
    # 20 more tokens at the measured 19 tokens/s, then two prompts of 40 tokens at that rate: 1.05 + 4.21 s
    assert round(clock.seconds_left("a", Stage.PROMPTING, now=11.0), 1) == 5.3
    clock.observe("a", PromptFinished(0, PromptResult("p")), 3, now=12.0)
    clock.observe("a", PromptStarted(1), 3, now=12.0)
    assert clock.seconds_left("a", Stage.PROMPTING, now=12.0) == 24.0  # this run's prompts took 12 s each


def test_nothing_measured_means_no_estimate_and_rates_round_trip_through_the_settings():
    clock = StageClock()
    clock.observe("a", PromptStarted(0), 3, now=0.0)
    assert clock.seconds_left("a", Stage.PROMPTING, now=1.0) is None and about(None) == ""
    rates = Rates(0.05, 300.0, 60.0, 120.0)
    assert Rates.from_dict(rates.to_dict()) == rates
    assert Rates.from_dict({"realtime_factor": -1, "decode_tokens_per_s": "x"}) == Rates()
    assert [about(s) for s in (4, 42, 200)] == ["a few seconds left", "about 40 s left", "about 3 min left"]
