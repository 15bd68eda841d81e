"""Remembered settings: typed keys over QSettings (the ``Settings.Key`` pattern of Buzz).

By default the settings live in an INI file in ``app.core.paths.config_dir()``,
so ``HEARSAY_HOME`` (used by the tests) isolates them; a QSettings can also be
injected. When that folder cannot be created, settings work for the session
and are not saved.
"""

from __future__ import annotations

import json
import logging
import math
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from app.core import paths
from app.core.errors import FolderError
from app.core.llm.assembly import TEMPERATURE_RANGE
from app.core.llm.prompts import NamedPrompt, default_name, default_named_prompts
from app.core.pipeline.engines import EngineSettings
from app.core.speakers.diarizer import MAX_SPEAKERS

DEVICES = ("auto", "cpu", "cuda")
MAX_TOKENS_RANGE = (16, 8192)
BEAM_SIZE_RANGE = (1, 10)
BATCH_SIZE_RANGE = (0, 32)
"""Batched decoding's batch size; 0 turns it off."""
CONTEXT_WINDOW_RANGE = (0, 131072)
"""The language model's context window in tokens; 0 means the model's own."""
OVERLAP_CHOICES = {"auto": None, "on": True, "off": False}
"""Stored value -> ``EngineSettings.overlap``."""
SPEAKER_COUNT_RANGE = (1, MAX_SPEAKERS)
"""Speakers the user may name as the count, or as its bounds (Settings' spin boxes; the speaker engine's limit)."""
SYSTEM_PROMPT_LIMIT = 4000
"""The longest system prompt kept, in characters (about 1,000 tokens: it is read before every transcript)."""
log = logging.getLogger(__name__)


