"""Soak: many files back to back through Hearsay's core; does memory grow, do threads or file handles leak?

Runs ``--files`` short recordings (variants of tests/data/speech.wav: leading
silence and gain vary; every fifth is a copy of speech.mp3 or speech.mp4, so
the PyAV path runs too) with ``--prompts`` short prompts each through ONE
``run_batch`` on the real default engines (``create_engines``), as the
window's worker and ``hearsay analyze`` do. Prints ``key=value`` lines:

- ``rss_first_mib``, ``rss_last_mib``: resident memory (MiB, /proc/self/status
  VmRSS) when the first and the last file finished; ``rss_growth_pct`` between
  them (goal < 10 %); ``rss_peak_mib`` (ru_maxrss).
- ``threads_fds_first``, ``threads_fds_last``: "Python threads/all threads/open
  fds" when the first and the last file finished (equal: nothing grows per file).
- ``py_threads_before/after``, ``os_threads_before/after`` (/proc/self/task),
  ``fds_before/after`` (/proc/self/fd): with both models loaded, before the
  batch and after it ended; ``new_py_threads`` and ``leaked_fds`` name the extra ones.
- ``files_done``, ``wall_s``.

Run alone: ``.venv/bin/python scripts/bench_soak.py`` (about 2 minutes on 2
cores); ``scripts/bench.py`` runs it in a child process so the other
benchmarks' models do not count in its memory.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HEARSAY_HOME", tempfile.mkdtemp(prefix="hearsay-soak-"))

import numpy as np  # noqa: E402
import soundfile  # noqa: E402

DATA = ROOT / "tests" / "data"
PROMPTS = ["Summarize in one sentence.", "Who has to do what?"]


def rss_mib() -> float:
    """Resident set size of this process now, in MiB (Linux /proc; ru_maxrss elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def open_fds() -> dict[int, str]:
    """Open file descriptors of this process: number -> what it points to ({} where /proc is missing)."""
    found = {}
    folder = Path("/proc/self/fd")
    if not folder.is_dir():
        return found
    for entry in folder.iterdir():
        try:
            found[int(entry.name)] = os.readlink(entry)
        except OSError:  # the descriptor used to list the folder itself is gone by now
            pass
    return found


def os_threads() -> int:
    """Native threads of this process (Python's and the engines' own pools); -1 where /proc is missing."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return -1


def make_files(folder: Path, count: int) -> list[Path]:
    """``count`` short recordings in ``folder``: speech.wav with 0-2 s of leading silence and a varying
    gain; every fifth file a copy of speech.mp3 or speech.mp4 (decoded by PyAV)."""
    audio, rate = soundfile.read(DATA / "speech.wav", dtype="float32")
    files = []
    for index in range(count):
        if index % 5 == 4:
            source = DATA / ("speech.mp3" if index % 10 == 4 else "speech.mp4")
            target = folder / f"soak-{index:02d}{source.suffix}"
            shutil.copy(source, target)
        else:
            silence = np.zeros(int(rate * 0.1 * (index % 20)), dtype=np.float32)
            target = folder / f"soak-{index:02d}.wav"
            soundfile.write(target, np.concatenate([silence, audio * (0.6 + 0.02 * index)]), rate)
        files.append(target)
    return files


def soak(count: int, max_tokens: int, prompts: list[str]) -> dict[str, float | str]:
    """Run ``count`` files through one ``run_batch``; return the figures described in the module docstring."""
    from app.core.analysis import Analysis, AnalysisStatus
    from app.core.pipeline.batch import run_batch
    from app.core.pipeline.engines import EngineSettings, create_engines, resolve_overlap
    from app.core.pipeline.events import AnalysisFinished

    settings = EngineSettings(max_tokens=max_tokens)
    transcriber, runner = create_engines(settings)
    transcriber.load()
    runner.load()
    with tempfile.TemporaryDirectory() as folder:
        files = make_files(Path(folder), count)
        gc.collect()
        py_before, os_before, fds_before = set(threading.enumerate()), os_threads(), open_fds()
        analyses = [Analysis(source=f, prompts=list(prompts)) for f in files]
        finished_rss: list[float] = []
        at_finish: list[tuple[int, int, int]] = []  # (Python threads, all threads, fds) as each file finished
        started = time.perf_counter()
        for analysis, event in run_batch(analyses, transcriber, runner, threading.Event(),
                                         overlap=resolve_overlap(settings)):
            if isinstance(event, AnalysisFinished):
                if analysis.status is not AnalysisStatus.DONE:
                    raise SystemExit(f"soak: {analysis.source.name} ended {analysis.status.value}: {analysis.error}")
                finished_rss.append(rss_mib())
                at_finish.append((threading.active_count(), os_threads(), len(open_fds())))
        wall = time.perf_counter() - started
        del analyses
        gc.collect()
        py_after, os_after, fds_after = set(threading.enumerate()), os_threads(), open_fds()
    runner.close()
    leaked = sorted(set(fds_after.items()) - set(fds_before.items()))
    return {
        "files_done": len(finished_rss),
        "wall_s": round(wall, 1),
        "rss_first_mib": round(finished_rss[0], 1),
        "rss_last_mib": round(finished_rss[-1], 1),
        "rss_growth_pct": round(100 * (finished_rss[-1] - finished_rss[0]) / finished_rss[0], 1),
        "rss_peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "threads_fds_first": "%d/%d/%d" % at_finish[0],
        "threads_fds_last": "%d/%d/%d" % at_finish[-1],
        "py_threads_before": len(py_before),
        "py_threads_after": len(py_after),
        "new_py_threads": ", ".join(sorted(t.name for t in py_after - py_before)) or "none",
        "os_threads_before": os_before,
        "os_threads_after": os_after,
        "fds_before": len(fds_before),
        "fds_after": len(fds_after),
        "leaked_fds": "; ".join(f"{fd} -> {target}" for fd, target in leaked) or "none",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20, help="recordings in the batch (default 20)")
    parser.add_argument("--max-tokens", type=int, default=24, help="answer cap per prompt (default 24)")
    parser.add_argument("--prompts", type=int, default=2, choices=(1, 2), help="prompts per file (default 2)")
    args = parser.parse_args()
    for key, value in soak(args.files, args.max_tokens, PROMPTS[: args.prompts]).items():
        print(f"{key}={value}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
