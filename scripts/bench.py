"""`make bench`: Hearsay's speed on this machine, one table, medians of repeated runs.

Generates its own long speech (espeak-ng reading GPL-3, see bench_fixtures) and
measures through Hearsay's core, on the real default models:
- transcription at 10 and 60 minutes: wall, real-time factor (RTF = wall / audio),
  and the ratio against calling faster-whisper directly with identical settings;
  the decoding options (beam size, VAD, batched) on a 3-minute clip;
- LLM over a 2,200-word transcript: prefill and decode tokens/s, TTFT per prompt,
  the 6-prompt / 1-prompt ratio of audio_to_llm.exec_time (--max-tokens 48),
  follow-up TTFT / cold prefill (after another file, after a restart), KV state size,
  and the decode ceiling (memory bandwidth measured here / model bytes);
- end to end: 3 files x 3 prompts, sequential vs overlapped, and peak RSS;
- GUI: window visible after launch, longest event-loop stall during an analysis;
- soak: 20 files back to back through run_batch (scripts/bench_soak.py, its own process): RSS after
  the first and the last file, threads and open file descriptors before and after the batch;
- speakers (scripts/bench_speakers.py and bench_voiceprints.py, each its own process, diarizing in a child of its own): diarization error
  rate and words given to the right speaker on real voices with a reference, the cost of diarization against
  transcription at 10 and 60 minutes, peak RSS; written into its own section of the Markdown file;
- grounding (scripts/bench_grounding.py, its own process): precision and recall of "supported" on the labelled
  set in tests/data/grounding, the quote and citation checks, and the time grounding adds per answer against
  that answer's generation time; its own section of the Markdown file.
Shared machines are noisy: compare ratios taken within one run.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("HEARSAY_HOME", tempfile.mkdtemp(prefix="hearsay-bench-"))

import bench_fixtures  # noqa: E402
import bench_llm  # noqa: E402
import bench_whisper  # noqa: E402

from app.core import hardware  # noqa: E402


def machine() -> str:
    """One line describing this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return (f"{cpu}; {hardware.physical_cores()} physical cores ({os.cpu_count()} logical), "
            f"{memory:.0f} GiB RAM, CUDA devices: {hardware.cuda_device_count()}, "
            f"llama.cpp GPU offload: {hardware.llama_gpu_offload()}; Python {platform.python_version()}")


