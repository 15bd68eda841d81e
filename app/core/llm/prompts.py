"""The user's prompts: defaults with their short names, prompt files, titles for tabs."""

from __future__ import annotations

import codecs
import json
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from app.core import user_files
from app.core.errors import HearsayError

PROMPTS_FILE_LIMIT_BYTES = 1 << 20
"""The largest prompts file read (1 MiB): some 250,000 tokens, more than any model's context window."""
TRANSCRIPT_TAG = "{{ transcript }}"
"""AssemblyAI's LLM Gateway tag: a prompt containing it gets the transcript substituted there."""


@dataclass(frozen=True)
class NamedPrompt:
    """A prompt of the user's list: its ``text`` and a short ``name`` the user gave it ("" for none),
    which titles its tab and heads its answer in exports."""

    text: str
    name: str = ""

    @property
    def title(self) -> str:
        """The name, or the prompt's first words when it has none."""
        return self.name.strip() or short_title(self.text)


def default_named_prompts() -> list[NamedPrompt]:
    """The three prompts a new user starts with, named "Summary", "Paragraph" and "Action items"
    (``resources/default_prompts.json``)."""
    text = resources.files("app.resources").joinpath("default_prompts.json").read_text("utf-8")
    return [NamedPrompt(entry["prompt"], entry["name"]) for entry in json.loads(text)]


def default_prompts() -> list[str]:
    """The texts of the default prompts."""
    return [prompt.text for prompt in default_named_prompts()]


def default_name(text: str) -> str:
    """The name of the default prompt with this ``text`` ("" when it is not one of them)."""
    return next((p.name for p in default_named_prompts() if p.text == text), "")


def read_prompts_file(path: Path) -> list[str]:
    """Read prompts from ``path``: a JSON array of strings, or one prompt per non-blank line.

    The file is UTF-8; a byte-order mark selects UTF-8 or UTF-16 instead (as
    Windows editors save "Unicode" text). Only a regular file of at most
    ``PROMPTS_FILE_LIMIT_BYTES`` is read (a named pipe or ``/dev/zero`` is
    refused before anything is read). Raises HearsayError when the file
    cannot be read (missing, not a regular file, larger than the limit), is
    in another encoding (Latin-1, ...), or holds no prompt.
    """
    try:
        text = decode_text(user_files.read_limited(path, PROMPTS_FILE_LIMIT_BYTES, "prompts file"))
    except user_files.FileProblem as exc:
        raise HearsayError(exc.about("prompts file")) from None
    except UnicodeDecodeError as exc:
        raise HearsayError(
            f"prompts file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise HearsayError(f"prompts file is not valid JSON: {exc.msg} (line {exc.lineno})") from None
        if not isinstance(data, list) or not all(isinstance(p, str) for p in data):
            raise HearsayError("prompts file must be a JSON array of strings")
        prompts = [p.strip() for p in data if p.strip()]
    else:
        prompts = [line.strip() for line in text.splitlines() if line.strip()]
    if not prompts:
        raise HearsayError("prompts file holds no prompt")
    return prompts


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(data: bytes) -> str:
    """``data`` as text: UTF-8, or what its byte-order mark says (UTF-8 or UTF-16); the mark is dropped.

    Raises UnicodeDecodeError for bytes in another encoding.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec)
    return data.decode("utf-8")


TITLE_LIMIT = 28
"""Characters in a short prompt title (a tab's width)."""


def short_title(prompt: str, limit: int = TITLE_LIMIT) -> str:
    """A tab title for ``prompt``: its first words, at most ``limit`` characters, with an ellipsis when cut."""
    text = " ".join(prompt.replace(TRANSCRIPT_TAG, "").split())
    if len(text) <= limit:
        return text or "Prompt"
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",.;:")
    return cut + "…"


def tab_titles(prompts: list[str], names: list[str] | None = None) -> list[str]:
    """Tab titles for ``prompts``: each one's name (``names[i]``, when not empty), else
    ``short_title(prompt)`` made longer where two would read the same.

    Titles that stay equal even at 60 characters get " (2)", " (3)", ...
    """
    names = list(names or []) + [""] * (len(prompts) - len(names or []))
    titles = [n.strip() or short_title(p) for p, n in zip(prompts, names)]
    limit = TITLE_LIMIT
    while len(set(titles)) < len(titles) and limit < 60:
        limit += 8
        counts = Counter(titles)
        titles = [short_title(p, limit) if counts[t] > 1 and not n.strip() else t
                  for p, n, t in zip(prompts, names, titles)]
    seen: Counter = Counter()
    numbered = []
    for title in titles:
        seen[title] += 1
        numbered.append(title if seen[title] == 1 else f"{title} ({seen[title]})")
    return numbered
