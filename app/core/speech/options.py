"""What the user may set about the speech itself: expected languages, translation, custom vocabulary.

Hearsay follows Gladia's pre-recorded options (https://docs.gladia.io/): ``language_config.languages``
(one or several expected languages; with several, Whisper's language detection chooses among those only),
``language_config.code_switching`` (a language per utterance when a recording switches language),
``translation`` (here only into English: Whisper's ``task="translate"``) and ``custom_vocabulary`` (a list of
names and terms; Hearsay passes them to faster-whisper as ``hotwords``, which go into the prompt of every
30-s window; measured in docs/languages.md).

Languages travel as text: one ISO 639-1 code ("fr") or several separated by commas ("fr,en"), as the
command line and the settings write them; the vocabulary as its terms joined by ", ". Both parse here.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.core import user_files
from app.core.errors import HearsayError

VOCABULARY_FILE_LIMIT_BYTES = 64 << 10
"""The largest vocabulary file read (64 KiB); Whisper reads at most ``MAX_VOCABULARY_TOKENS`` of it anyway."""
MAX_VOCABULARY_TOKENS = 223
"""The most vocabulary tokens Whisper's prompt holds: faster-whisper keeps ``max_length // 2 - 1`` = 223 of
the ``hotwords`` tokens (448-token decoder) and drops the rest silently; Hearsay refuses a longer list."""
_SEPARATORS = re.compile(r"[,;\n\r\t]+")
WHISPER_LANGUAGE_CODES = (
    'af', 'am', 'ar', 'as', 'az', 'ba', 'be', 'bg', 'bn', 'bo', 'br', 'bs', 'ca', 'cs', 'cy', 'da', 'de', 'el',
    'en', 'es', 'et', 'eu', 'fa', 'fi', 'fo', 'fr', 'gl', 'gu', 'ha', 'haw', 'he', 'hi', 'hr', 'ht', 'hu', 'hy',
    'id', 'is', 'it', 'ja', 'jw', 'ka', 'kk', 'km', 'kn', 'ko', 'la', 'lb', 'ln', 'lo', 'lt', 'lv', 'mg', 'mi',
    'mk', 'ml', 'mn', 'mr', 'ms', 'mt', 'my', 'ne', 'nl', 'nn', 'no', 'oc', 'pa', 'pl', 'ps', 'pt', 'ro', 'ru',
    'sa', 'sd', 'si', 'sk', 'sl', 'sn', 'so', 'sq', 'sr', 'su', 'sv', 'sw', 'ta', 'te', 'tg', 'th', 'tk', 'tl',
    'tr', 'tt', 'uk', 'ur', 'uz', 'vi', 'yi', 'yo', 'zh', 'yue',
)  # fmt: skip
"""The codes Whisper's language tokens stand for (faster-whisper's ``tokenizer._LANGUAGE_CODES``, copied so
that checking a code in the Settings dialog does not import the engine on the GUI thread; a test keeps them
equal)."""


def parse_languages(text: str | None) -> tuple[str, ...]:
    """The expected languages in ``text`` ("fr", "fr,en", "FR, en"): lower-case codes in the order given,
    each once; () for None or blank (detect among all). Raises HearsayError naming a code that is not one
    of Whisper's language codes (``WHISPER_LANGUAGE_CODES``)."""
    if not text or not text.strip():
        return ()
    codes: list[str] = []
    for code in (c.strip().lower() for c in re.split(r"[,\s]+", text.strip())):
        if not code:
            continue
        if code not in WHISPER_LANGUAGE_CODES:
            raise HearsayError(f"“{code}” is not a language code Whisper knows; use ISO 639-1 codes such as "
                               "en, fr or de, several separated by commas")
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def languages_text(codes: tuple[str, ...] | list[str]) -> str | None:
    """``codes`` as the settings and ``EngineSettings.language`` store them ("fr,en"); None for none."""
    return ",".join(codes) or None


def parse_vocabulary(text: str | None) -> tuple[str, ...]:
    """The terms of a vocabulary list: separated by commas, semicolons, tabs or new lines, trimmed,
    each once (the first spelling kept, compared without case), in the order given."""
    terms: list[str] = []
    seen: set[str] = set()
    for term in _SEPARATORS.split(text or ""):
        term = " ".join(term.split())
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            terms.append(term)
    return tuple(terms)


def vocabulary_text(terms: tuple[str, ...] | list[str]) -> str:
    """``terms`` as one line ("Okonkwo, Kubernetes"): what the settings store and Whisper gets as hotwords."""
    return ", ".join(terms)


def read_vocabulary_file(path: Path) -> tuple[str, ...]:
    """The terms of a vocabulary file (UTF-8, a byte-order mark allowed; terms separated as in
    ``parse_vocabulary``, one per line for instance). Only a regular file of at most
    ``VOCABULARY_FILE_LIMIT_BYTES`` is read (a named pipe or a device is refused before anything is read).
    Raises HearsayError when it cannot be read, is not UTF-8, or holds no term."""
    try:
        data = user_files.read_limited(path, VOCABULARY_FILE_LIMIT_BYTES, "the vocabulary file")
    except user_files.FileProblem as exc:
        raise HearsayError(exc.about("the vocabulary file")) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HearsayError(f"the vocabulary file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
                           f"{exc.start}); save it as UTF-8") from None
    terms = parse_vocabulary(text)
    if not terms:
        raise HearsayError("the vocabulary file holds no term")
    return terms


def model_problem(model_name: str, english_only: bool, languages: tuple[str, ...], translate: bool,
                  code_switching: bool) -> str | None:
    """One sentence saying why the Whisper model ``model_name`` cannot do what is asked, or None.

    An English-only model (``app.core.hub.catalog.whisper_english_only``) cannot translate (its
    translation would be its English transcript), hear another language than English, or switch languages.
    """
    if not english_only:
        return None
    fix = "choose a multilingual Whisper model such as base, small or large-v3-turbo"
    if translate:
        return f"the Whisper model {model_name} understands English only, so it cannot translate; {fix}"
    other = [code for code in languages if code != "en"]
    if other:
        return f"the Whisper model {model_name} understands English only, not {', '.join(other)}; {fix}"
    if code_switching:
        return (f"the Whisper model {model_name} understands English only, so it cannot follow a change of "
                f"language; {fix}")
    return None
