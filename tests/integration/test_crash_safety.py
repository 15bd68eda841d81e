"""Kill -9 a real `hearsay analyze` mid-transcription and mid-prompt: what was stored survives and resumes.

Real faster-whisper and llama.cpp in a subprocess; the test watches the
history library (another connection, as a restarted Hearsay would) and sends
SIGKILL at the chosen moment.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.makers import repeated_speech

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX-only"),
]

SPEECH = Path(__file__).parent.parent / "data" / "speech.wav"
REPEATS = 12  # about 160 s of speech: several seconds of transcription to land a kill in


@pytest.fixture(scope="module")
def long_speech(tmp_path_factory) -> Path:
    return repeated_speech(tmp_path_factory.mktemp("crash") / "long meeting.wav", REPEATS)


def hearsay(home: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, HEARSAY_HOME=str(home))
    return subprocess.Popen([sys.executable, "-m", "app", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def kill_when(process: subprocess.Popen, library: Path, query: str, timeout: float = 120.0) -> tuple:
    """SIGKILL ``process`` as soon as ``query`` (one row) returns a truthy first column; return that row."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"hearsay ended before the kill: {process.communicate()[1]}"
        if library.exists():
            try:
                with sqlite3.connect(library, timeout=1) as conn:
                    row = conn.execute(query).fetchone()
            except sqlite3.OperationalError:  # the schema is still being created
                row = None
            if row and row[0]:
                process.send_signal(signal.SIGKILL)
                process.wait(10)
                return row
        time.sleep(0.02)
    process.kill()
    pytest.fail("the moment to kill never came")


def stored(library: Path, sql: str, *params):
    with sqlite3.connect(library) as conn:
        return conn.execute(sql, params).fetchall()


def test_a_kill_during_transcription_keeps_the_flushed_segments_and_resume_transcribes_only_the_rest(
        long_speech, tmp_path):
    home = tmp_path / "home"
    library = home / "data" / "library.sqlite3"
    process = hearsay(home, "analyze", str(long_speech), "-p", "Summarize in one sentence.", "--max-tokens", "16")
    kill_when(process, library, "SELECT COUNT(*) >= 3 FROM segments")
    assert process.returncode == -signal.SIGKILL
    kept = stored(library, "SELECT start, end, text FROM segments ORDER BY idx")
    (status, complete), = stored(library, "SELECT status, transcript_complete FROM analyses")
    assert len(kept) >= 3 and status == "running" and complete == 0
    print(f"\nkilled during transcription: {len(kept)} segments stored, up to {kept[-1][1]:.1f} s")

    listing = hearsay(home, "history", "list")
    out, _ = listing.communicate(timeout=60)
    assert "interrupted" in out and "0/1 prompts" in out and "long meeting.wav" in out
    analysis_id = out.split()[0]

    resumed = hearsay(home, "history", "resume", analysis_id)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert "resuming the transcription at" in err
    segments = stored(library, "SELECT start, end, text FROM segments ORDER BY idx")
    assert segments[:len(kept)] == kept  # what was stored stays as it was
    new = segments[len(kept):]
    assert new and new[0][0] >= kept[-1][1] - 0.01  # transcription went on from the last stored end
    assert all(a[0] <= b[0] for a, b in zip(segments, segments[1:]))
    assert segments[-1][1] > 0.9 * REPEATS * 13.3
    (status, complete), = stored(library, "SELECT status, transcript_complete FROM analyses")
    assert (status, complete) == ("done", 1)
    assert "## Summarize in one sentence." in out and "## Transcript" in out


def test_a_kill_during_a_prompt_keeps_the_finished_prompts_and_resume_runs_only_the_others(tmp_path):
    home = tmp_path / "home"
    library = home / "data" / "library.sqlite3"
    prompts = ["List every name mentioned.", "Summarize in one paragraph.", "What is decided?"]
    args = ["analyze", str(SPEECH), "--max-tokens", "200"]
    for prompt in prompts:
        args += ["-p", prompt]
    process = hearsay(home, *args)
    kill_when(process, library, "SELECT COUNT(*) = 1 FROM prompt_results WHERE status = 'done' "
                                "AND EXISTS (SELECT 1 FROM prompt_results WHERE status = 'running')")
    results = stored(library, "SELECT idx, status, response, exec_time FROM prompt_results ORDER BY idx")
    done = [r for r in results if r[1] == "done"]
    assert len(done) == 1 and done[0][2], results
    assert stored(library, "SELECT transcript_complete FROM analyses") == [(1,)]
    print(f"\nkilled during prompt {done[0][0] + 2}: prompt {done[0][0] + 1} stored ({len(done[0][2])} chars)")

    analysis_id = stored(library, "SELECT id FROM analyses")[0][0]
    resumed = hearsay(home, "history", "resume", analysis_id[:8])
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert "transcribing" not in err  # the stored transcript was complete
    finished = [line for line in err.splitlines() if "prompt " in line and " done (" in line]
    assert len(finished) == len(prompts) - 1  # only the unfinished prompts ran
    after = stored(library, "SELECT idx, status, response, exec_time FROM prompt_results ORDER BY idx")
    assert after[done[0][0]] == done[0]  # the finished prompt is untouched
    assert all(r[1] == "done" for r in after)
    assert all(f"## {p}" in out for p in prompts)
