"""What the Models window lists, as plain data and text (no widgets): one ``ModelItem`` per catalog model and
per imported model, its state on this machine, which one the settings use, and the texts of a row.

Reads the catalog (``app.core.hub.catalog``) and the registry of installed models (``app.core.hub.installed``);
touches no network. Thread-safety: plain functions; call them from the GUI thread (they read small files).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import ModelError
from app.core.hub import catalog as catalog_module
from app.core.hub import installed
from app.core.hub.catalog import CatalogEntry
from app.core.hub.downloads import DownloadProgress
from app.core.user_files import format_bytes

ROLES = ("whisper", "llm")
ROLE_TITLES = {"whisper": "Speech to text", "llm": "Language model"}
STATES = ("bundled", "installed", "partial", "not installed", "missing")
"""A model's state on this machine (``ModelItem.state``); "downloading n %" is the window's own."""

LANGUAGE_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
    "nl": "Dutch", "pl": "Polish", "ru": "Russian", "zh": "Chinese", "ja": "Japanese", "ko": "Korean",
    "ar": "Arabic", "hi": "Hindi", "vi": "Vietnamese", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian",
    "sv": "Swedish",
}  # fmt: skip


@dataclass(frozen=True)
class ModelItem:
    """One model the window lists: a catalog ``entry`` (None for an imported model outside the catalog), its
    installed copy ``model`` (bundled, downloaded or imported; None when not on this machine) and
    ``partial_bytes`` already downloaded by an interrupted download (bytes)."""

    id: str
    role: str
    entry: CatalogEntry | None
    model: installed.InstalledModel | None
    partial_bytes: int = 0

    @property
    def state(self) -> str:
        """"bundled", "installed", "partial" (an interrupted download that resumes), "not installed", or
        "missing" (an imported model whose file or folder is gone; ``model.problem`` says which)."""
        if self.model is not None:
            if self.model.problem:
                return "missing"
            return "bundled" if self.model.how == "bundled" else "installed"
        return "partial" if self.partial_bytes else "not installed"

    @property
    def title(self) -> str:
        """The name a user reads: the catalog description's lead ("Qwen2.5 3B Instruct"), else the id."""
        return entry_title(self.entry) if self.entry is not None else self.id

    @property
    def size_bytes(self) -> int:
        """The download's size (catalog) or the size on disk (imported), in bytes; 0 unknown."""
        if self.entry is not None and self.entry.size_bytes:
            return self.entry.size_bytes
        return self.model.size_bytes if self.model is not None else 0

    @property
    def downloadable(self) -> bool:
        """True when the hub has it (a catalog entry with a repo and files)."""
        return self.entry is not None and bool(self.entry.hf_repo and self.entry.hf_files)

    @property
    def folder(self) -> Path | None:
        """The folder to show in the file manager: the model's folder, or the one holding its file."""
        if self.model is None:
            return None
        path = Path(self.model.path)
        return path if path.is_dir() else path.parent

    @property
    def is_default(self) -> bool:
        """True for the catalog's default (bundled) model of its role: the settings store it as ""."""
        return self.entry is not None and self.entry.default


def entry_title(entry: CatalogEntry) -> str:
    """"Qwen2.5 3B Instruct" from the description "Qwen2.5 3B Instruct: …"; the id when it has no such lead."""
    lead, colon, _ = entry.description.partition(":")
    return lead.strip() if colon and lead.strip() else entry.id


def entry_note(entry: CatalogEntry | None) -> str:
    """The one-line note after the title in the description ("sound summaries and action items …")."""
    if entry is None:
        return ""
    _, colon, rest = entry.description.partition(":")
    text = rest.strip() if colon else entry.description.strip()
    return text[:1].upper() + text[1:]


def languages_text(codes: tuple[str, ...], role: str = "whisper") -> tuple[str, str]:
    """(short text, tooltip) for a model's languages: "English", "99 languages" (Whisper's ``*``), "Many
    languages" (a language model's ``*``), "13 languages" (the tooltip names them)."""
    if not codes:
        return "", ""
    if "*" in codes:
        if role == "whisper":
            return "99 languages", "Whisper's 99 languages"
        return "Many languages", "Trained on many languages (its note says how many)"
    names = [LANGUAGE_NAMES.get(code, code) for code in codes]
    if len(names) <= 2:
        return " and ".join(names), ""
    return f"{len(names)} languages", ", ".join(names)


