"""Remembered settings: typed keys over QSettings (the ``Settings.Key`` pattern of Buzz).

By default the settings live in an INI file in ``app.core.paths.config_dir()``,
so ``HEARSAY_HOME`` (used by the tests) isolates them; a QSettings can also be
injected.
"""

from __future__ import annotations

import json
from enum import Enum

from PySide6.QtCore import QByteArray, QSettings

from app.core import paths
from app.core.engines import EngineSettings
from app.core.prompts import default_prompts

DEVICES = ("auto", "cpu", "cuda")
MAX_TOKENS_RANGE = (16, 8192)


class Settings:
    """Hearsay's remembered settings with typed getters and setters.

    Every setter writes through and syncs, so a second ``Settings`` (or a new
    window) on the same file sees the change at once.

    Thread-safety: use from the GUI thread only. The worker thread never reads
    settings; it receives ``EngineSettings`` snapshots with each batch.
    """

    class Key(str, Enum):
        """Every key Hearsay stores; the value is the QSettings key."""

        PROMPTS = "prompts/list"
        WHISPER_MODEL = "models/whisper_model"
        LLM_MODEL = "models/llm_model"
        DEVICE = "models/device"
        LANGUAGE = "models/language"
        MAX_TOKENS = "models/max_tokens"
        AUTO_START = "analysis/auto_start"
        LAST_OPEN_DIR = "paths/last_open_dir"
        LAST_EXPORT_DIR = "paths/last_export_dir"
        WINDOW_GEOMETRY = "window/geometry"
        MAIN_SPLITTER = "window/main_splitter"
        SIDE_SPLITTER = "window/side_splitter"

    FILE_NAME = "hearsay.ini"

    def __init__(self, qsettings: QSettings | None = None) -> None:
        if qsettings is None:
            qsettings = QSettings(str(paths.config_dir() / self.FILE_NAME), QSettings.Format.IniFormat)
        self._q = qsettings

    @property
    def qsettings(self) -> QSettings:
        """The underlying QSettings."""
        return self._q

    def file_name(self) -> str:
        """Where the settings are stored."""
        return self._q.fileName()

    # ---- raw typed access ------------------------------------------------------

    def set_value(self, key: Key, value) -> None:
        """Store ``value`` under ``key`` (None removes the key) and sync to disk."""
        if value is None:
            self._q.remove(key.value)
        else:
            self._q.setValue(key.value, value)
        self._q.sync()

    def get_str(self, key: Key, default: str = "") -> str:
        """``key`` as text (``default`` when unset)."""
        value = self._q.value(key.value, default)
        return default if value is None else str(value)

    def get_int(self, key: Key, default: int) -> int:
        """``key`` as a whole number (``default`` when unset or not a number)."""
        try:
            return int(self._q.value(key.value, default))
        except (TypeError, ValueError):
            return default

    def get_bool(self, key: Key, default: bool) -> bool:
        """``key`` as a boolean (INI files store "true"/"false")."""
        value = self._q.value(key.value, default)
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)

    def get_bytes(self, key: Key) -> QByteArray | None:
        """``key`` as bytes (window geometry and splitter states), or None."""
        value = self._q.value(key.value)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    # ---- prompts ------------------------------------------------------------

    def prompts(self) -> list[str]:
        """The user's prompts, in order; the three defaults until the user changes them."""
        raw = self._q.value(self.Key.PROMPTS.value)
        if raw is None:
            return default_prompts()
        try:
            data = json.loads(str(raw))
        except ValueError:
            return default_prompts()
        if not isinstance(data, list):
            return default_prompts()
        return [p for p in data if isinstance(p, str) and p.strip()]

    def set_prompts(self, prompts: list[str]) -> None:
        """Remember ``prompts`` (stored as a JSON array: QSettings lists lose one-item lists in INI files)."""
        self.set_value(self.Key.PROMPTS, json.dumps(list(prompts), ensure_ascii=False))

    # ---- models ---------------------------------------------------------------

    def engine_settings(self) -> EngineSettings:
        """The model choices as ``EngineSettings`` (empty text means the default model / auto-detect)."""
        device = self.get_str(self.Key.DEVICE, "auto")
        low, high = MAX_TOKENS_RANGE
        return EngineSettings(
            whisper_model=self.get_str(self.Key.WHISPER_MODEL).strip() or None,
            llm_model=self.get_str(self.Key.LLM_MODEL).strip() or None,
            device=device if device in DEVICES else "auto",
            language=self.get_str(self.Key.LANGUAGE).strip() or None,
            max_tokens=min(max(self.get_int(self.Key.MAX_TOKENS, 512), low), high),
        )

    def set_engine_settings(self, settings: EngineSettings) -> None:
        """Remember the model choices of ``settings``."""
        for key, value in ((self.Key.WHISPER_MODEL, settings.whisper_model or ""),
                           (self.Key.LLM_MODEL, settings.llm_model or ""), (self.Key.DEVICE, settings.device),
                           (self.Key.LANGUAGE, settings.language or ""), (self.Key.MAX_TOKENS, int(settings.max_tokens))):
            self._q.setValue(key.value, value)
        self._q.sync()  # one write for the five keys

    # ---- behaviour and places -------------------------------------------------

    def auto_start(self) -> bool:
        """Whether added files start analysing at once (default) or wait for Analyze."""
        return self.get_bool(self.Key.AUTO_START, True)

    def set_auto_start(self, value: bool) -> None:
        """Remember whether added files start analysing at once."""
        self.set_value(self.Key.AUTO_START, bool(value))