def _clamp(value: int, bounds: tuple[int, int]) -> int:
    return min(max(value, bounds[0]), bounds[1])


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
        BEAM_SIZE = "speed/beam_size"
        VAD_FILTER = "speed/vad_filter"
        BATCH_SIZE = "speed/batch_size"
        CONTEXT_WINDOW = "speed/context_window"
        OVERLAP = "speed/overlap"
        SYSTEM_PROMPT = "answers/system_prompt"
        TEMPERATURE = "answers/temperature"
        HUB_ENDPOINT = "hub/endpoint"
        DEMO_BAR_DISMISSED = "models/demo_bar_dismissed"
        CODE_SWITCHING = "speech/code_switching"
        TRANSLATE = "speech/translate"
        VOCABULARY = "speech/vocabulary"
        DIARIZE = "speakers/diarize"
        NUM_SPEAKERS = "speakers/num_speakers"
        MIN_SPEAKERS = "speakers/min_speakers"
        MAX_SPEAKERS = "speakers/max_speakers"
        VOICEPRINTS = "speakers/voiceprints"
        AUTO_START = "analysis/auto_start"
        CONFIRM_STOP = "analysis/confirm_stop"
        MEASURED_RATES = "analysis/measured_rates"
        LAST_OPEN_DIR = "paths/last_open_dir"
        LAST_EXPORT_DIR = "paths/last_export_dir"
        WINDOW_GEOMETRY = "window/geometry"
        MAIN_SPLITTER = "window/main_splitter"
        SIDE_SPLITTER = "window/side_splitter"

    FILE_NAME = "hearsay.ini"

    def __init__(self, qsettings: QSettings | None = None) -> None:
        if qsettings is None:
            try:
                folder = paths.config_dir()
            except FolderError as exc:  # HEARSAY_HOME is a file or read-only: settings last this session only
                log.warning("settings are not saved: %s", exc.message)
                folder = Path(exc.path)
            qsettings = QSettings(str(folder / self.FILE_NAME), QSettings.Format.IniFormat)
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

    def get_float(self, key: Key, default: float) -> float:
        """``key`` as a number (``default`` when unset, not a number, or not finite)."""
        try:
            value = float(self._q.value(key.value, default))
        except (TypeError, ValueError):
            return default
        return value if math.isfinite(value) else default

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

    def named_prompts(self) -> list[NamedPrompt]:
        """The user's prompts with their names, in order; the three defaults until the user changes them.

        Stored as a JSON array of ``{"name", "text"}`` objects (QSettings lists lose one-item lists in
        INI files); an older array of plain strings is read too, a default prompt getting its default name.
        """
        raw = self._q.value(self.Key.PROMPTS.value)
        if raw is None:
            return default_named_prompts()
        try:
            data = json.loads(str(raw))
        except ValueError:
            return default_named_prompts()
        if not isinstance(data, list):
            return default_named_prompts()
        prompts = []
        for item in data:
            if isinstance(item, str) and item.strip():
                prompts.append(NamedPrompt(item, default_name(item)))
            elif isinstance(item, dict) and isinstance(item.get("text"), str) and item["text"].strip():
                name = item.get("name")
                prompts.append(NamedPrompt(item["text"], name.strip() if isinstance(name, str) else ""))
        return prompts

    def set_named_prompts(self, prompts: list[NamedPrompt]) -> None:
        """Remember ``prompts`` with their names."""
        data = [{"name": p.name, "text": p.text} for p in prompts]
        self.set_value(self.Key.PROMPTS, json.dumps(data, ensure_ascii=False))

    def prompts(self) -> list[str]:
        """The texts of the user's prompts, in order."""
        return [p.text for p in self.named_prompts()]

    def set_prompts(self, prompts: list[str]) -> None:
        """Remember prompts given as texts (a text that was named keeps its name; a default text its default name)."""
        names = {p.text: p.name for p in self.named_prompts()}
        self.set_named_prompts([NamedPrompt(t, names.get(t) or default_name(t)) for t in prompts])

    # ---- models ---------------------------------------------------------------

    def engine_settings(self) -> EngineSettings:
        """The model and speed choices as ``EngineSettings``.

        Empty text means the default model / auto-detect; a context window of
        0 the model's own; overlap "auto" the hardware's default; an empty system
        prompt the built-in instructions (longer ones are cut at ``SYSTEM_PROMPT_LIMIT``
        characters). Speakers: a stored count of 0 (or none) means "find it"; counts are clamped
        to ``SPEAKER_COUNT_RANGE``, bounds put in order, and an exact count wins over bounds. Values out
        of range are clamped, unknown ones fall back to the defaults.
        """
        device = self.get_str(self.Key.DEVICE, "auto")
        overlap = self.get_str(self.Key.OVERLAP, "auto").strip().lower()
        defaults = EngineSettings()
        return EngineSettings(
            whisper_model=self.get_str(self.Key.WHISPER_MODEL).strip() or None,
            llm_model=self.get_str(self.Key.LLM_MODEL).strip() or None,
            device=device if device in DEVICES else "auto",
            language=self.get_str(self.Key.LANGUAGE).strip() or None,
            max_tokens=_clamp(self.get_int(self.Key.MAX_TOKENS, defaults.max_tokens), MAX_TOKENS_RANGE),
            beam_size=_clamp(self.get_int(self.Key.BEAM_SIZE, defaults.beam_size), BEAM_SIZE_RANGE),
            vad_filter=self.get_bool(self.Key.VAD_FILTER, defaults.vad_filter),
            batch_size=_clamp(self.get_int(self.Key.BATCH_SIZE, defaults.batch_size), BATCH_SIZE_RANGE),
            context_window=_clamp(self.get_int(self.Key.CONTEXT_WINDOW, 0), CONTEXT_WINDOW_RANGE) or None,
            overlap=OVERLAP_CHOICES.get(overlap, defaults.overlap),
            system_prompt=self.get_str(self.Key.SYSTEM_PROMPT).strip()[:SYSTEM_PROMPT_LIMIT] or None,
            temperature=min(max(self.get_float(self.Key.TEMPERATURE, defaults.temperature), TEMPERATURE_RANGE[0]),
                            TEMPERATURE_RANGE[1]),
            code_switching=self.get_bool(self.Key.CODE_SWITCHING, defaults.code_switching),
            translate=self.get_bool(self.Key.TRANSLATE, defaults.translate),
            vocabulary=self.get_str(self.Key.VOCABULARY).strip(),
            diarize=self.get_bool(self.Key.DIARIZE, defaults.diarize),
            voiceprints=self.get_bool(self.Key.VOICEPRINTS, defaults.voiceprints),
            **self._speaker_counts(),
        )

    def _speaker_counts(self) -> dict[str, int | None]:
        def count(key: Settings.Key) -> int | None:
            value = self.get_int(key, 0)
            return _clamp(value, SPEAKER_COUNT_RANGE) if value > 0 else None

        exact, low, high = count(self.Key.NUM_SPEAKERS), count(self.Key.MIN_SPEAKERS), count(self.Key.MAX_SPEAKERS)
        if exact is not None:
            return {"num_speakers": exact, "min_speakers": None, "max_speakers": None}
        if low is not None and high is not None and low > high:
            low, high = high, low
        return {"num_speakers": None, "min_speakers": low, "max_speakers": high}

    def set_engine_settings(self, settings: EngineSettings) -> None:
        """Remember the model and speed choices of ``settings``."""
        overlap = {None: "auto", True: "on", False: "off"}[settings.overlap]
        for key, value in ((self.Key.WHISPER_MODEL, settings.whisper_model or ""),
                           (self.Key.LLM_MODEL, settings.llm_model or ""), (self.Key.DEVICE, settings.device),
                           (self.Key.LANGUAGE, settings.language or ""), (self.Key.MAX_TOKENS, int(settings.max_tokens)),
                           (self.Key.BEAM_SIZE, int(settings.beam_size)), (self.Key.VAD_FILTER, bool(settings.vad_filter)),
                           (self.Key.BATCH_SIZE, int(settings.batch_size)),
                           (self.Key.CONTEXT_WINDOW, int(settings.context_window or 0)), (self.Key.OVERLAP, overlap),
                           (self.Key.SYSTEM_PROMPT, settings.system_prompt or ""),
                           (self.Key.TEMPERATURE, float(settings.temperature)),
                           (self.Key.CODE_SWITCHING, bool(settings.code_switching)),
                           (self.Key.TRANSLATE, bool(settings.translate)), (self.Key.VOCABULARY, settings.vocabulary),
                           (self.Key.DIARIZE, bool(settings.diarize)),
                           (self.Key.NUM_SPEAKERS, int(settings.num_speakers or 0)),
                           (self.Key.MIN_SPEAKERS, int(settings.min_speakers or 0)),
                           (self.Key.MAX_SPEAKERS, int(settings.max_speakers or 0)),
                           (self.Key.VOICEPRINTS, bool(settings.voiceprints))):
            self._q.setValue(key.value, value)
        self._q.sync()  # one write for all the keys

    # ---- behaviour and places -------------------------------------------------

    def auto_start(self) -> bool:
        """Whether added files start analysing at once (default) or wait for Analyze."""
        return self.get_bool(self.Key.AUTO_START, True)

    def set_auto_start(self, value: bool) -> None:
        """Remember whether added files start analysing at once."""
        self.set_value(self.Key.AUTO_START, bool(value))

    def measured_rates(self) -> dict:
        """Speeds measured by earlier runs (for time-left estimates), as stored; {} when none."""
        try:
            data = json.loads(self.get_str(self.Key.MEASURED_RATES, "{}"))
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def set_measured_rates(self, rates: dict) -> None:
        """Remember the speeds this run measured."""
        self.set_value(self.Key.MEASURED_RATES, json.dumps(rates))

    def confirm_stop(self) -> bool:
        """Whether Cancel and Quit ask first while a run of more than a few seconds is going (default: yes)."""
        return self.get_bool(self.Key.CONFIRM_STOP, True)

    def set_confirm_stop(self, value: bool) -> None:
        """Remember whether Cancel and Quit ask first ("Don't ask again" turns it off)."""
        self.set_value(self.Key.CONFIRM_STOP, bool(value))

    # ---- models: where they come from, the first-run bar ------------------------------------------------

    def hub_endpoint(self) -> str:
        """The hub endpoint (mirror) downloads use, as typed in the Models window ("" means ``HF_ENDPOINT``,
        else huggingface.co). The access token is never stored here: it lives in the OS keyring."""
        return self.get_str(self.Key.HUB_ENDPOINT).strip()

    def set_hub_endpoint(self, endpoint: str) -> None:
        """Remember the hub endpoint ("" forgets it)."""
        self.set_value(self.Key.HUB_ENDPOINT, endpoint.strip() or None)

    def demo_bar_dismissed(self) -> bool:
        """Whether the user closed the bar that says the demo language model's answers are often invented."""
        return self.get_bool(self.Key.DEMO_BAR_DISMISSED, False)

    def set_demo_bar_dismissed(self, value: bool) -> None:
        """Remember that the demo model's bar was closed (it stays hidden)."""
        self.set_value(self.Key.DEMO_BAR_DISMISSED, bool(value))
