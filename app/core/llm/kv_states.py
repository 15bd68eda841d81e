"""KV-cache states of transcript prefixes kept on disk, so a follow-up prompt skips the prefill.

After the prefix of a file's prompts (system text + transcript) is evaluated,
its llama.cpp state is written with ``llama_state_save_file`` (llama.cpp's own
session-file format: the evaluated tokens followed by the KV cache of the used
cells). A later prompt over the same transcript, after other files ran or after
a restart, restores it with ``llama_state_load_file`` and evaluates only its own
tokens.

Why session files and not ``Llama.save_state``: ``save_state`` copies the state
through Python memory and also copies the ``scores`` array (n_batch x n_vocab
float32, about 100 MB for a 49k vocabulary), whatever the prefix length. A
session file streams the KV cache straight to disk; its size is about
``2 x n_layer x n_kv_head x head_dim x 2 bytes`` per token (23 KB per token
for SmolLM2-135M; ``make bench`` prints the measured size).

The folder is bounded in bytes: least recently used files go first (use bumps
a file's mtime). Thread-safety: one cache per ``Llama`` owner thread; files are
written to a temp name and renamed, so two processes never read a torn file.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
from array import array
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 2 * 1024**3
"""Default bound of the state folder: 2 GiB (about 90,000 tokens of SmolLM2-135M states)."""
SUFFIX = ".session"


class PrefixStateCache:
    """Session files in ``folder``, one per (model, prefix tokens), at most ``max_bytes`` in all."""

    def __init__(self, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes

    @staticmethod
    def key(model_identity: str, tokens: Sequence[int]) -> str:
        """sha256 hex of the model identity and the prefix token ids (int32 bytes)."""
        digest = hashlib.sha256(model_identity.encode("utf-8"))
        digest.update(array("i", tokens).tobytes())
        return digest.hexdigest()

    def path(self, key: str) -> Path:
        """The session file for ``key`` (it may not exist)."""
        return self.folder / f"{key}{SUFFIX}"

    def restore(self, llm, key: str, tokens: Sequence[int]) -> bool:
        """Load the state for ``key`` into ``llm`` (a ``llama_cpp.Llama``); True when it now holds ``tokens``.

        On a miss, a failed load or a mismatch the context is reset and False
        returned; the caller then evaluates the tokens itself.
        """
        import llama_cpp

        path = self.path(key)
        if not path.is_file() or len(tokens) > llm.n_ctx():
            return False
        capacity = llm.n_ctx()
        loaded = (llama_cpp.llama_token * capacity)()
        count = ctypes.c_size_t(0)
        ok = llama_cpp.llama_state_load_file(llm._ctx.ctx, os.fsencode(path), loaded, capacity, ctypes.byref(count))
        if not ok or list(loaded[: count.value]) != list(tokens):
            log.info("discarding unusable KV state %s", path.name)
            llm.reset()
            path.unlink(missing_ok=True)
            return False
        llm.input_ids[: count.value] = tokens
        llm.n_tokens = count.value
        llm._requires_eval = True  # llama-cpp-python's own flag: sample only after evaluating new tokens
        os.utime(path)
        return True

    def store(self, llm, key: str, tokens: Sequence[int]) -> int:
        """Write ``llm``'s state (which must hold exactly ``tokens``) for ``key``; return its size in bytes.

        Returns 0 when the write failed (a full disk, say): the cache is an
        optimisation, so a failure is logged, never raised.
        """
        import llama_cpp

        final = self.path(key)
        temp = final.with_suffix(f".{os.getpid()}.tmp")
        ids = (llama_cpp.llama_token * len(tokens))(*tokens)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not llama_cpp.llama_state_save_file(llm._ctx.ctx, os.fsencode(temp), ids, len(tokens)):
                raise OSError("llama_state_save_file failed")
            os.replace(temp, final)
            size = final.stat().st_size
        except OSError as exc:
            log.warning("cannot keep the KV state on disk: %s", exc)
            temp.unlink(missing_ok=True)
            return 0
        self.evict()
        return size

    def total_bytes(self) -> int:
        """Bytes held by session files now."""
        return sum(size for _, size, _ in self._entries())

    def evict(self) -> list[Path]:
        """Delete least recently used session files until the folder holds at most ``max_bytes``."""
        entries = sorted(self._entries(), key=lambda e: e[2])
        total = sum(size for _, size, _ in entries)
        removed = []
        for path, size, _ in entries:
            if total <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed.append(path)
        return removed

    def _entries(self) -> list[tuple[Path, int, float]]:
        if not self.folder.is_dir():
            return []
        entries = []
        for path in self.folder.glob(f"*{SUFFIX}"):
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((path, stat.st_size, stat.st_mtime))
        return entries
