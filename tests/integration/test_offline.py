"""Offline proof: a full `hearsay analyze` on the real default models with no network at all.

(a) in a child process inside a network namespace with no interfaces but a downed loopback
    (``unshare -rn``; skipped with the reason where user namespaces are not allowed);
(b) in a child process whose Python ``socket`` refuses and records every connect and name lookup
    (a ``sitecustomize`` on PYTHONPATH, loaded before Hearsay), and in this process with the
    suite's ``_no_network`` guard plus a counter: zero attempts in both.
Both children start without ``HF_HUB_OFFLINE``: Hearsay sets it itself.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app import cli

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent.parent
SPEECH = ROOT / "tests" / "data" / "speech.wav"
PROMPT = "Who writes the press release?"
ARGS = ["analyze", str(SPEECH), "-p", PROMPT, "--max-tokens", "16", "-q"]

NET_BLOCK = textwrap.dedent('''
    """Refuse and record every network attempt of this interpreter (loaded by site at start-up)."""
    import atexit, os, socket, sys

    _log = os.environ["HEARSAY_NET_LOG"]
    _real_connect, _real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def _record(what):
        with open(_log, "a", encoding="utf-8") as handle:
            handle.write(what + "\\n")

    def _guard(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            _record(f"connect {address!r}")
            raise OSError("network access is disabled (offline test)")

    def connect(self, address):
        _guard(self, address)
        return _real_connect(self, address)

    def connect_ex(self, address):
        _guard(self, address)
        return _real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        _record(f"getaddrinfo {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, "name lookups are disabled (offline test)")

    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo

    @atexit.register
    def _say_how_hub_was_set():
        _record(f"env HF_HUB_OFFLINE={os.environ.get('HF_HUB_OFFLINE')}")
        import huggingface_hub.constants as hub  # what any use of the hub in this process would see

        _record(f"hub offline={hub.HF_HUB_OFFLINE}")
''')


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env.update(HEARSAY_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT), **extra)
    return env


def assert_analysed(out: Path, done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text("utf-8")
    assert text.startswith("# speech.wav\n") and f"## {PROMPT}" in text
    assert "website" in text.split("## Transcript")[1].lower()
    response = text.split(f"## {PROMPT}\n", 1)[1].split("\n## ", 1)[0].strip()
    assert response and not response.startswith(">"), response  # answered, not failed or skipped
    assert "Traceback" not in done.stderr


def namespace_reason() -> str | None:
    """Why ``unshare -rn`` cannot be used here, or None when it can."""
    if not shutil.which("unshare"):
        return "no unshare command (util-linux) on this machine"
    try:
        probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, text=True, timeout=30)
    except OSError as exc:
        return f"unshare cannot run: {exc}"
    if probe.returncode != 0:
        return f"unprivileged network namespaces are not allowed here: {probe.stderr.strip()}"
    return None


NAMESPACE_PROBLEM = namespace_reason()


@pytest.mark.skipif(NAMESPACE_PROBLEM is not None, reason=f"unshare -rn cannot run here: {NAMESPACE_PROBLEM}")
def test_cli_analysis_in_a_network_namespace_without_interfaces(tmp_path):
    env = child_env(tmp_path)
    # The namespace really has no network: an outside address is unreachable from inside it.
    probe = subprocess.run(
        ["unshare", "-rn", sys.executable, "-c",
         "import socket; s = socket.socket(); s.settimeout(5); print(s.connect_ex(('1.1.1.1', 443)))"],
        capture_output=True, text=True, timeout=60, env=env)
    assert probe.returncode == 0 and probe.stdout.strip() != "0", probe.stderr
    out = tmp_path / "out.md"
    done = subprocess.run(["unshare", "-rn", sys.executable, "-m", "app", *ARGS, "-o", str(out)],
                          capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert_analysed(out, done)


def test_cli_analysis_with_python_sockets_blocked_in_a_child(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NET_BLOCK, "utf-8")
    log = tmp_path / "net.log"
    env = child_env(tmp_path, HEARSAY_NET_LOG=str(log))
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT)])
    out = tmp_path / "out.md"
    done = subprocess.run([sys.executable, "-m", "app", *ARGS, "-o", str(out)], capture_output=True, text=True,
                          timeout=300, env=env, cwd=ROOT)
    assert_analysed(out, done)
    lines = log.read_text("utf-8").splitlines()
    assert [line for line in lines if not line.startswith(("env ", "hub "))] == []  # no attempt at all
    assert "env HF_HUB_OFFLINE=1" in lines  # set by Hearsay: the child started without it
    assert "hub offline=True" in lines  # and huggingface_hub (faster-whisper's downloader) would obey it


def test_cli_analysis_in_process_makes_no_connect_or_lookup(tmp_path, monkeypatch):
    attempts = []
    guarded_connect = socket.socket.connect  # the suite's _no_network guard, already installed

    def counting_connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(("connect", address))
        return guarded_connect(self, address)

    def counting_getaddrinfo(host, *args, **kwargs):
        attempts.append(("getaddrinfo", host))
        raise socket.gaierror(socket.EAI_NONAME, "name lookups are disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", counting_connect)
    monkeypatch.setattr(socket, "getaddrinfo", counting_getaddrinfo)
    out = tmp_path / "out.md"
    assert cli.main([*ARGS, "-o", str(out)]) == 0
    assert attempts == []
    assert f"## {PROMPT}" in out.read_text("utf-8")


def test_main_sets_hf_hub_offline_unless_the_environment_decides(monkeypatch, capsys):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert cli.main(["models"]) == 0
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # a user who set it keeps their choice
    assert cli.main(["models"]) == 0
    assert os.environ["HF_HUB_OFFLINE"] == "0"
