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

A cache may make Hearsay faster, never different. Every state file carries
the xxHash XXH3-64 digest of its bytes in its name (``<key>.<digest>.session``,
https://xxhash.com), taken when it is written; a restore checks the digest
before the state is used (a hashing thread reads the file while llama.cpp
loads it, so the check costs almost no wall time; ``make bench`` and
docs/robustness.md give the figures). A state that fails the check, does not
match its tokens, or cannot be read is discarded with one log line and the
prefix is evaluated again: the answer is the one a cold prefill gives. A file
without a digest (written by an older Hearsay) is never restored.

The folder is bounded in bytes: least recently used files go first (use bumps
a file's mtime). Temp files (``<key>.<pid>.tmp``) left by a process killed
mid-write are removed by a later ``evict``. Thread-safety: one cache per
``Llama`` owner thread; files are written to a temp name and renamed, so two
processes never read a torn file. Nothing here raises for a file system
problem (full disk, read-only or immutable files): the cache is an optimisation.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import re
import threading
import time
from array import array
from collections.abc import Sequence
from pathlib import Path

import xxhash

from app.core.processes import pid_alive

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 2 * 1024**3
"""Default bound of the state folder: 2 GiB (about 90,000 tokens of SmolLM2-135M states)."""
SUFFIX = ".session"
TEMP_SUFFIX = ".tmp"
STALE_TEMP_SECONDS = 3600.0
"""A temp file older than this is left over whatever its pid (a pid may be reused); writing one takes seconds."""
READ_CHUNK_BYTES = 1 << 22
_DIGEST = re.compile(r"^[0-9a-f]{16}$")


def state_digest(path: Path) -> str:
    """XXH3-64 hex digest (16 characters) of the file at ``path``, read in 4 MiB chunks. Raises OSError."""
    digest = xxhash.xxh3_64()
    buffer = bytearray(READ_CHUNK_BYTES)
    view = memoryview(buffer)
    with open(path, "rb") as handle:
        while count := handle.readinto(buffer):
            digest.update(view[:count])
    return digest.hexdigest()


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

    def path(self, key: str, digest: str) -> Path:
        """The session file for ``key`` whose bytes have XXH3-64 ``digest`` (it may not exist)."""
        return self.folder / f"{key}.{digest}{SUFFIX}"

    def stored(self, key: str) -> list[Path]:
        """The session files stored for ``key``, newest first (normally one)."""
        try:
            found = list(self.folder.glob(f"{key}.*{SUFFIX}")) + [self.folder / f"{key}{SUFFIX}"]
        except OSError:
            return []
        found = [p for p in found if os.path.lexists(p)]
        return sorted(found, key=_mtime, reverse=True)

    def restore(self, llm, key: str, tokens: Sequence[int]) -> bool:
        """Load the state for ``key`` into ``llm`` (a ``llama_cpp.Llama``); True when it now holds ``tokens``.

        The state's bytes are checked against the digest in its name before
        ``llm`` is used. On a miss, a failed check, a failed load, a token
        mismatch or an unreadable file the context is reset, the bad file
        discarded (when it can be) and False returned; the caller then
        evaluates the tokens itself. Never raises for a file problem.
        """
        if len(tokens) > llm.n_ctx():
            return False
        for path in self.stored(key):
            expected = path.name[len(key) + 1:-len(SUFFIX)]
            if not _DIGEST.match(expected):
                self._discard(path, "has no checksum (written by an older Hearsay)")
                continue
            if not path.is_file():  # a FIFO or a folder under that name: never opened
                self._discard(path, "is not a regular file")
                continue
            problem = self._load_checked(llm, path, expected, tokens)
            if problem is None:
                try:
                    os.utime(path)
                except OSError:
                    pass  # an immutable file: still usable, just not marked as recently used
                return True
            llm.reset()
            self._discard(path, problem)
        return False

    def _load_checked(self, llm, path: Path, expected: str, tokens: Sequence[int]) -> str | None:
        """Load ``path`` into ``llm`` while a thread checks its digest; None when both succeeded, else why not."""
        import llama_cpp

        checked: dict[str, str] = {}

        def check() -> None:
            try:
                checked["digest"] = state_digest(path)
            except OSError as exc:
                checked["error"] = exc.strerror or str(exc)

        checker = threading.Thread(target=check, name="hearsay-kv-digest", daemon=True)
        checker.start()
        capacity = llm.n_ctx()
        loaded = (llama_cpp.llama_token * capacity)()
        count = ctypes.c_size_t(0)
        ok = llama_cpp.llama_state_load_file(llm._ctx.ctx, os.fsencode(path), loaded, capacity, ctypes.byref(count))
        checker.join()
        if "error" in checked:
            return f"cannot be read ({checked['error']})"
        if checked["digest"] != expected:
            return f"fails its checksum (xxh3 {checked['digest']} instead of {expected}): it was damaged"
        if not ok or list(loaded[: count.value]) != list(tokens):
            return "does not hold the expected tokens"
        llm.input_ids[: count.value] = tokens
        llm.n_tokens = count.value
        llm._requires_eval = True  # llama-cpp-python's own flag: sample only after evaluating new tokens
        return None

    def _discard(self, path: Path, why: str) -> None:
        """Log why the state at ``path`` is not used (one line) and remove it when the file system lets us."""
        try:
            path.unlink()
            log.warning("KV state %s %s; discarded, the prefix is evaluated again", path.name, why)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("KV state %s %s; not used, and it cannot be removed (%s)", path.name, why,
                        exc.strerror or exc)

    def store(self, llm, key: str, tokens: Sequence[int]) -> int:
        """Write ``llm``'s state (which must hold exactly ``tokens``) for ``key``; return its size in bytes.

        The file is written under a temp name, its digest taken, then renamed
        to ``<key>.<digest>.session``; older files of ``key`` are removed.
        Returns 0 when the write failed (a full disk, a read-only folder, say):
        the cache is an optimisation, so a failure is logged, never raised.
        """
        import llama_cpp

        temp = self.folder / f"{key}.{os.getpid()}{TEMP_SUFFIX}"
        ids = (llama_cpp.llama_token * len(tokens))(*tokens)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not llama_cpp.llama_state_save_file(llm._ctx.ctx, os.fsencode(temp), ids, len(tokens)):
                raise OSError("llama_state_save_file failed")
            final = self.path(key, state_digest(temp))
            os.replace(temp, final)
            size = final.stat().st_size
        except OSError as exc:
            log.warning("cannot keep the KV state on disk: %s", exc.strerror or exc)
            _remove(temp)
            return 0
        for older in self.stored(key):
            if older != final:
                _remove(older)
        self.evict()
        return size

    def total_bytes(self) -> int:
        """Bytes held by session files now."""
        return sum(size for _, size, _ in self._entries())

    def evict(self) -> list[Path]:
        """Delete least recently used session files until the folder holds at most ``max_bytes``,
        and temp files left by processes that died while writing. Returns the session files removed."""
        self._remove_stale_temps()
        entries = sorted(self._entries(), key=lambda e: e[2])
        total = sum(size for _, size, _ in entries)
        removed = []
        for path, size, _ in entries:
            if total <= self.max_bytes:
                break
            if _remove(path):
                total -= size
                removed.append(path)
        return removed

    def _remove_stale_temps(self) -> None:
        try:
            temps = list(self.folder.glob(f"*{TEMP_SUFFIX}"))
        except OSError:
            return
        for temp in temps:
            pid = temp.name[: -len(TEMP_SUFFIX)].rpartition(".")[2]
            age = time.time() - _mtime(temp)
            if age > STALE_TEMP_SECONDS or not (pid.isdigit() and pid_alive(int(pid))):
                if _remove(temp):
                    log.info("removed %s, left by an interrupted write", temp.name)

    def _entries(self) -> list[tuple[Path, int, float]]:
        try:
            paths = list(self.folder.glob(f"*{SUFFIX}"))
        except OSError:
            return []
        entries = []
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((path, stat.st_size, stat.st_mtime))
        return entries


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return 0.0


def _remove(path: Path) -> bool:
    """Delete ``path``; True when it is gone now. A read-only folder or an immutable file is left as it is."""
    try:
        path.unlink()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True
