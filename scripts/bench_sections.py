"""Each benchmark script's own section of docs/benchmarks.md, between ``<!-- bench:NAME:begin -->`` and
``<!-- bench:NAME:end -->`` markers, so that one script rewrites its figures and leaves the others'."""

from __future__ import annotations

from pathlib import Path


def write_section(path: Path, name: str, text: str, heading: str) -> None:
    """Replace the part of ``path`` between the ``bench:NAME`` markers with ``text``; when the markers are
    missing, append them at the end under ``## heading``."""
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    old = path.read_text("utf-8") if path.exists() else "# Benchmarks\n"
    if begin not in old:
        old = old.rstrip("\n") + f"\n\n## {heading}\n\n{begin}\n{end}\n"
    head, rest = old.split(begin, 1)
    tail = rest.split(end, 1)[1] if end in rest else ""
    path.write_text(f"{head}{begin}\n{text}{end}{tail}", "utf-8")
