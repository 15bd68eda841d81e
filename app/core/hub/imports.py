"""Import a model the user already has: a ``.gguf`` file (language model) or a CTranslate2 Whisper folder (also a
faster-whisper folder from the Hugging Face cache, ``models--Systran--faster-whisper-*/snapshots/<commit>/``).

The model is validated (GGUF: header and metadata, see ``gguf_files``; Whisper: ``model.bin`` and
``config.json``), hashed (sha256 of the GGUF, or of ``model.bin``) and registered under
``data_dir()/models/<id>/`` (``installed``): copied there, or referenced where it lies. Nothing touches the
network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from app.core import user_files
from app.core.errors import Cancelled, ModelError
from app.core.hub import installed
from app.core.hub.catalog import catalog
from app.core.hub.checksums import sha256_of
from app.core.hub.gguf_files import GGUF_MAGIC, read_gguf_info
from app.core.user_files import display_path

MODES = ("copy", "reference")
WHISPER_REQUIRED = ("model.bin", "config.json")
"""Files a CTranslate2 Whisper folder must hold (``faster_whisper.WhisperModel`` loads them)."""
WHISPER_OPTIONAL = ("tokenizer.json", "vocabulary.txt", "vocabulary.json", "preprocessor_config.json")
"""Files copied along when present (the tokenizer and the feature extractor's settings)."""


@dataclass(frozen=True)
class ImportResult:
    """What ``import_model`` registered (``model``) and ``warnings``: sentences that do not stop the import
    (e.g. a GGUF without a chat template)."""

    model: installed.InstalledModel
    warnings: tuple[str, ...] = ()


def hf_cache_snapshot(folder: Path) -> Path:
    """For a Hugging Face cache folder (``models--org--name``, with ``snapshots/<commit>/``), the snapshot its
    ``refs/main`` names (else the newest); any other folder is returned as it is."""
    snapshots = folder / "snapshots"
    if not snapshots.is_dir():
        return folder
    ref = folder / "refs" / "main"
    try:
        commit = ref.read_text("utf-8").strip()
        if (snapshots / commit).is_dir():
            return snapshots / commit
    except OSError:
        pass
    candidates = sorted((p for p in snapshots.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    if not candidates:
        raise ModelError(f"{display_path(folder)} is a Hugging Face cache folder without any snapshot")
    return candidates[-1]


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip(".-_").lower()
    return slug[:100] or "model"


def _default_id(path: Path, role: str) -> str:
    """An id for an imported model: the catalog id its name matches, else its file or folder name; a Whisper
    folder from the HF cache is named after its repo (``models--Systran--faster-whisper-small`` ->
    ``faster-whisper-small``)."""
    if role == "llm":
        match = next((e for e in catalog() if e.role == "llm" and e.name == path.name), None)
        return match.id if match else _slug(path.stem)
    for part in (path, *path.parents):
        if part.name.startswith("models--"):
            return _slug(part.name.split("--")[-1])
    return _slug(path.name)


def _whisper_folder(path: Path) -> Path:
    folder = hf_cache_snapshot(path)
    missing = [name for name in WHISPER_REQUIRED if not (folder / name).is_file()]
    if missing:
        raise ModelError(f"{display_path(path)} is not a CTranslate2 Whisper model folder "
                         f"(it has no {' and no '.join(missing)})")
    try:
        json.loads((folder / "config.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"the Whisper model folder {display_path(path)} has an unreadable config.json "
                         f"({type(exc).__name__})") from None
    return folder


def _copy(source: Path, target: Path, cancel: threading.Event | None) -> None:
    """Copy ``source`` (following links: the HF cache's snapshot files are links to blobs) to ``target``."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(1 << 20):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())


def import_model(path: Path | str, *, mode: str = "copy", model_id: str | None = None,
                 cancel: threading.Event | None = None) -> ImportResult:
    """Validate, hash and register the model at ``path``: a ``.gguf`` file or a CTranslate2 Whisper folder
    (also ``models--*`` or its ``snapshots/<commit>`` from the Hugging Face cache).

    ``mode``: "copy" copies the files under ``data_dir()/models/<id>/`` (the model stays usable when the
    original moves; costs its size in space); "reference" records only where it lies (free; a moved or deleted
    original makes it unusable, which ``installed_models`` says). ``model_id`` defaults to the catalog id
    whose file name matches, else the file or folder name. The folder appears in one rename once complete.
    ``cancel`` stops a copy or the hashing between 1 MiB chunks.

    Returns an ImportResult; a GGUF without a chat template is imported with a warning. Raises ModelError
    naming the path and the cause (not a GGUF file, a damaged header, no model.bin or config.json, an id
    already installed, a full disk), and Cancelled.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    source = Path(os.path.expanduser(str(path))).absolute()
    shown = display_path(source)
    if not os.path.exists(source):
        raise ModelError(f"cannot import {shown}: no such file or folder")
    warnings: list[str] = []
    chat_template = None
    if source.is_dir():
        role = "whisper"
        folder = _whisper_folder(source)
        weights = folder / "model.bin"
        files = [folder / name for name in (*WHISPER_REQUIRED, *WHISPER_OPTIONAL) if (folder / name).is_file()]
        name = ""  # its id (below): what results record as the Whisper model
    else:
        role = "llm"
        try:
            with user_files.open_regular_file(source) as handle:
                magic = handle.read(4)
        except user_files.FileProblem as exc:
            raise ModelError(exc.about(f"the model file {shown}")) from None
        if magic != GGUF_MAGIC:
            raise ModelError(f"{shown} is neither a GGUF model file nor a CTranslate2 Whisper folder")
        info = read_gguf_info(source)
        chat_template = info.chat_template is not None
        if not chat_template:
            warnings.append(f"{source.name} has no chat template in its metadata, so its answers are formatted "
                            f"by llama.cpp's fallback and may be poor; prefer an instruct model")
        weights = source
        files = [source]
        name = source.name
    model_id = installed.check_model_id(model_id or _default_id(source, role))
    name = name or model_id
    models = installed.models_dir()
    final = models / model_id
    if final.exists() or installed.find_installed(model_id) is not None:
        raise ModelError(f"a model with the id {model_id} is already installed; remove it with "
                         f"`hearsay models remove {model_id}` or choose another id")
    staging = models / installed.PARTIAL_FOLDER / f"import-{model_id}"
    try:
        sha256 = sha256_of(weights, cancel=cancel)
    except user_files.FileProblem as exc:
        raise ModelError(exc.about(f"the model file {display_path(weights)}")) from None
    except OSError as exc:
        raise ModelError(f"cannot read the model file {display_path(weights)}: {exc.strerror or exc}") from None
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir(parents=True, mode=0o700)
        if mode == "copy":
            for file in files:
                _copy(file, staging / file.name, cancel)
            model_path = final if role == "whisper" else final / source.name
        else:
            model_path = folder if role == "whisper" else source
        size = sum(f.stat().st_size for f in files)
        model = installed.InstalledModel(
            id=model_id, role=role, name=name, path=model_path, sha256=sha256,
            how="copied" if mode == "copy" else "referenced", size_bytes=size, folder=final,
            source={"imported_from": str(source)}, chat_template=chat_template,
        )
        installed.write_manifest(staging, model)
        os.rename(staging, final)
    except Cancelled:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ModelError(f"cannot import {shown} into {display_path(models)}: {exc.strerror or exc}") from None
    return ImportResult(installed.read_manifest(final) or model, tuple(warnings))