def list_models(role: str) -> list[ModelItem]:
    """The models of ``role`` ("whisper" or "llm"): the catalog's in catalog order, then models imported under
    ids of their own (sorted by id)."""
    present = {m.id: m for m in installed.installed_models() if m.role == role}
    items = []
    for entry in catalog_module.catalog():
        if entry.role != role:
            continue
        model = present.pop(entry.id, None)
        items.append(ModelItem(entry.id, role, entry, model, 0 if model else installed.partial_bytes(entry.id)))
    items.extend(ModelItem(m.id, role, None, m) for m in sorted(present.values(), key=lambda m: m.id))
    return items


def setting_value(item: ModelItem) -> str:
    """What the settings store to use ``item``: "" for the bundled default (the default model), else its id
    (``resolve_whisper``/``resolve_llm`` accept ids)."""
    return "" if item.is_default else item.id


def in_use_id(role: str, value: str | None, items: list[ModelItem]) -> str | None:
    """The id of the item the stored setting ``value`` names (None: a model outside the list, or unknown).

    ``value`` may be empty (the default), an id, a catalog name ("small", a GGUF file name) or a path."""
    value = (value or "").strip()
    if not value:
        return next((i.id for i in items if i.is_default), None)
    by_id = {i.id: i for i in items}
    if value in by_id:
        return value
    named = [i for i in items if i.entry is not None and i.entry.name == value]
    if named:
        return next((i.id for i in named if i.model is not None), named[0].id)
    try:
        resolved = (catalog_module.resolve_whisper if role == "whisper" else catalog_module.resolve_llm)(value)
    except ModelError:
        return None
    for item in items:
        if item.model is not None and _same_path(item.model.path, resolved.path):
            return item.id
    return None


def _same_path(a, b) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def demo_entry() -> CatalogEntry | None:
    """The catalog's demo language model (``demo = true``), or None."""
    return next((e for e in catalog_module.catalog() if e.role == "llm" and e.demo), None)


def demo_in_use(llm_value: str | None) -> CatalogEntry | None:
    """The demo model's entry when the stored language-model setting ``llm_value`` chooses it: empty (the
    default), its id or file name, or a path to its bundled file; else None."""
    demo = demo_entry()
    if demo is None:
        return None
    value = (llm_value or "").strip()
    if not value:
        return demo if demo.default else None
    if value in (demo.id, demo.name):
        return demo
    bundled = demo.installed_path()
    return demo if bundled is not None and _same_path(os.path.expanduser(value), bundled) else None


def progress_text(progress: DownloadProgress) -> str:
    """"40 MiB of 94 MiB · 2.1 MiB/s · about 25 s left" (the rate and time left once known)."""
    from app.ui.window.eta import about

    parts = [f"{format_bytes(progress.bytes_done)} of {format_bytes(progress.bytes_total)}"]
    if progress.rate_bytes_per_s > 0:
        parts.append(f"{format_bytes(int(progress.rate_bytes_per_s))}/s")
    if progress.seconds_left is not None and progress.bytes_done < progress.bytes_total:
        parts.append(about(progress.seconds_left))
    return " · ".join(parts)


def state_text(item: ModelItem) -> str:
    """The row's state: "Bundled with Hearsay", "Installed", "Partly downloaded: 40 MiB of 94 MiB (resumes)",
    "Not installed", or the problem of a missing import."""
    state = item.state
    if state == "bundled":
        return "Bundled with Hearsay"
    if state == "installed":
        how = item.model.how if item.model is not None else ""
        return {"copied": "Installed (imported copy)", "referenced": "Installed (imported, used where it lies)"}.get(
            how, "Installed")
    if state == "partial":
        total = f" of {format_bytes(item.size_bytes)}" if item.size_bytes else ""
        return f"Partly downloaded: {format_bytes(item.partial_bytes)}{total} (Download resumes from there)"
    if state == "missing":
        return item.model.problem[:1].upper() + item.model.problem[1:] if item.model else "Missing"
    return "Not installed"
