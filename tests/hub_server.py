"""A loopback stand-in for the Hugging Face hub (127.0.0.1 only), for download tests.

It speaks what ``huggingface_hub`` calls for a file download (and what ``app.core.hub.downloads`` sends):
``HEAD`` and ``GET /{repo}/resolve/{revision}/{file}`` answered with ``X-Repo-Commit``, ``ETag`` and, for LFS
files (the model weights), ``X-Linked-Etag`` (the sha256) and ``X-Linked-Size``; small files get git's blob
sha1 as ETag, as the hub does. ``GET`` honours ``Range: bytes=N-`` with ``206`` and ``Content-Range``. Errors
carry ``X-Error-Code`` as the hub sends it (``EntryNotFound``, ``GatedRepo``), so ``hf_raise_for_status`` maps
them as it would the hub's.

Switches (attributes, changed by a test at any time): ``drop_at`` cuts the connection after that many bytes of
the file (once), ``corrupt`` serves the file with one byte changed, ``status`` answers every request with that
HTTP status, ``stall_at`` stops sending at that byte and hangs (until ``release`` is set or the server stops),
``rate_bytes_per_s`` throttles the body, ``ignore_range`` answers a Range request with the whole file (200).
Records: ``requests`` (method, path, Range header), ``authorizations`` (each request's Authorization header or
None) and ``bytes_served`` (body bytes sent, all requests together) and ``served`` (body bytes sent, per request,
in the order of ``requests``: a cancelled download's handler may still be writing after the client left).
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from pathlib import Path
from urllib.parse import unquote

COMMIT = "0123456789abcdef0123456789abcdef01234567"
LFS_MIN_BYTES = 1024 * 1024
"""Files from this size up are served as LFS files (X-Linked-Etag = sha256), smaller ones as git blobs."""
CHUNK = 64 * 1024


class HubServer:
    """``files``: {repo: {file name: local path}}. Start with ``start()``; ``endpoint`` is its base URL."""

    def __init__(self, files: dict[str, dict[str, Path]]) -> None:
        self.files = {repo: {name: Path(path) for name, path in names.items()} for repo, names in files.items()}
        self.drop_at: int | None = None
        self.corrupt = False
        self.status: int | None = None
        self.stall_at: int | None = None
        self.rate_bytes_per_s: float | None = None
        self.ignore_range = False
        self.cdn_redirect = False
        """As huggingface.co does for LFS files: the resolve URL answers 302 with the file's X-Linked-* headers and
        a Location on another host (here "localhost" instead of "127.0.0.1"), which serves the bytes."""
        self.release = threading.Event()
        self.requests: list[tuple[str, str, str | None]] = []
        self.authorizations: list[str | None] = []
        self.bytes_served = 0
        self.served: list[int] = []
        self._lock = threading.Lock()
        self._etags: dict[Path, tuple[str, bool]] = {}
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- life -----------------------------------------------------------------------------------------

    def start(self) -> HubServer:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                server._answer(self, body=False)

            def do_GET(self) -> None:
                server._answer(self, body=True)

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="hub-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(5)

    @property
    def endpoint(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def ranges(self) -> list[str]:
        """The Range headers of the GET requests, in order."""
        return [r for method, _, r in self.requests if method == "GET" and r]

    # ---- answers --------------------------------------------------------------------------------------

    def etag(self, path: Path) -> tuple[str, bool]:
        """(hash, is_lfs): sha256 for LFS files, git's blob sha1 (``blob <size>\\0`` + content) otherwise."""
        with self._lock:
            if path not in self._etags:
                data_size = path.stat().st_size
                lfs = data_size >= LFS_MIN_BYTES
                digest = hashlib.sha256() if lfs else hashlib.sha1(f"blob {data_size}\0".encode())
                with open(path, "rb") as handle:
                    while chunk := handle.read(1 << 20):
                        digest.update(chunk)
                self._etags[path] = (digest.hexdigest(), lfs)
            return self._etags[path]

    def _locate(self, url_path: str) -> Path | None:
        parts = unquote(url_path.split("?")[0]).strip("/").split("/")
        if parts and parts[0] == "cdn":  # /cdn/<repo>/<file>: where a cdn_redirect sends the bytes from
            parts = parts[1:]
            for repo, names in self.files.items():
                depth = repo.count("/") + 1
                if "/".join(parts[:depth]) == repo:
                    return names.get("/".join(parts[depth:]))
            return None
        if "resolve" not in parts:
            return None
        at = parts.index("resolve")
        repo, name = "/".join(parts[:at]), "/".join(parts[at + 2:])
        return self.files.get(repo, {}).get(name)

    def cdn_requests(self) -> list[tuple[str, str | None]]:
        """(method, Authorization header) of each request the "CDN" host answered."""
        return [(method, auth) for (method, path, _), auth in zip(self.requests, self.authorizations)
                if path.startswith("/cdn/")]

    def _answer(self, handler: http.server.BaseHTTPRequestHandler, body: bool) -> None:
        wanted = handler.headers.get("Range")
        with self._lock:
            index = len(self.requests)
            self.requests.append((handler.command, handler.path, wanted))
            self.authorizations.append(handler.headers.get("Authorization"))
            self.served.append(0)
        if self.status is not None:
            self._error(handler, self.status)
            return
        path = self._locate(handler.path)
        if path is None:
            self._error(handler, 404)
            return
        size = path.stat().st_size
        etag, lfs = self.etag(path)
        if self.cdn_redirect and lfs and "/resolve/" in handler.path:
            repo_file = unquote(handler.path.split("?")[0]).strip("/").split("/")
            at = repo_file.index("resolve")
            port = self._httpd.server_address[1]
            handler.send_response(302)
            handler.send_header("X-Repo-Commit", COMMIT)
            handler.send_header("X-Linked-Etag", f'"{etag}"')
            handler.send_header("X-Linked-Size", str(size))
            handler.send_header("ETag", f'"{etag}"')
            handler.send_header("Location", f"http://localhost:{port}/cdn/{'/'.join(repo_file[:at])}/"
                                            f"{'/'.join(repo_file[at + 2:])}?signature=abc")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        start = 0
        if wanted and wanted.startswith("bytes=") and body and not self.ignore_range:
            start = int(wanted[6:].split("-")[0])
        handler.send_response(206 if start else 200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("X-Repo-Commit", COMMIT)
        handler.send_header("ETag", f'"{etag}"')
        if lfs:
            handler.send_header("X-Linked-Etag", f'"{etag}"')
            handler.send_header("X-Linked-Size", str(size))
        handler.send_header("Content-Length", str(size - start))
        if start:
            handler.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        handler.end_headers()
        if not body:
            return
        self._send_body(handler, path, start, size, index)

    def _send_body(self, handler, path: Path, start: int, size: int, index: int) -> None:
        sent_at = time.monotonic()
        sent = 0
        with open(path, "rb") as handle:
            handle.seek(start)
            position = start
            while position < size:
                chunk = handle.read(CHUNK)
                if self.drop_at is not None and position < self.drop_at <= position + len(chunk):
                    chunk = chunk[: self.drop_at - position]
                    self.drop_at = None  # once
                    self._write(handler, chunk, index)
                    handler.close_connection = True
                    handler.connection.shutdown(2)
                    return
                if self.stall_at is not None and position < self.stall_at <= position + len(chunk):
                    self._write(handler, chunk[: self.stall_at - position], index)
                    self.release.wait(60)
                    handler.close_connection = True
                    return
                if self.corrupt and position <= size // 2 < position + len(chunk):
                    at = size // 2 - position
                    chunk = chunk[:at] + bytes([chunk[at] ^ 0xFF]) + chunk[at + 1:]
                if not self._write(handler, chunk, index):
                    return
                position += len(chunk)
                sent += len(chunk)
                if self.rate_bytes_per_s:
                    ahead = sent / self.rate_bytes_per_s - (time.monotonic() - sent_at)
                    if ahead > 0:
                        time.sleep(ahead)

    def _write(self, handler, chunk: bytes, index: int) -> bool:
        try:
            handler.wfile.write(chunk)
            handler.wfile.flush()
        except OSError:  # the client went away (a cancel)
            handler.close_connection = True
            return False
        with self._lock:
            self.bytes_served += len(chunk)
            self.served[index] += len(chunk)
        return True

    def _error(self, handler, status: int) -> None:
        codes = {404: "EntryNotFound", 401: "GatedRepo", 403: "GatedRepo"}
        message = f"error {status}".encode()
        handler.send_response(status)
        if status in codes:
            handler.send_header("X-Error-Code", codes[status])
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(len(message)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(message)


LLM_REPO = "HuggingFaceTB/SmolLM2-135M-Instruct-GGUF"
WHISPER_REPO = "Systran/faster-whisper-tiny.en"
WHISPER_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")


def bundled_repos() -> dict[str, dict[str, Path]]:
    """The bundled default models' files under catalog-style repo names."""
    from app.core.hub import catalog

    llm, whisper = catalog.default_entry("llm"), catalog.default_entry("whisper")
    folder = whisper.installed_path()
    return {LLM_REPO: {llm.name: llm.installed_path()},
            WHISPER_REPO: {name: folder / name for name in WHISPER_FILES}}


def test_entries() -> dict:
    """Catalog entries for the models ``bundled_repos`` serves (ids ``test-smollm2``, ``test-whisper-tiny.en``),
    with the bundled files' pinned sha256; {"llm": entry, "whisper": entry}."""
    from app.core.hub import catalog

    llm, whisper = catalog.default_entry("llm"), catalog.default_entry("whisper")
    return {
        "llm": catalog.CatalogEntry(
            id="test-smollm2", role="llm", name=llm.name, description="SmolLM2 served by the loopback hub",
            size_bytes=llm.size_bytes, sha256=llm.sha256, license=llm.license, context_length=llm.context_length,
            source={"hf": LLM_REPO, "files": [llm.name], "revision": "main"}),
        "whisper": catalog.CatalogEntry(
            id="test-whisper-tiny.en", role="whisper", name="tiny.en", description="tiny.en served by the loopback hub",
            size_bytes=whisper.size_bytes, sha256=whisper.sha256, license=whisper.license,
            source={"hf": WHISPER_REPO, "files": list(WHISPER_FILES), "revision": "main"}),
    }


test_entries.__test__ = False  # a helper, not a test
