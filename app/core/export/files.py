"""Export files: the rendering a format asks for, names for several inputs, and atomic writing.

Every export is written to a temporary file in the target's folder (named after
the target, shortened to ``TEMP_NAME_BYTES``), fsynced, then renamed into place, so a crash never leaves half a file and an existing
file is never replaced unless asked.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from app.core.analysis import Analysis
from app.core.errors import ExportError
from app.core.export.json_result import render_json
from app.core.export.markdown import render_markdown
from app.core.export.subtitles import render_srt, render_vtt
from app.core.export.text import render_text
from app.core.user_files import display_path


def output_names(sources: list[Path], fmt: str) -> list[str]:
    """Export file names for ``sources``: ``<stem>.<fmt>``; sources sharing a stem keep their
    extension (``speech.wav.md``, ``speech.mp3.md``) so one never overwrites another."""
    stems = [Path(s).stem for s in sources]
    return [(Path(s).name if stems.count(Path(s).stem) > 1 else Path(s).stem) + f".{fmt}" for s in sources]


FORMATS = ("md", "json", "srt", "vtt", "txt", "docx", "pdf")
"""Export formats, named by their file suffix: Markdown, Gladia-shaped JSON, SubRip and WebVTT subtitles,
plain text, Word (Office Open XML) and PDF documents."""
BINARY_FORMATS = ("docx", "pdf")
"""The formats whose rendering is bytes (the others are text, written as UTF-8)."""


def format_for(path: Path | None, default: str = "md") -> str:
    """The export format a file name asks for by its suffix (``.json`` → "json", ``.srt``, ``.vtt``, ``.md``,
    ``.txt``, ``.docx``, ``.pdf``), else ``default``."""
    suffix = Path(path).suffix.lower().lstrip(".") if path is not None else ""
    return suffix if suffix in FORMATS else default


def render(analysis: Analysis, fmt: str, *, timestamps: bool = True, speakers: bool = True) -> str | bytes:
    """Render as ``fmt`` (one of ``FORMATS``): text, or bytes for the ``BINARY_FORMATS``. ``timestamps`` and
    ``speakers`` choose what the plain-text transcript shows (``render_text``; the other formats ignore them).
    Raises ValueError for another format, ExportError when a PDF cannot be made (``render_pdf``)."""
    if fmt == "md":
        return render_markdown(analysis)
    if fmt == "json":
        return render_json(analysis)
    if fmt == "srt":
        return render_srt(analysis)
    if fmt == "vtt":
        return render_vtt(analysis)
    if fmt == "txt":
        return render_text(analysis, timestamps=timestamps, speakers=speakers)
    if fmt == "docx":  # python-docx and fpdf2 load only when asked for (fpdf2 alone takes 0.3 s to import)
        from app.core.export.docx_file import render_docx

        return render_docx(analysis)
    if fmt == "pdf":
        from app.core.export.pdf_file import render_pdf

        return render_pdf(analysis)
    raise ValueError(f"unknown export format {fmt!r}")


def _new_file_mode(path: Path) -> int:
    # A temp file is created 0600; the export should get what a plain open() would give:
    # the old file's mode when replacing one, else 0666 less the umask.
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


class ExportExistsError(ExportError):
    """The export's target already exists and replacing it was not asked for. ``path``: the target."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{display_path(path)} already exists")
        self.path = Path(path)


def existing_targets(paths: Iterable[Path | None]) -> list[Path]:
    """The ``paths`` that already exist (``None`` entries, meaning stdout, are ignored), in order."""
    return [Path(p) for p in paths if p is not None and os.path.lexists(p)]


def write_export(path: Path, text: str | bytes, overwrite: bool = False) -> None:
    """Write ``text`` (a str, written as UTF-8, or bytes, written as they are) to ``path`` atomically: a temp
    file in the same folder, fsync, then rename.

    A reader never sees a half-written file, and a failed write leaves any
    earlier file untouched. An existing ``path`` is replaced only with
    ``overwrite``; otherwise ExportExistsError is raised and nothing changes
    (the no-replace move is a hard link, which fails atomically when the name
    is taken; where the file system has no hard links, an existence check
    just before the rename). Raises ExportError naming the cause for any
    other failure (missing folder, permissions, full disk).
    """
    path = Path(path)
    if not overwrite and os.path.lexists(path):
        raise ExportExistsError(path)  # early, before a possibly large temp file is written
    tmp_name = None
    try:
        binary = isinstance(text, (bytes, bytearray))
        with tempfile.NamedTemporaryFile(
            "wb" if binary else "w", encoding=None if binary else "utf-8", dir=path.parent,
            prefix=f".{_short(path.name)}.", suffix=".tmp", delete=False
        ) as handle:
            tmp_name = handle.name
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, _new_file_mode(path))
        if overwrite:
            os.replace(tmp_name, path)
            tmp_name = None
        else:
            _move_without_replacing(tmp_name, path)
    except ExportExistsError:
        raise
    except OSError as exc:
        raise ExportError(f"cannot write {display_path(path)}: {exc.strerror or exc}") from None
    finally:
        if tmp_name:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


TEMP_NAME_BYTES = 64
"""At most this many bytes of the target's name go into its temp file's name (``.<name>.XXXXXXXX.tmp``),
so a target whose name is as long as the file system allows (255 bytes) still gets a temp file."""


def _short(name: str) -> str:
    """The longest start of ``name`` that takes at most ``TEMP_NAME_BYTES`` bytes on disk, cut between characters."""
    if len(os.fsencode(name)) <= TEMP_NAME_BYTES:
        return name
    kept, size = [], 0
    for char in name:
        size += len(os.fsencode(char))
        if size > TEMP_NAME_BYTES:
            break
        kept.append(char)
    return "".join(kept)


def _move_without_replacing(tmp_name: str, path: Path) -> None:
    """Give the finished temp file the name ``path`` unless it is taken; the caller removes ``tmp_name``."""
    try:
        os.link(tmp_name, path)
    except FileExistsError:
        raise ExportExistsError(path) from None
    except OSError:  # no hard links here (some network and FAT file systems)
        if os.path.lexists(path):
            raise ExportExistsError(path) from None
        os.replace(tmp_name, path)  # the temp name is gone afterwards; the caller's unlink finds nothing
