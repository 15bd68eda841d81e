"""Files a user names: recordings, transcripts, prompt files, models. What may be read, and how a path is shown.

Only regular files (after following symbolic links) are read: a named pipe,
a device (``/dev/zero``), a socket or a folder gets one sentence naming what
it is, and nothing ever blocks on opening one (files are opened with
``O_NONBLOCK`` and checked with ``fstat`` on the open descriptor, so a file
swapped for a pipe between the check and the read is caught too). Reads of
text the user supplies are bounded (``read_limited``).

Paths are bytes on POSIX; Python holds a name that is not valid UTF-8 with
lone surrogates (``os.fsdecode``'s surrogateescape). ``display_path`` shows any
path on one line with a visible escape (``bad\\xffname.wav``, ``a\\nb.wav``), and
``path_bytes``/``path_from_bytes`` store one without loss.
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from pathlib import Path
from typing import BinaryIO, NamedTuple

from app.core.errors import HearsayError


class FileProblem(HearsayError):
    """A file the user named cannot be read. ``message``: a clause about the file, as it follows
    ``<path>: `` ("no such file", "is not a regular file (a named pipe)"); ``kind``: one of
    "missing", "folder", "special", "link", "unreadable", "empty", "too large"."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind

    def about(self, subject: str) -> str:
        """The sentence with the file named by ``subject`` ("prompts file", "the model file /m.gguf"):
        "cannot read <subject>: no such file", "<subject> is not a regular file (a named pipe)", ..."""
        if self.kind in ("missing", "unreadable"):
            return f"cannot read {subject}: {self.message.removeprefix(_CANNOT_READ)}"
        if self.kind == "too large":
            return self.message
        return f"{subject} {self.message}"


_CANNOT_READ = "cannot read the file: "


