"""`make bench`: speed of the default engines on this machine, median of repeated runs.

Builds a longer recording by repeating tests/data/speech.wav (no network, no
extra tools), then measures through Hearsay's core:
- transcription: audio seconds, wall seconds, real-time factor (RTF = wall / audio),
  and the ratio against calling faster-whisper directly with the same settings;
- LLM: model load, prefill tokens/s (cold transcript), decode tokens/s, and the
  wall time of the three default prompts over that transcript.
Figures vary on shared machines: compare ratios taken in one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core import media, models  # noqa: E402
from app.core.prompting import LlamaPromptRunner  # noqa: E402
from app.core.prompts import default_prompts  # noqa: E402
from app.core.transcription import WhisperTranscriber  # noqa: E402


def long_recording(folder: Path, minutes: float) -> Path:
    """The speech fixture repeated (with 0.5 s gaps) to about ``minutes`` minutes, as a 16 kHz wav."""
    speech, rate = soundfile.read(ROOT / "tests" / "data" / "speech.wav", dtype="float32")
    gap = np.zeros(int(rate * 0.5), dtype=np.float32)
    unit = np.concatenate([speech, gap])
    repeats = max(1, int(minutes * 60 * rate / unit.shape[0]))
    path = folder / f"speech-{minutes:g}min.wav"
    soundfile.write(path, np.tile(unit, repeats), rate)
    return path


def time_transcriber(path: Path) -> tuple[float, float, str]:
    transcriber = WhisperTranscriber()
    transcriber.load()
    started = time.perf_counter()
    duration, segments = transcriber.transcribe(path, threading.Event())
    text = " ".join(s.text for s in segments)
    return time.perf_counter() - started, duration, text


def time_direct(path: Path) -> float:
    from faster_whisper import WhisperModel

    from app.core import hardware

    model = WhisperModel(models.resolve_whisper(None).path, device="cpu", compute_type="int8",
                         cpu_threads=hardware.physical_cores())
    started = time.perf_counter()
    audio = media.decode(path)
    segments, _ = model.transcribe(audio, word_timestamps=True, beam_size=5)
    for _ in segments:
        pass
    return time.perf_counter() - started


def bench_llm(transcript: str, repeats: int) -> dict[str, float]:
    runner = LlamaPromptRunner(max_tokens=64)
    load = runner.load()
    llm = runner._llm  # measured directly: prefill and decode rates
    tokens, _ = runner.prompt_tokens(transcript, "Summarize.")
    prefill, decode, prompts_wall = [], [], []
    for _ in range(repeats):
        llm.reset()
        started = time.perf_counter()
        llm.eval(tokens)
        prefill.append(len(tokens) / (time.perf_counter() - started))
        llm.reset()
        started = time.perf_counter()
        out = llm.create_completion(tokens, max_tokens=64, temperature=0.0)
        total = time.perf_counter() - started
        produced = out["usage"]["completion_tokens"]
        decode.append(produced / max(total - len(tokens) / prefill[-1], 1e-6))
        llm.reset()
        started = time.perf_counter()
        for prompt in default_prompts():
            for _ in runner.stream(transcript, prompt, threading.Event()):
                pass
        prompts_wall.append(time.perf_counter() - started)
    return {
        "load_s": load,
        "transcript_tokens": len(tokens),
        "prefill_tok_s": statistics.median(prefill),
        "decode_tok_s": statistics.median(decode),
        "three_prompts_s": statistics.median(prompts_wall),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0, help="length of the generated recording")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("HEARSAY_HOME", tempfile.mkdtemp(prefix="hearsay-bench-"))
    with tempfile.TemporaryDirectory() as folder:
        path = long_recording(Path(folder), args.minutes)
        ours, direct, transcript = [], [], ""
        for _ in range(args.repeats):
            wall, duration, transcript = time_transcriber(path)
            ours.append(wall)
            direct.append(time_direct(path))
    llm = bench_llm(transcript, args.repeats)
    wall, raw = statistics.median(ours), statistics.median(direct)
    print(f"machine: {os.cpu_count()} logical CPUs; median of {args.repeats} runs")
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| audio | {duration:.1f} s |")
    print(f"| transcription wall (Hearsay) | {wall:.2f} s |")
    print(f"| real-time factor (wall / audio) | {wall / duration:.3f} ({duration / wall:.1f}x real time) |")
    print(f"| Hearsay / direct faster-whisper | {wall / raw:.3f} |")
    print(f"| LLM load | {llm['load_s']:.2f} s |")
    print(f"| transcript tokens | {llm['transcript_tokens']} |")
    print(f"| prefill | {llm['prefill_tok_s']:.0f} tokens/s |")
    print(f"| decode | {llm['decode_tok_s']:.0f} tokens/s |")
    print(f"| three default prompts, 64 tokens max | {llm['three_prompts_s']:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