def gui_figures() -> dict:
    """Window-visible time and longest stall, measured in a child process (scripts/bench_gui.py) with a home
    of its own: in a shared one, a later run would reuse the transcript the first one stored and load no Whisper."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               HEARSAY_HOME=tempfile.mkdtemp(prefix="hearsay-bench-gui-"))
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_gui.py")], capture_output=True,
                          text=True, env=env, timeout=600)
    figures = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        if value:
            figures[key.strip()] = float(value)
    if not figures:
        print(done.stderr[-2000:], file=sys.stderr)
    return figures


def gui_rows(repeats: int) -> list[tuple[str, str, str]]:
    """The GUI rows: medians of ``repeats`` fresh processes (the longest stall of one run depends on what the
    2 cores do at the moment the models load, so one run says little), each run listed."""
    runs = [figures for figures in (gui_figures() for _ in range(max(repeats, 1))) if figures]
    if not runs:
        return []
    visible = [r["window_visible_s"] for r in runs]
    stalls = [r["max_stall_ms"] for r in runs]
    return [("GUI", "window visible after launch",
             f"{statistics.median(visible):.2f} s (goal < 1.5 s; runs: {', '.join(f'{v:.2f}' for v in visible)})"),
            ("GUI", "longest event-loop stall during an analysis",
             f"{statistics.median(stalls):.0f} ms (goal < 50 ms; runs: {', '.join(f'{v:.0f}' for v in stalls)})")]


def soak_rows(quick: bool) -> list[tuple[str, str, str]]:
    """The soak figures (scripts/bench_soak.py in a child process, 20 files; 5 with ``quick``) as table rows."""
    files = 5 if quick else 20
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "bench_soak.py"), "--files", str(files)],
                          capture_output=True, text=True, timeout=1800)
    f = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    if "rss_last_mib" not in f:
        print(done.stderr[-2000:], file=sys.stderr)
        return [("soak", f"{files} files back to back", "failed (see stderr)")]
    return [
        ("soak", f"{files} files x 2 prompts back to back: RSS after file 1 / file {files}",
         f"{float(f['rss_first_mib']):.0f} / {float(f['rss_last_mib']):.0f} MiB "
         f"({float(f['rss_growth_pct']):+.1f} %, goal < 10 %)"),
        ("soak", f"Python threads / all threads / open fds when file 1 and file {files} finished",
         f"{f['threads_fds_first']} and {f['threads_fds_last']}"),
        ("soak", "threads before / after the batch: Python; all (native pools too)",
         f"{f['py_threads_before']} / {f['py_threads_after']} (new: {f['new_py_threads']}); "
         f"{f['os_threads_before']} / {f['os_threads_after']}"),
        ("soak", "open file descriptors before / after the batch",
         f"{f['fds_before']} / {f['fds_after']} (leaked: {f['leaked_fds']})"),
    ]


def speaker_section(quick: bool, write: Path | None) -> None:
    """Run scripts/bench_speakers.py and scripts/bench_voiceprints.py, each in a process of its own (torch
    stays out of this one); each prints its section and, with ``write``, puts it between its own markers."""
    for script, options in (("bench_speakers.py", ["--quick"] if quick else []), ("bench_voiceprints.py", []),
                            ("bench_speaker_labels.py", [])):
        command = [sys.executable, str(ROOT / "scripts" / script), *options]
        command += ["--write", str(write)] if write else []
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
        print(done.stdout)
        if done.returncode:
            print(done.stderr[-2000:], file=sys.stderr)


def grounding_section(write: Path | None) -> None:
    """Run scripts/bench_grounding.py in a process of its own: precision and recall of grounding on the labelled
    set and its cost per answer; it prints its section and, with ``write``, puts it between its markers."""
    command = [sys.executable, str(ROOT / "scripts" / "bench_grounding.py")]
    command += ["--write", str(write)] if write else []
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    print(done.stdout)
    if done.returncode:
        print(done.stderr[-2000:], file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (median reported)")
    parser.add_argument("--long-minutes", type=float, default=60.0, help="length of the long recording")
    parser.add_argument("--quick", action="store_true", help="smaller inputs and one repeat, to try the script")
    parser.add_argument("--write", type=Path, metavar="MD", help="also write the table into this Markdown file")
    args = parser.parse_args()
    repeats = 1 if args.quick else args.repeats
    started = time.perf_counter()
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        short = bench_fixtures.speech(folder, 2.0 if args.quick else 10.0)
        long = bench_fixtures.speech(folder, 3.0 if args.quick else args.long_minutes, name="long.wav")
        rows += bench_whisper.transcription_rows(short, long, repeats)
        rows += bench_whisper.option_rows(bench_fixtures.speech(folder, 3.0, offset_words=900), repeats)
        rows += bench_llm.llm_rows(repeats, words=800 if args.quick else 2200)
        rows += bench_llm.end_to_end_rows(folder, repeats)
    rows += gui_rows(max(repeats, 5))
    rows += soak_rows(args.quick)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(("process", "peak RSS of the benchmark process", f"{peak:.0f} MiB"))
    table = ["| area | measure | value |", "| --- | --- | --- |"] + [f"| {a} | {m} | {v} |" for a, m, v in rows]
    header = [f"Machine: {machine()}.",
              f"Speech: {bench_fixtures.generator()}. Median of {repeats} run(s); "
              f"whole benchmark took {time.perf_counter() - started:.0f} s."]
    text = "\n".join(header + [""] + table) + "\n"
    print(text)
    if args.write:
        write_section(args.write, text)
    speaker_section(args.quick, args.write)
    grounding_section(args.write)
    return 0


def write_section(path: Path, text: str) -> None:
    """Replace the generated part of ``path`` (between the markers) with ``text``."""
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    old = path.read_text("utf-8") if path.exists() else f"# Benchmarks\n\n{begin}\n{end}\n"
    if begin not in old:
        old += f"\n{begin}\n{end}\n"
    head, rest = old.split(begin, 1)
    tail = rest.split(end, 1)[1] if end in rest else ""
    path.write_text(f"{head}{begin}\n{text}{end}{tail}", "utf-8")


if __name__ == "__main__":
    sys.exit(main())