_SPECIAL = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _kind_problem(mode: int) -> FileProblem | None:
    """The problem with a file of ``mode`` (from ``stat``), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return FileProblem("is a folder, not a file", "folder")
    what = next((name for test, name in _SPECIAL if test(mode)), None)
    return FileProblem(f"is not a regular file ({what})" if what else "is not a regular file", "special")


def _open_problem(path: Path, exc: OSError) -> FileProblem:
    """The sentence for ``exc``, raised while reaching ``path`` (``stat`` or ``open``)."""
    code = exc.errno
    if code == errno.ENOENT:
        try:
            target = os.readlink(path)
        except OSError:
            return FileProblem("no such file", "missing")
        return FileProblem(f"is a symbolic link to {display_path(target)}, which does not exist", "link")
    if code == errno.ELOOP:
        return FileProblem("is a symbolic link that loops (too many levels of symbolic links)", "link")
    if code == errno.ENOTDIR:
        return FileProblem("no such file (a part of its path is a file, not a folder)", "missing")
    if code == errno.ENAMETOOLONG:
        return FileProblem("the name is too long for the file system", "missing")
    if code == errno.EISDIR:
        return FileProblem("is a folder, not a file", "folder")
    if code in (errno.EACCES, errno.EPERM):
        return FileProblem(_CANNOT_READ + "permission denied", "unreadable")
    return FileProblem(_CANNOT_READ + f"{exc.strerror or exc}", "unreadable")


def open_regular_file(path: Path) -> BinaryIO:
    """``path`` opened for binary reading, when it is a regular file (symbolic links followed).

    Never blocks and never opens a device: what is not a regular file is
    refused from ``stat`` first; the file is then opened with ``O_NONBLOCK``
    and checked again with ``fstat`` of the open descriptor (a file swapped
    for a named pipe in between is refused too), before anything is read.
    The caller closes the file (use it in a ``with``). Raises FileProblem
    naming what is wrong: no such file, a folder, not a regular file (which
    kind), a dangling or looping symbolic link, a name too long, permission denied.
    """
    path = Path(path)
    if (problem := kind_problem(path)) is not None:
        raise problem
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:  # changed since the stat (a socket cannot be opened at all): say what it is now
        raise kind_problem(path) or _open_problem(path, exc) from None
    try:
        problem = _kind_problem(os.fstat(fd).st_mode)
        if problem is not None:
            raise problem
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def check_regular_file(path: Path, allow_empty: bool = False) -> os.stat_result:
    """Check that ``path`` is a regular file that can be opened for reading (and is not empty unless
    ``allow_empty``); return its ``stat`` (sizes in bytes, times in ns in ``st_mtime_ns``).

    Opens and closes the file (never blocking, see ``open_regular_file``); reads nothing.
    Raises FileProblem as ``open_regular_file`` does, and "the file is empty" (kind "empty").
    """
    with open_regular_file(path) as handle:
        info = os.fstat(handle.fileno())
    if info.st_size == 0 and not allow_empty:
        raise FileProblem("the file is empty", "empty")
    return info


def read_limited(path: Path, limit_bytes: int, what: str = "the file") -> bytes:
    """All bytes of the regular file ``path``, when it holds at most ``limit_bytes``.

    Reads at most ``limit_bytes`` + 1 bytes whatever the file claims, so a
    file growing while it is read cannot exhaust memory. Raises FileProblem
    as ``open_regular_file`` does, and when larger than the limit (kind "too
    large", "<what> is larger than <limit>, the most Hearsay reads").
    """
    with open_regular_file(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        data = b"" if size > limit_bytes else handle.read(limit_bytes + 1)
    if size > limit_bytes or len(data) > limit_bytes:
        raise FileProblem(f"{what} is larger than {format_bytes(limit_bytes)}, the most Hearsay reads", "too large")
    return data


def path_problem(path: Path) -> FileProblem | None:
    """What keeps ``path`` from being reached (missing, a dangling or looping link, no permission), or
    None when ``stat`` succeeds. Opens nothing: for a folder or a name that need not be a regular file."""
    try:
        os.stat(path)
    except OSError as exc:
        return _open_problem(Path(path), exc)
    return None


def kind_problem(path: Path) -> FileProblem | None:
    """None when ``path`` (links followed) is a regular file; else what it is ("is a folder, not a file",
    "is not a regular file (a named pipe)", ...) or what keeps it from being reached. Opens nothing."""
    try:
        return _kind_problem(os.stat(path).st_mode)
    except OSError as exc:
        return _open_problem(Path(path), exc)


def file_type(path: Path) -> str:
    """What ``path`` (links followed) is, for a sentence: "a file", "a folder", "a named pipe",
    "a character device", "a block device", "a socket", "something that cannot be reached"."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "something that cannot be reached"
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    return next((name for test, name in _SPECIAL if test(mode)), "not a regular file")


class FileState(NamedTuple):
    """What tells that a file changed: ``size`` in bytes, ``mtime_ns``, and the file's identity
    (``device``, ``inode``: another file renamed over it changes them)."""

    size: int
    mtime_ns: int
    device: int
    inode: int


def file_state(path: Path) -> FileState | None:
    """``path``'s ``FileState`` now (links followed), or None when it cannot be reached."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return FileState(info.st_size, info.st_mtime_ns, info.st_dev, info.st_ino)


def describe_change(before: FileState, after: FileState | None) -> str | None:
    """How the file went from ``before`` to ``after`` (``file_state`` twice), as a clause to follow
    "the file changed while it was being transcribed" ("it shrank from 38,400,044 to 10,000,044
    bytes"); None when nothing changed."""
    if after == before:
        return None
    if after is None:
        return "it was deleted or moved"
    if (after.device, after.inode) != (before.device, before.inode):
        return "another file was put in its place"
    if after.size < before.size:
        return f"it shrank from {before.size:,} to {after.size:,} bytes"
    if after.size > before.size:
        return f"it grew from {before.size:,} to {after.size:,} bytes"
    return "it was rewritten (its modification time changed)"


def format_bytes(count: int) -> str:
    """``count`` bytes for a sentence: "64 MiB", "1 MiB", "512 KiB", "100 bytes"."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            value = count / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{count} bytes"


# ---- showing and storing paths ---------------------------------------------------------------------------

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as os.fsdecode keeps it
        return f"\\x{code - 0xDC00:02x}"
    if char in _NAMED:
        return _NAMED[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _needs_escape(char: str) -> bool:
    return char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp")


def display_text(text: str) -> str:
    """``text`` (a path, a name) as one line of valid Unicode that names every byte: a byte that is not
    UTF-8 as ``\\xff``, a newline as ``\\n``, other control and direction-changing characters as
    ``\\xNN``/``\\uNNNN``; on POSIX a backslash as ``\\\\``, so no two paths look alike
    (as ``ls -b`` shows names). Everything else, accents and emoji included, is kept."""
    if text.isprintable() and "\\" not in text:
        return text  # the usual name: nothing to do
    backslash = "\\\\" if os.sep == "/" else "\\"
    return "".join(backslash if c == "\\" else _escape_char(c) if _needs_escape(c) else c for c in text)


def display_path(path: Path | str) -> str:
    """The path for a message or a view: ``display_text`` of ``str(path)``."""
    return display_text(os.fspath(path) if not isinstance(path, str) else path)


def display_name(path: Path | str) -> str:
    """The file name (last part) of ``path`` for a message or a view, escaped as ``display_text``."""
    return display_text(Path(path).name)


def path_bytes(path: Path | str) -> bytes:
    """``path`` as the bytes the file system holds (``os.fsencode``): a lossless form to store."""
    return os.fsencode(path)


def path_from_bytes(data: bytes) -> Path:
    """The ``Path`` that ``path_bytes`` stored (``os.fsdecode``; bytes that are not UTF-8 come back as they were)."""
    return Path(os.fsdecode(data))


def is_valid_text(text: str) -> bool:
    """False when ``text`` holds a lone surrogate (a byte that is not UTF-8, or a broken ``\\ud800`` escape
    from JSON): such text cannot be written as UTF-8, shown or stored."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
