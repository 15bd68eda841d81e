"""``hearsay models [list] [--verify]``, ``download ID [--endpoint URL]``, ``import PATH [--reference]`` and
``remove ID`` in-process, against the loopback hub (tests/hub_server.py) with the real bundled files."""

from __future__ import annotations

import io
import re

from app import cli
from app.cli.models import DownloadPrinter
from app.core.hub import advice, catalog, installed
from app.core.hub.downloads import DownloadProgress

LLM = catalog.default_entry("llm")
WHISPER = catalog.default_entry("whisper")


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def row(lines, model_id):
    return next(line for line in lines if line.split()[1] == model_id).split(None, 5)


def test_list_states_bundled_installed_partial_and_not_installed(capsys, hub_server, hub_catalog, monkeypatch):
    laptop = advice.MachineProfile(ram_bytes=25 * 10**9, physical_cores=2)  # this CI machine's kind, whatever runs it
    monkeypatch.setattr(advice.MachineProfile, "of_this_machine", classmethod(lambda cls: laptop))
    code, out, err = run(capsys, "models")
    assert code == 0 and err == []
    assert out[-5] == "This computer: 25 GB RAM, 2 cores."  # the recommendation for it, then how it was estimated
    assert out[-4].startswith("Speech to text: recommended whisper-small (small), about ") and "(estimate)" in out[-4]
    assert out[-2].startswith("Answers: recommended qwen2.5-1.5b-instruct-q4_k_m ")
    assert out[-1].lstrip().startswith("Estimate: ") and "tokens/s" in out[-1]
    assert row(out, "whisper-small")[4:] == ["not", "installed recommended `hearsay models download whisper-small`"]
    assert row(out, WHISPER.id)[:5] == ["whisper", WHISPER.id, "72.0", "MiB", "bundled"]
    assert row(out, "qwen2.5-1.5b-instruct-q4_k_m")[4:] == [
        "not", "installed recommended `hearsay models download qwen2.5-1.5b-instruct-q4_k_m`"]
    assert run(capsys, "models", "download", "test-smollm2", "--endpoint", hub_server.endpoint)[0] == 0
    staging = installed.partial_dir("test-whisper-tiny.en")
    staging.mkdir(parents=True)
    (staging / "model.bin").write_bytes(b"\0" * (WHISPER.size_bytes // 4))
    code, out, err = run(capsys, "models", "list")
    assert code == 0
    assert row(out, "test-smollm2")[4:] == ["installed", str(installed.models_dir() / "test-smollm2" / LLM.name)]
    assert row(out, "test-whisper-tiny.en")[4:] == [
        "partial", "25 % downloaded; `hearsay models download test-whisper-tiny.en` resumes it"]


def test_verify_still_works_with_and_without_list_and_finds_damage(capsys, hub_server, hub_catalog):
    for argv in (("models", "--verify"), ("models", "list", "--verify"), ("models", "--verify", "list")):
        code, out, err = run(capsys, *argv)
        assert code == 0 and err == []
        assert [line.endswith("sha256 ok") for line in out if " default " in line] == [True, True]
    run(capsys, "models", "download", "test-smollm2", "--endpoint", hub_server.endpoint)
    path = installed.models_dir() / "test-smollm2" / LLM.name
    data = bytearray(path.read_bytes())
    data[1000] ^= 0xFF
    path.write_bytes(bytes(data))
    code, out, _ = run(capsys, "models", "--verify")
    assert code == 1
    assert re.search(r"is damaged \(sha256 \w+… instead of b179c9523d0e…\); reinstall it$", row(out, "test-smollm2")[5])


def test_download_prints_lines_without_a_terminal(capsys, hub_server, hub_catalog):
    code, out, err = run(capsys, "models", "download", "test-smollm2", "--endpoint", hub_server.endpoint)
    assert code == 0
    assert err[0] == "test-smollm2: 0 bytes of 93.8 MiB (0 %), …"
    assert re.fullmatch(r"test-smollm2: 93\.8 MiB of 93\.8 MiB \(100 %\), [\d.]+ [KMG]iB/s", err[-1])
    assert len(err) <= 12  # a line per tenth at most, and the last
    assert out == [f"test-smollm2: downloaded in {out[0].split(' in ')[1].split(',')[0]}, sha256 {LLM.sha256} "
                   f"checked; installed at {installed.models_dir() / 'test-smollm2' / LLM.name}"]
    code, out, err = run(capsys, "models", "download", "test-smollm2")
    assert code == 0 and out[0].startswith("test-smollm2 is already installed (downloaded): ")


def test_download_failures_are_one_line_and_exit_1(capsys, hub_server, hub_catalog):
    hub_server.corrupt = True
    code, out, err = run(capsys, "models", "download", "test-smollm2", "--endpoint", hub_server.endpoint)
    assert code == 1 and out == []
    assert re.fullmatch(r"hearsay: the download of test-smollm2 is damaged \(SmolLM2-135M-Instruct\.Q4_1\.gguf: the "
                        r"hub's sha256 is b179c9523d0e…, the file's \w{12}…\), so it was deleted; try again", err[-1])
    code, _, err = run(capsys, "models", "download", "nothing-like-it")
    assert code == 1 and err[0].startswith("hearsay: no catalog model has the id 'nothing-like-it'; choose one of: ")
    assert run(capsys, "models", "download")[0] == 2  # usage


def test_progress_bar_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    printer = DownloadPrinter("whisper-small", screen)
    printer(DownloadProgress(0, 400 * 2**20, 0.0, None))
    printer(DownloadProgress(100 * 2**20, 400 * 2**20, 10 * 2**20, 30.0))
    printer(DownloadProgress(400 * 2**20, 400 * 2**20, 12 * 2**20, 0.0))
    printer.close()
    assert screen.getvalue().split("\r\033[K")[1:] == [
        "whisper-small: [........................] 0 bytes of 400 MiB (0 %), …",
        "whisper-small: [######..................] 100 MiB of 400 MiB (25 %), 10 MiB/s, 30 s left",
        "whisper-small: [########################] 400 MiB of 400 MiB (100 %), 12 MiB/s\n",
    ]


def test_import_and_remove(capsys, tmp_path):
    code, out, err = run(capsys, "models", "import", str(LLM.installed_path()), "--id", "mine")
    assert code == 0 and err == []
    assert out == [f"mine: llm model copied (93.8 MiB, sha256 {LLM.sha256}) at "
                   f"{installed.models_dir() / 'mine' / LLM.name}; use it with --llm-model mine"]
    code, out, _ = run(capsys, "models", "import", str(WHISPER.installed_path()), "--reference", "--id", "tiny")
    assert code == 0 and out[0].endswith(f"at {WHISPER.installed_path()}; use it with --whisper-model tiny")
    code, out, _ = run(capsys, "models")
    assert row(out, "mine")[4] == "copied" and row(out, "tiny")[4] == "referenced"
    code, out, err = run(capsys, "models", "remove", "tiny")
    assert code == 0 and out == [f"tiny: removed (the file {WHISPER.installed_path()} itself is kept)"]
    code, out, err = run(capsys, "models", "remove", WHISPER.id)
    assert code == 1 and err == [f"hearsay: {WHISPER.id} is bundled with Hearsay (installed by `make setup`) and "
                                 f"cannot be removed"]
    (tmp_path / "notes.txt").write_text("hello")
    code, _, err = run(capsys, "models", "import", str(tmp_path / "notes.txt"))
    assert code == 1 and err == [f"hearsay: {tmp_path}/notes.txt is neither a GGUF model file nor a CTranslate2 "
                                 f"Whisper folder"]
