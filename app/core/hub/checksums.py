"""Checksums of model files: sha256, checked once per (path, size, mtime) and remembered.

The record of verified files lives in ``paths.cache_dir()/verified-models.json``;
it only saves re-reading a large file, never changes a result.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from app.core import paths, user_files
from app.core.errors import Cancelled, FolderError, ModelError


def sha256_of(path: Path, chunk_bytes: int = 1 << 20, cancel: threading.Event | None = None) -> str:
    """Hex sha256 of the file at ``path``, read in ``chunk_bytes`` chunks.

    Only a regular file is read (``app.core.user_files.open_regular_file``: a named pipe or a device
    is refused without blocking). Raises FileProblem when ``path`` is not a readable regular file,
    OSError when reading fails, and Cancelled when ``cancel`` is set (checked per chunk).
    """
    digest = hashlib.sha256()
    with user_files.open_regular_file(path) as handle:
        while chunk := handle.read(chunk_bytes):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            digest.update(chunk)
    return digest.hexdigest()


def verify_checksum(path: Path, expected: str) -> bool:
    """Check ``path`` against ``expected`` sha256 once; the result is remembered by (path, size, mtime).

    Returns True when checked (now or before) and matching, False when there is
    nothing to check against. Raises ModelError on a mismatch or an unreadable file.
    """
    if not expected:
        return False
    path = Path(path)
    try:
        stat = user_files.check_regular_file(path, allow_empty=True)
    except user_files.FileProblem as exc:
        raise ModelError(exc.about(f"the model file {user_files.display_path(path)}")) from None
    try:
        record_file = paths.cache_dir() / "verified-models.json"
    except FolderError:  # the record only saves a re-read: check without it
        record_file = None
    try:
        records = json.loads(record_file.read_text("utf-8")) if record_file else {}
    except (OSError, ValueError):
        records = {}
    key = str(path.resolve())
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": expected}
    if records.get(key) == stamp:
        return True
    try:
        actual = sha256_of(path)
    except user_files.FileProblem as exc:
        raise ModelError(exc.about(f"the model file {user_files.display_path(path)}")) from None
    except OSError as exc:
        raise ModelError(f"cannot read the model file {user_files.display_path(path)}: {exc.strerror or exc}") from None
    if actual != expected:
        raise ModelError(
            f"the model file {user_files.display_path(path)} is damaged "
            f"(sha256 {actual[:12]}… instead of {expected[:12]}…); reinstall it"
        )
    records[key] = stamp
    try:
        if record_file is not None:
            record_file.write_text(json.dumps(records, indent=1), "utf-8")
    except OSError:
        pass  # remembering is an optimisation only
    return True


def checksum_target(path: Path | str) -> Path:
    """The file a model's sha256 covers: ``model.bin`` of a Whisper folder, else the file itself."""
    path = Path(path)
    return path / "model.bin" if path.is_dir() else path
