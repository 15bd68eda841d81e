"""LLM and end-to-end figures for `make bench`, through Hearsay's core on the default GGUF model."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from bench_fixtures import transcript_text

from app.core import hardware
from app.core.analysis import Analysis, Segment, Transcript
from app.core.hub import catalog
from app.core.llm.kv_states import PrefixStateCache
from app.core.llm.prompts import default_prompts
from app.core.llm.runner import LlamaPromptRunner
from app.core.pipeline.batch import run_batch
from app.core.pipeline.prompting import ask, run_prompts
from app.core.speech.transcription import WhisperTranscriber

Row = tuple[str, str, str]
SIX_PROMPTS = default_prompts() + ["Who spoke, and about what?", "List every number mentioned.",
                                   "What questions remain open?"]


def _analysis(text: str, prompts: list[str]) -> Analysis:
    analysis = Analysis(source=Path("bench.txt"), prompts=list(prompts))
    analysis.transcript = Transcript(segments=[Segment(0.0, 0.0, text)])
    return analysis


def _run(runner, text: str, prompts: list[str]) -> Analysis:
    analysis = _analysis(text, prompts)
    for _ in run_prompts(analysis, runner, threading.Event()):
        pass
    return analysis


def memory_bandwidth() -> float:
    """Bytes per second for a 512 MiB copy (read + write), median of 3."""
    source = np.ones(64 * 1024**2, dtype=np.float64)
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        source.copy()
        rates.append(2 * source.nbytes / (time.perf_counter() - started))
    return statistics.median(rates)


def llm_rows(repeats: int, words: int = 2200) -> list[Row]:
    """Prefill/decode rates, TTFT, the 6/1 prompt ratio and follow-up TTFT over a ``words``-word transcript."""
    runner = LlamaPromptRunner(max_tokens=48)
    runner.load()
    ratios, one_times, six_times, prefill, decode, ttfts = [], [], [], [], [], []
    for repeat in range(repeats):
        runner.state_cache = None  # every run below is a cold prefill of a text not seen before
        one = _run(runner, transcript_text(words, offset=repeat * 13), SIX_PROMPTS[:1])
        six = _run(runner, transcript_text(words, offset=repeat * 13 + 7), SIX_PROMPTS)
        one_times.append(one.prompts_exec_time)
        six_times.append(six.prompts_exec_time)
        ratios.append(six.prompts_exec_time / one.prompts_exec_time)
        ttfts.append([r.ttft for r in six.prompt_results])
        first = six.prompt_results[0]
        prefill.append(first.prompt_tokens / first.ttft)
        rates = [r.completion_tokens / max(r.exec_time - r.ttft, 1e-6) for r in six.prompt_results[1:]]
        decode.append(statistics.median(rates))
    tokens = six.prompt_results[0].prompt_tokens
    ttft_median = [statistics.median(run[i] for run in ttfts) for i in range(len(SIX_PROMPTS))]
    cold, after_other, after_restart, state_bytes = _follow_ups(words, repeats)
    checked, unchecked, digest = _state_check(words)
    model_bytes = Path(catalog.resolve_llm(None).path).stat().st_size
    bandwidth = memory_bandwidth()
    ceiling = bandwidth / model_bytes
    return [
        ("LLM", "transcript", f"{words:,} words, {tokens:,} prompt tokens, max 48 answer tokens"),
        ("LLM", "prefill (cold)", f"{statistics.median(prefill):.0f} tokens/s"),
        ("LLM", "decode", f"{statistics.median(decode):.0f} tokens/s"),
        ("LLM", "TTFT per prompt, 6 prompts", ", ".join(f"{t:.2f}" for t in ttft_median) + " s"),
        ("LLM", "audio_to_llm.exec_time, 1 prompt / 6 prompts",
         f"{statistics.median(one_times):.1f} s / {statistics.median(six_times):.1f} s"),
        ("LLM", "6-prompt / 1-prompt ratio (bar ≤ 1.4)",
         f"{statistics.median(ratios):.2f} (runs: {', '.join(f'{r:.2f}' for r in ratios)})"),
        ("LLM", "follow-up TTFT after another file / cold prefill (bar ≤ 0.10)",
         f"{after_other / cold:.3f} ({after_other:.2f} s / {cold:.1f} s)"),
        ("LLM", "follow-up TTFT after a restart / cold prefill (bar ≤ 0.10)",
         f"{after_restart / cold:.3f} ({after_restart:.2f} s / {cold:.1f} s)"),
        ("LLM", "stored KV state of the transcript prefix",
         f"{state_bytes / 1024**2:.0f} MiB ({state_bytes / tokens / 1024:.1f} KiB per token)"),
        ("LLM", "KV state restore with its checksum check / without (median of 9)",
         f"{checked * 1000:.1f} ms / {unchecked * 1000:.1f} ms: the check adds {(checked - unchecked) * 1000:+.1f} ms "
         f"({(checked - unchecked) / unchecked:+.1%}); the XXH3 digest alone takes {digest * 1000:.1f} ms, "
         f"read while llama.cpp loads the state"),
        ("LLM", "decode ceiling (bandwidth / model bytes)",
         f"{ceiling:.0f} tokens/s ({bandwidth / 1e9:.1f} GB/s / {model_bytes / 1e6:.0f} MB); "
         f"achieved {statistics.median(decode) / ceiling:.0%}"),
    ]


def _follow_ups(words: int, repeats: int) -> tuple[float, float, float, int]:
    """Median cold TTFT, follow-up TTFT after another file, and after a restart; and the state's bytes."""
    cold, other, restart, size = [], [], [], 0
    for repeat in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            runner = LlamaPromptRunner(max_tokens=48, state_cache=PrefixStateCache(Path(folder)))
            first = _run(runner, transcript_text(words, offset=500 + repeat), SIX_PROMPTS[:1])
            cold.append(first.prompt_results[0].ttft)
            size = runner.state_cache.total_bytes()
            _run(runner, transcript_text(words // 2, offset=900 + repeat), SIX_PROMPTS[:1])
            for _ in ask(first, "Which obligations does this text set?", runner, threading.Event()):
                pass
            other.append(first.prompt_results[-1].ttft)
            runner.close()
            restarted = LlamaPromptRunner(max_tokens=48, state_cache=PrefixStateCache(Path(folder)))
            for _ in ask(first, "Who holds the copyright?", restarted, threading.Event()):
                pass
            restart.append(first.prompt_results[-1].ttft)
            restarted.close()
    return statistics.median(cold), statistics.median(other), statistics.median(restart), size


def _state_check(words: int, repeats: int = 9) -> tuple[float, float, float]:
    """Median seconds to restore a stored prefix state with the checksum check (``PrefixStateCache.restore``),
    to load the same file without it (llama.cpp alone), and to take its digest alone."""
    import ctypes

    import llama_cpp

    from app.core.llm.kv_states import state_digest

    with tempfile.TemporaryDirectory() as folder:
        cache = PrefixStateCache(Path(folder))
        runner = LlamaPromptRunner(max_tokens=8, state_cache=cache)
        text = transcript_text(words, offset=700)
        "".join(runner.stream(text, "Summarize.", threading.Event()))
        assembled = runner.assemble(text, "Summarize.")
        prefix = assembled.tokens[: assembled.prefix_len]
        key = cache.key(runner._identity, prefix)
        [path] = cache.stored(key)
        llm = runner._llm

        def timed(step) -> float:
            times = []
            for _ in range(repeats):
                llm.reset()
                started = time.perf_counter()
                step()
                times.append(time.perf_counter() - started)
            return statistics.median(times)

        def unchecked() -> None:
            ids = (llama_cpp.llama_token * llm.n_ctx())()
            count = ctypes.c_size_t(0)
            assert llama_cpp.llama_state_load_file(llm._ctx.ctx, str(path).encode(), ids, llm.n_ctx(), ctypes.byref(count))

        with_check = timed(lambda: cache.restore(llm, key, prefix) or _fail("the state did not restore"))
        without = timed(unchecked)
        digest = timed(lambda: state_digest(path))
        runner.close()
    return with_check, without, digest


def _fail(message: str):
    raise RuntimeError(message)


def end_to_end_rows(folder: Path, repeats: int) -> list[Row]:
    """3 files x 3 prompts through run_batch: sequential vs overlapped (cores split, and not split)."""
    from bench_fixtures import speech

    files = [speech(folder, 2.0, offset_words=1500 + 400 * i) for i in range(3)]
    cores = hardware.physical_cores()
    half = max(1, cores // 2)
    modes = [("sequential, all cores to each stage", False, cores, cores),
             (f"overlapped, cores split {half}+{max(1, cores - half)}", True, half, max(1, cores - half)),
             ("overlapped, both stages on all cores", True, cores, cores)]
    rows, base = [], None
    for name, overlap, whisper_threads, llama_threads in modes:
        walls = []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as cache:
                transcriber = WhisperTranscriber(cpu_threads=whisper_threads)
                runner = LlamaPromptRunner(max_tokens=48, n_threads=llama_threads,
                                           state_cache=PrefixStateCache(Path(cache)))
                transcriber.load()
                runner.load()  # models warm, as in a session: the figure is the batch itself
                analyses = [Analysis(source=f, prompts=default_prompts()) for f in files]
                started = time.perf_counter()
                for _ in run_batch(analyses, transcriber, runner, threading.Event(), overlap=overlap):
                    pass
                walls.append(time.perf_counter() - started)
                runner.close()
        wall = statistics.median(walls)
        base = base or wall
        rows.append(("end to end", f"3 files x 3 prompts (2 min each), {name}", f"{wall:.1f} s ({base / wall:.2f}x)"))
    return rows
