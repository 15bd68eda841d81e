"""Downloaded models in use: download tiny.en and SmolLM2 from the loopback hub, then ``hearsay analyze`` with them
(the real engines); a download killed (SIGKILL) or stopped by Ctrl+C in a process of its own resumes with a Range
request in the next one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app import cli
from app.core.hub import downloads, installed
from app.core.user_files import format_bytes

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parent.parent.parent
DATA = ROOT / "tests" / "data"


def test_download_then_analyze_with_the_downloaded_models(hub_server, hub_catalog, tmp_path, capsys):
    whisper = downloads.download(hub_catalog["whisper"], endpoint=hub_server.endpoint)
    llm = downloads.download(hub_catalog["llm"], endpoint=hub_server.endpoint)
    served = hub_server.bytes_served
    out = tmp_path / "result.json"
    code = cli.main(["analyze", str(DATA / "speech.wav"), "--whisper-model", whisper.id, "--llm-model", llm.id,
                     "-p", "Who has to do what by Friday?", "--max-tokens", "24", "-o", str(out), "--format", "json"])
    assert code == 0, capsys.readouterr().err
    result = json.loads(out.read_text("utf-8"))["result"]
    assert "website" in result["transcription"]["full_transcript"].lower()
    answer = result["audio_to_llm"]["results"][0]
    assert answer["success"] and answer["results"]["response"].strip()
    meta = result["metadata"]
    assert (meta["whisper_model"], meta["llm_model"]) == ("tiny.en", llm.name)
    assert hub_server.bytes_served == served  # the analysis itself asked the hub nothing


def hub_cli(args, endpoint_home):
    env = dict(os.environ, HEARSAY_HOME=str(endpoint_home), PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "tests.hub_cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_partial(model_id, at_least, process, timeout=60.0):
    deadline = time.monotonic() + timeout
    while installed.partial_bytes(model_id) < at_least:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the download made no progress"
        time.sleep(0.05)


@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_a_download_stopped_in_its_own_process_resumes(hub_server, hub_catalog, how, capsys):
    entry = hub_catalog["llm"]
    hub_server.rate_bytes_per_s = 10e6
    process = hub_cli(["models", "download", entry.id, "--endpoint", hub_server.endpoint], os.environ["HEARSAY_HOME"])
    try:
        wait_for_partial(entry.id, 15_000_000, process)
        process.send_signal(getattr(signal, how))
        _, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    kept = installed.partial_bytes(entry.id)
    assert 15_000_000 <= kept < entry.size_bytes
    if how == "SIGINT":
        assert process.returncode == 130
        assert err.splitlines()[-1] == (f"hearsay: interrupted; the download of {entry.id} stopped with "
                                        f"{format_bytes(kept)} kept: `hearsay models download {entry.id}` "
                                        f"resumes it")
    else:
        assert process.returncode == -signal.SIGKILL
    assert installed.find_installed(entry.id) is None
    hub_server.rate_bytes_per_s = None
    before = len(hub_server.requests)  # the stopped process's request may still be writing into its socket
    assert cli.main(["models", "download", entry.id, "--endpoint", hub_server.endpoint]) == 0
    assert f"{entry.id}: resuming the partial download" in capsys.readouterr().err
    assert hub_server.ranges()[-1] == f"bytes={kept}-"
    assert sum(hub_server.served[before:]) == entry.size_bytes - kept  # only the rest was sent again
    assert installed.find_installed(entry.id).sha256 == entry.sha256
