"""What a GGUF file says about itself: its header and the metadata Hearsay needs (architecture, context length,
chat template), read with the ``gguf`` package (llama.cpp's reference reader).

Format: GGUF, https://github.com/ggml-org/ggml/blob/master/docs/gguf.md ("GGUF" magic, a uint32 version, tensor
and key/value counts, then typed key/value pairs such as ``general.architecture``,
``<arch>.context_length`` and ``tokenizer.chat_template``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.core.errors import ModelError
from app.core.user_files import display_path

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class GgufInfo:
    """``version``: the GGUF format version; ``architecture`` (e.g. "llama"); ``context_length`` in tokens
    (0 when the file does not say); ``chat_template``: the Jinja template from ``tokenizer.chat_template``, or
    None when the model has none (then chat prompts are formatted by llama.cpp's fallback, often badly)."""

    version: int
    architecture: str
    context_length: int
    chat_template: str | None


def read_gguf_info(path: Path) -> GgufInfo:
    """Read ``path``'s GGUF header and metadata (memory-mapped; the tensors are not read).

    Raises ModelError naming the file when it is not a GGUF file (magic bytes), its version is not 2 or 3,
    or its header is truncated or malformed.
    """
    shown = display_path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise ModelError(f"cannot read the model file {shown}: {exc.strerror or exc}") from None
    if head[:4] != GGUF_MAGIC:
        raise ModelError(f"{shown} is not a GGUF model file (it does not start with the GGUF magic bytes)")
    version = int.from_bytes(head[4:8], "little")
    if version not in (2, 3):
        raise ModelError(f"{shown} is GGUF version {version}; Hearsay reads versions 2 and 3")
    import gguf

    try:
        reader = gguf.GGUFReader(str(path), "r")
    except Exception as exc:  # the reader raises ValueError, IndexError, struct/numpy errors on a bad header
        raise ModelError(f"{shown} has a damaged GGUF header ({type(exc).__name__}: {exc})") from None

    def field(key: str):
        item = reader.fields.get(key)
        return item.contents() if item is not None else None

    architecture = str(field("general.architecture") or "")
    context = field(f"{architecture}.context_length") if architecture else None
    template = field("tokenizer.chat_template")
    return GgufInfo(
        version=version,
        architecture=architecture,
        context_length=int(context or 0),
        chat_template=str(template) if template else None,
    )
