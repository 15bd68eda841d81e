"""``hearsay models``: the catalog's models, where they are, and their checksums."""

from __future__ import annotations

import argparse

from app.cli.analyze import EXIT_FAILED, EXIT_OK
from app.core.errors import HearsayError
from app.core.hub import catalog, checksums


def run_models(argv: list[str]) -> int:
    """``hearsay models [--verify]``: list catalog models, where they are, and (with --verify) their checksums."""
    parser = argparse.ArgumentParser(prog="hearsay models", description="List Hearsay's models.")
    parser.add_argument("--verify", action="store_true", help="check the sha256 of installed models")
    args = parser.parse_args(argv)
    status = EXIT_OK
    for entry in catalog.catalog():
        path = entry.installed_path()
        mark = "default" if entry.default else ("recommended" if entry.recommended else "")
        where = str(path) if path else "not installed"
        line = f"{entry.role:8} {entry.name:40} {mark:12} {where}"
        if args.verify and path is not None and entry.sha256:
            try:
                checksums.verify_checksum(checksums.checksum_target(path), entry.sha256)
                line += "  sha256 ok"
            except HearsayError as exc:
                line += f"  {exc.message}"
                status = EXIT_FAILED
        elif args.verify and entry.default and path is None:
            line += "  missing"
            status = EXIT_FAILED
        print(line)
    return status
