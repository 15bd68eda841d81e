"""Downloads of catalog models from the Hugging Face hub (or a mirror): only when called, never by an analysis.

The requests are the ones ``huggingface_hub`` makes for ``hf_hub_download``: ``HEAD {endpoint}/{repo}/resolve/
{revision}/{file}`` for the file's metadata (``X-Repo-Commit``, ``ETag``, and for an LFS file ``X-Linked-Etag``
= its sha256 and ``X-Linked-Size``; a redirect to another host carries them itself), then ``GET`` of the same
URL, with ``Range: bytes=N-`` to resume. URLs, headers and error types come from ``huggingface_hub``
(``hf_hub_url``, ``build_hf_headers``, ``hf_raise_for_status``). The requests go through a client of this
module's own (``httpx2``, as ``huggingface_hub``'s), because ``huggingface_hub``'s shared session refuses every
request while ``HF_HUB_OFFLINE`` is set, which ``hearsay`` sets for everything else: an explicit download is
the one place that goes online, and it does so without lifting offline mode for anyone else.

Files stream into ``data_dir()/models/.partial/<id>/`` (``installed.partial_dir``), next to ``download.json``
(the hub's ETag of each file, so that a partial file is resumed only while the hub still serves the same
file). Each file is checked against the hub's hash (sha256 of an LFS file; git's blob sha1 of a small file)
and, for the file the catalog pins (the GGUF, or a Whisper folder's ``model.bin``), the catalog's sha256.
Only then is the manifest written and the folder renamed to ``data_dir()/models/<id>`` in one step.
"""

from __future__ import annotations

import collections
import errno
import hashlib
import json
import logging
import os
import queue
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlparse

from filelock import FileLock, Timeout

from app.core.errors import Cancelled, ModelError
from app.core.hub import credentials, installed
from app.core.hub.catalog import CatalogEntry
from app.core.hub.gguf_files import read_gguf_info
from app.core.user_files import display_path, format_bytes

log = logging.getLogger("hearsay.hub")

DEFAULT_ENDPOINT = "https://huggingface.co"
MARGIN_MIN_BYTES = 256 * 1024 * 1024
"""The smallest free space left over after a download (bytes): 256 MiB."""
MARGIN_FRACTION = 0.05
"""The free space left over after a download, as a fraction of its size, when larger than MARGIN_MIN_BYTES."""
DEFAULT_STALL_SECONDS = 30.0
"""Seconds without a byte from the server after which a download counts as stalled (httpx2's read timeout)."""
CONNECT_TIMEOUT_SECONDS = 10.0
"""Seconds to wait for the server to accept a connection."""
PROGRESS_INTERVAL_SECONDS = 0.1
"""Least seconds between two progress reports (the last report of each file always comes)."""
RATE_WINDOW_SECONDS = 5.0
"""The rate is averaged over this many seconds of the transfer."""
MAX_RESUMES = 5
"""A connection that drops mid-file is resumed (a Range request) at most this many times in a row without
new data before the download gives up (it resumes on the next call)."""
CANCEL_POLL_SECONDS = 0.05
"""How often a blocking step checks the cancel flag (seconds): cancel lands well within 1 s."""
RECORD = "download.json"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX40 = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class DownloadProgress:
    """A download's progress: ``bytes_done`` of ``bytes_total`` (all files of the model, bytes, counting a
    resumed partial as done); ``rate_bytes_per_s`` averaged over the last RATE_WINDOW_SECONDS of this
    transfer (0 before any data); ``seconds_left`` at that rate (None while unknown); ``file``: the file being
    fetched."""

    bytes_done: int
    bytes_total: int
    rate_bytes_per_s: float
    seconds_left: float | None
    file: str = ""

    @property
    def fraction(self) -> float:
        """``bytes_done / bytes_total`` (0 to 1; 0 when the total is unknown)."""
        return self.bytes_done / self.bytes_total if self.bytes_total else 0.0


ProgressCallback = Callable[[DownloadProgress], None]


class DownloadError(ModelError):
    """A download failed; ``message`` is one sentence naming the model and what to do. ``kind``: "endpoint",
    "network", "dns", "refused", "no route", "timeout", "stalled", "dropped", "not found", "access", "server",
    "http", "space", "disk full", "write", "checksum", "no source", "busy"; ``model_id``: the catalog id."""

    def __init__(self, message: str, kind: str, model_id: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.model_id = model_id


class NotEnoughSpaceError(DownloadError):
    """The model does not fit the free space with the margin; ``needed_bytes``, ``free_bytes``, ``margin_bytes``
    and ``folder`` say by how much."""

    def __init__(self, message: str, model_id: str, needed_bytes: int, free_bytes: int, margin_bytes: int,
                 folder: Path) -> None:
        super().__init__(message, "space", model_id)
        self.needed_bytes = needed_bytes
        self.free_bytes = free_bytes
        self.margin_bytes = margin_bytes
        self.folder = folder


@dataclass(frozen=True)
class HubFile:
    """One file of a model on the hub: ``name`` in the repo, ``url`` to GET, ``size_bytes`` (from
    ``X-Linked-Size`` or ``Content-Length``), ``etag`` (the LFS sha256 from ``X-Linked-Etag``, or git's blob sha1
    of a small file), ``commit`` (``X-Repo-Commit``)."""

    name: str
    url: str
    size_bytes: int
    etag: str
    commit: str = ""

    @property
    def sha256(self) -> str:
        """The hub's sha256 of the file (an LFS file's ETag), or "" when the hub gave none."""
        return self.etag if _HEX64.match(self.etag) else ""

    @property
    def git_sha1(self) -> str:
        """Git's blob sha1 of a small (non-LFS) file as the hub reports it in ETag, or ""."""
        return self.etag if _HEX40.match(self.etag) else ""


def hub_endpoint(endpoint: str | None = None) -> str:
    """The hub to download from, with ``HF_ENDPOINT`` semantics: ``endpoint`` if given, else the ``HF_ENDPOINT``
    environment variable, else https://huggingface.co; without a trailing slash. Raises DownloadError when it
    is not an http(s) URL."""
    chosen = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).strip().rstrip("/")
    parsed = urlparse(chosen)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise DownloadError(f"the hub endpoint '{chosen}' is not an http(s) address such as "
                            f"{DEFAULT_ENDPOINT}; correct it in Settings or --endpoint", "endpoint")
    return chosen


def space_margin(needed_bytes: int) -> int:
    """Free space (bytes) that must remain after a download of ``needed_bytes``: 5 % of it, at least 256 MiB."""
    return max(MARGIN_MIN_BYTES, int(needed_bytes * MARGIN_FRACTION))


def check_space(entry: CatalogEntry, folder: Path, needed_bytes: int) -> None:
    """Refuse a download of ``needed_bytes`` into ``folder`` unless the free space exceeds it plus
    ``space_margin``. Raises NotEnoughSpaceError with the numbers."""
    free = shutil.disk_usage(folder).free
    margin = space_margin(needed_bytes)
    if free < needed_bytes + margin:
        raise NotEnoughSpaceError(
            f"not enough free space to download {entry.id} into {display_path(folder)}: it needs "
            f"{format_bytes(needed_bytes)} plus a margin of {format_bytes(margin)}, and {format_bytes(free)} is "
            f"free; free some space and try again", entry.id, needed_bytes, free, margin, folder)


def _host(url: str) -> str:
    return urlparse(url).netloc or url


def _token(token: str | None) -> str | None:
    return token if token else credentials.get_token()


def _headers(token: str | None) -> dict[str, str]:
    """huggingface_hub's request headers (user agent, ``authorization: Bearer`` when a token is given)."""
    from huggingface_hub.utils import build_hf_headers

    headers = build_hf_headers(token=token or False, library_name="hearsay", library_version="0.1.0")
    headers["Accept-Encoding"] = "identity"  # as huggingface_hub: the real size, and bytes that hash as stored
    return headers


def _client(stall_seconds: float):
    import httpx2

    timeout = httpx2.Timeout(connect=CONNECT_TIMEOUT_SECONDS, read=stall_seconds, write=30.0, pool=30.0)
    return httpx2.Client(follow_redirects=True, timeout=timeout)


def _wait(step: Callable, cancel: threading.Event | None):
    """Run ``step()`` in a daemon helper thread and wait for it, checking ``cancel`` every CANCEL_POLL_SECONDS:
    a connect or a read that blocks never delays a cancel. Returns its result or raises its exception;
    raises Cancelled when ``cancel`` is set first (the helper ends on its own, at its timeout at worst)."""
    if cancel is None:
        return step()
    box: dict = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = step()
        except BaseException as exc:  # handed to the waiting thread
            box["error"] = exc
        done.set()

    threading.Thread(target=run, name="hearsay-download-step", daemon=True).start()
    while not done.wait(CANCEL_POLL_SECONDS):
        if cancel.is_set():
            raise Cancelled()
    if "error" in box:
        raise box["error"]
    return box["value"]


class _Pump(threading.Thread):
    """Reads a streamed response's body in a daemon thread into a small queue, so that the downloading thread
    can check its cancel flag while a read blocks (a stalled server)."""

    END = object()

    def __init__(self, response) -> None:
        super().__init__(name="hearsay-download-body", daemon=True)
        self.response = response
        self.chunks: queue.Queue = queue.Queue(maxsize=32)
        self.stop = threading.Event()

    def _put(self, item) -> bool:
        while not self.stop.is_set():
            try:
                self.chunks.put(item, timeout=CANCEL_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def run(self) -> None:
        try:
            for chunk in self.response.iter_bytes():
                if chunk and not self._put(chunk):
                    return
            self._put(self.END)
        except BaseException as exc:  # handed to the downloading thread
            if not self.stop.is_set():
                self._put(exc)


class _Meter:
    """Progress over all files of a model: counts bytes, averages the rate, calls ``progress`` at most every
    PROGRESS_INTERVAL_SECONDS (and always when asked to force)."""

    def __init__(self, total: int, done: int, progress: ProgressCallback | None) -> None:
        self.total, self.done, self.progress = total, done, progress
        self.moved = 0  # bytes received in this call
        self.samples: collections.deque = collections.deque([(time.monotonic(), 0)])
        self.last_report = 0.0

    def add(self, count: int, file: str) -> None:
        if not self.moved:  # the rate counts from the first byte (not from hashing a resumed partial)
            self.samples = collections.deque([(time.monotonic(), 0)])
        self.done += count
        self.moved += count
        self.report(file)

    def rollback(self, count: int) -> None:
        self.done -= count

    def report(self, file: str, force: bool = False) -> None:
        now = time.monotonic()
        if self.progress is None or (not force and now - self.last_report < PROGRESS_INTERVAL_SECONDS):
            return
        self.samples.append((now, self.moved))
        while len(self.samples) > 2 and now - self.samples[1][0] > RATE_WINDOW_SECONDS:
            self.samples.popleft()
        first_time, first_bytes = self.samples[0]
        rate = (self.moved - first_bytes) / (now - first_time) if now > first_time else 0.0
        left = (self.total - self.done) / rate if rate > 0 else None
        self.last_report = now
        self.progress(DownloadProgress(self.done, self.total, rate, left, file))


class _Download:
    """One call of ``download``: the state its steps share."""

    def __init__(self, entry: CatalogEntry, endpoint: str, token: str | None, cancel: threading.Event | None,
                 stall_seconds: float) -> None:
        self.entry, self.endpoint, self.cancel, self.stall_seconds = entry, endpoint, cancel, stall_seconds
        self.host = _host(endpoint)
        self.headers = _headers(token)
        self.client = _client(stall_seconds)
        self.revision = str(entry.source.get("revision") or "main")

    # ---- errors ---------------------------------------------------------------------------------------

    def fail(self, message: str, kind: str) -> DownloadError:
        return DownloadError(message, kind, self.entry.id)

    def network_error(self, exc: BaseException, file: str) -> DownloadError:
        """The sentence for a failed request (``exc`` from httpx2 or huggingface_hub)."""
        import httpx2
        from huggingface_hub.errors import HfHubHTTPError

        name, host = self.entry.id, self.host
        resumes = "try again: it resumes from where it stopped"
        if isinstance(exc, HfHubHTTPError) and exc.response is not None:
            status = exc.response.status_code
            if status == 404:
                return self.fail(f"cannot download {name}: {self.entry.hf_repo}/{file} was not found on {host} "
                                 f"(HTTP 404); check the hub endpoint (mirror) setting, or import a copy you "
                                 f"have with `hearsay models import PATH`", "not found")
            if status in (401, 403):
                return self.fail(f"cannot download {name}: {host} refused access to {self.entry.hf_repo} "
                                 f"(HTTP {status}), it is gated or private; accept its licence on the hub's page "
                                 f"and give Hearsay an access token (Settings, or the HF_TOKEN environment "
                                 f"variable)", "access")
            if status >= 500:
                return self.fail(f"cannot download {name}: the hub at {host} failed (HTTP {status}); try again "
                                 f"later: the download resumes from where it stopped", "server")
            return self.fail(f"cannot download {name}: {host} answered HTTP {status} for "
                             f"{self.entry.hf_repo}/{file}; check the hub endpoint (mirror) setting", "http")
        if isinstance(exc, httpx2.ConnectTimeout):
            return self.fail(f"cannot download {name}: {host} did not answer within {CONNECT_TIMEOUT_SECONDS:.0f} s; "
                             f"check your internet connection or the hub endpoint (mirror) setting", "timeout")
        if isinstance(exc, httpx2.TimeoutException):
            return self.fail(f"the download of {name} stalled: no data from {host} for "
                             f"{self.stall_seconds:g} s; {resumes}", "stalled")
        if isinstance(exc, httpx2.ConnectError):
            cause = _root_cause(exc)
            text = str(exc).lower()
            if isinstance(cause, socket.gaierror) or "name or service" in text or "nodename" in text \
                    or "name resolution" in text:
                return self.fail(f"cannot download {name}: the address of {host} could not be found (DNS); check "
                                 f"your internet connection or the hub endpoint (mirror) setting", "dns")
            if isinstance(cause, ConnectionRefusedError) or "refused" in text:
                return self.fail(f"cannot download {name}: {host} refused the connection; check the hub endpoint "
                                 f"(mirror) setting, or try again later", "refused")
            code = getattr(cause, "errno", None)
            if code in (errno.EHOSTUNREACH, errno.ENETUNREACH) or "unreachable" in text:
                return self.fail(f"cannot download {name}: there is no route to {host} (is this computer "
                                 f"online?); check your network connection", "no route")
            return self.fail(f"cannot download {name}: cannot connect to {host} ({_reason(exc)}); check your "
                             f"internet connection", "network")
        if isinstance(exc, (httpx2.RemoteProtocolError, httpx2.ReadError)):
            return self.fail(f"the connection to {host} kept dropping while downloading {name}; {resumes}",
                             "dropped")
        return self.fail(f"cannot download {name} from {host}: {_reason(exc)}; {resumes}", "network")

    # ---- metadata -------------------------------------------------------------------------------------

    def metadata(self, file: str) -> HubFile:
        """HEAD the file's resolve URL (following redirects that stay on the hub's host, as huggingface_hub's
        ``get_hf_file_metadata``) and read size, hash and commit from the headers."""
        import httpx2
        from huggingface_hub import constants, hf_hub_url
        from huggingface_hub.utils import hf_raise_for_status

        url = hf_hub_url(self.entry.hf_repo, file, revision=self.revision, endpoint=self.endpoint)
        target = url
        for _ in range(5):
            try:
                response = _wait(lambda: self.client.head(target, headers=self.headers, follow_redirects=False),
                                 self.cancel)
                hf_raise_for_status(response)
            except Cancelled:
                raise
            except (httpx2.HTTPError, OSError) as exc:
                raise self.network_error(exc, file) from None
            except Exception as exc:  # huggingface_hub's HfHubHTTPError family
                raise self.network_error(exc, file) from None
            location = response.headers.get("Location")
            if response.is_redirect and location:
                following = urljoin(target, location)
                if _host(following) == _host(target) and not response.headers.get(
                        constants.HUGGINGFACE_HEADER_X_LINKED_ETAG):
                    target = following  # a renamed repo: same host, ask again
                    continue
            etag = (response.headers.get(constants.HUGGINGFACE_HEADER_X_LINKED_ETAG)
                    or response.headers.get("ETag") or "")
            etag = etag.removeprefix("W/").strip('"')
            size = (response.headers.get(constants.HUGGINGFACE_HEADER_X_LINKED_SIZE)
                    or (None if response.is_redirect else response.headers.get("Content-Length")))
            if size is None:
                raise self.fail(f"cannot download {self.entry.id}: {self.host} did not say the size of "
                                f"{file}; check the hub endpoint (mirror) setting", "http")
            return HubFile(file, url, int(size), etag,
                           response.headers.get(constants.HUGGINGFACE_HEADER_X_REPO_COMMIT, ""))
        raise self.fail(f"cannot download {self.entry.id}: {self.host} redirected {file} too often", "http")

    # ---- one file -------------------------------------------------------------------------------------

    def fetch(self, file: HubFile, target: Path, meter: _Meter) -> tuple[str, str]:
        """Stream ``file`` into ``target``, resuming from what ``target`` holds. Returns (sha256, git blob sha1)
        of the whole file. Raises Cancelled (the partial stays), DownloadError, OSError from writing."""
        import httpx2
        from huggingface_hub.utils import hf_raise_for_status

        sha256, sha1 = self.hash_partial(target, file)
        have = target.stat().st_size if target.exists() else 0
        stuck = 0  # rounds in a row that brought no data
        while have < file.size_bytes:
            if stuck >= MAX_RESUMES:
                raise self.fail(f"the connection to {self.host} kept dropping while downloading "
                                f"{self.entry.id}; try again: it resumes from where it stopped", "dropped")
            headers = dict(self.headers)
            if have:
                headers["Range"] = f"bytes={have}-"
            request = self.client.build_request("GET", file.url, headers=headers)
            try:
                response = _wait(lambda: self.client.send(request, stream=True), self.cancel)
            except (httpx2.HTTPError, OSError) as exc:
                raise self.network_error(exc, file.name) from None
            received = 0
            pump = None
            try:
                if response.status_code >= 400:
                    response.read()
                    try:
                        hf_raise_for_status(response)
                    except Exception as exc:  # HfHubHTTPError family
                        raise self.network_error(exc, file.name) from None
                ranged = response.headers.get("Content-Range", "").startswith(f"bytes {have}-")
                if have and (response.status_code != 206 or not ranged):  # the Range was ignored: start again
                    log.info("%s: the server did not send the range asked for; starting the file again", file.name)
                    target.unlink(missing_ok=True)
                    meter.rollback(have)
                    have = 0
                    sha256, sha1 = self.hash_partial(target, file)
                pump = _Pump(response)
                pump.start()
                with open(target, "ab") as out:
                    while True:
                        try:
                            item = pump.chunks.get(timeout=CANCEL_POLL_SECONDS)
                        except queue.Empty:
                            item = None
                        if self.cancel is not None and self.cancel.is_set():
                            raise Cancelled()
                        if item is None:
                            continue
                        if item is _Pump.END:
                            break
                        if isinstance(item, BaseException):
                            raise item
                        if have + len(item) > file.size_bytes:
                            item = item[: file.size_bytes - have]
                        _append(out, item)
                        sha256.update(item)
                        sha1.update(item)
                        have += len(item)
                        received += len(item)
                        meter.add(len(item), file.name)
                        if have >= file.size_bytes:
                            break
                    out.flush()
                    os.fsync(out.fileno())
            except (httpx2.RemoteProtocolError, httpx2.ReadError):
                log.info("%s: the connection dropped after %d bytes; resuming from byte %d", file.name,
                         received, have)
            except httpx2.HTTPError as exc:
                raise self.network_error(exc, file.name) from None
            finally:
                if pump is not None:
                    pump.stop.set()
                try:
                    response.close()
                except Exception:  # closing a half-read stream from here may fail in the pump's read
                    pass
            stuck = 0 if received else stuck + 1
        meter.report(file.name, force=True)
        return sha256.hexdigest(), sha1.hexdigest()

    def hash_partial(self, target: Path, file: HubFile):
        """sha256 and git blob sha1 (``blob <size>\\0`` + content) of what ``target`` already holds."""
        sha256 = hashlib.sha256()
        sha1 = hashlib.sha1(f"blob {file.size_bytes}\0".encode())
        if target.exists():
            with open(target, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    if self.cancel is not None and self.cancel.is_set():
                        raise Cancelled()
                    sha256.update(chunk)
                    sha1.update(chunk)
        return sha256, sha1

    def verify(self, file: HubFile, target: Path, sha256: str, sha1: str) -> None:
        """Compare the file's hashes with the hub's and, for the pinned file, the catalog's; a mismatch deletes
        ``target`` and raises DownloadError("checksum")."""
        pinned = self.entry.sha256 if file.name == _checksum_file(self.entry) else ""
        for expected, actual, what in ((file.sha256, sha256, "the hub's sha256"), (pinned, sha256, "the catalog's sha256"),
                                       (file.git_sha1, sha1, "the hub's git hash")):
            if expected and expected != actual:
                target.unlink(missing_ok=True)
                raise self.fail(f"the download of {self.entry.id} is damaged ({file.name}: {what} is "
                                f"{expected[:12]}…, the file's {actual[:12]}…), so it was deleted; try again",
                                "checksum")


def _append(handle, data: bytes) -> None:
    """Write ``data`` at the end of the partial file ``handle``: the one place a download's bytes reach the disk
    (a full disk raises OSError ENOSPC here or at the fsync that ends the file)."""
    handle.write(data)


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    while (nxt := exc.__cause__ or exc.__context__) is not None and id(nxt) not in seen:
        seen.add(id(exc))
        exc = nxt
    return exc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _checksum_file(entry: CatalogEntry) -> str:
    """The file the catalog's sha256 covers: the GGUF of an LLM, ``model.bin`` of a Whisper folder."""
    files = entry.hf_files
    if entry.role == "whisper":
        return "model.bin"
    return files[0] if files else ""


def _read_record(folder: Path) -> dict:
    try:
        return json.loads((folder / RECORD).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _is_disk_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def file_metadata(entry: CatalogEntry, *, endpoint: str | None = None, token: str | None = None,
                  cancel: threading.Event | None = None) -> list[HubFile]:
    """Ask the hub for each of ``entry``'s files: size, hash, commit (one HEAD request per file).

    Raises DownloadError (one sentence per cause, see ``download``) and Cancelled."""
    if not entry.hf_repo or not entry.hf_files:
        raise DownloadError(f"{entry.id} has no hub source to download from; it is installed with "
                            f"`make setup`", "no source", entry.id)
    job = _Download(entry, hub_endpoint(endpoint), _token(token), cancel, DEFAULT_STALL_SECONDS)
    try:
        return [job.metadata(name) for name in entry.hf_files]
    finally:
        job.client.close()


def download(entry: CatalogEntry, *, endpoint: str | None = None, token: str | None = None,
             cancel: threading.Event | None = None, progress: ProgressCallback | None = None,
             stall_seconds: float = DEFAULT_STALL_SECONDS) -> installed.InstalledModel:
    """Download ``entry``'s files from the hub into ``data_dir()/models/<id>`` and register it; returns the
    installed model (at once, without a request, when it is already installed).

    ``endpoint``: the hub or a mirror (``hub_endpoint``: else ``HF_ENDPOINT``, else huggingface.co);
    ``token``: an access token for gated repos (else ``credentials.get_token()``: the keyring, then
    ``HF_TOKEN``); ``cancel``: set it to stop within CANCEL_POLL_SECONDS (the partial stays and the next
    call resumes from it with a Range request, also after the process was killed); ``progress`` is called in
    this thread with a DownloadProgress at most every PROGRESS_INTERVAL_SECONDS and once at the end of each
    file; ``stall_seconds``: seconds without data after which the server counts as stalled.

    Before any byte is fetched, the space still needed is compared with the free space of the models folder
    (``check_space``: 5 % margin, at least 256 MiB). A connection that drops mid-file is resumed at once (at
    most MAX_RESUMES times in a row without progress). Every file is checked against the hub's hash and the
    catalog's sha256 where pinned; the model becomes visible only after all checks, by renaming its folder
    into place.

    Raises Cancelled; NotEnoughSpaceError; DownloadError, one sentence naming the model and what to do, with
    ``kind`` "dns", "refused", "no route", "timeout", "network", "not found" (404), "access" (401/403: gated
    or private), "server" (5xx), "http", "stalled", "dropped", "checksum" (the file is deleted), "disk full"
    (the partial download is deleted to free the space), "write", "no source", "endpoint", "busy" (another
    process or thread downloads the same model: one download per model at a time, by a lock file
    ``.partial/<id>.lock``); FolderError
    when the data folder cannot be created.
    """
    existing = installed.find_installed(entry.id)
    if existing is not None:
        return existing
    if not entry.hf_repo or not entry.hf_files:
        raise DownloadError(f"{entry.id} has no hub source to download from; it is installed with "
                            f"`make setup`", "no source", entry.id)
    job = _Download(entry, hub_endpoint(endpoint), _token(token), cancel, stall_seconds)
    models = installed.models_dir()
    staging = installed.partial_dir(entry.id)
    staging.parent.mkdir(exist_ok=True, mode=0o700)
    lock = FileLock(staging.parent / f"{entry.id}.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        job.client.close()
        raise DownloadError(f"{entry.id} is already being downloaded by another Hearsay window or command; wait "
                            f"for it to finish", "busy", entry.id) from None
    try:
        if (existing := installed.find_installed(entry.id)) is not None:  # finished by the one we waited for
            return existing
        files = [job.metadata(name) for name in entry.hf_files]
        staging.mkdir(parents=True, exist_ok=True, mode=0o700)
        record = _read_record(staging)
        for file in files:  # a partial of a file the hub has since replaced cannot be resumed
            part = staging / file.name
            if part.exists() and (record.get("files", {}).get(file.name) != file.etag
                                  or part.stat().st_size > file.size_bytes):
                part.unlink()
        (staging / RECORD).write_text(json.dumps({
            "id": entry.id, "endpoint": job.endpoint, "repo": entry.hf_repo, "revision": job.revision,
            "files": {f.name: f.etag for f in files}}, indent=1), "utf-8")
        have = sum((staging / f.name).stat().st_size for f in files if (staging / f.name).exists())
        total = sum(f.size_bytes for f in files)
        check_space(entry, models, total - have)
        meter = _Meter(total, have, progress)
        meter.report(files[0].name, force=True)
        hashes = {}
        for file in files:
            target = staging / file.name
            sha256, sha1 = job.fetch(file, target, meter)
            job.verify(file, target, sha256, sha1)
            hashes[file.name] = sha256
        return _install(entry, job, files, hashes, staging, models)
    except DownloadError as exc:
        if exc.kind == "checksum":  # nothing of a damaged download is kept
            shutil.rmtree(staging, ignore_errors=True)
        raise
    except OSError as exc:
        if _is_disk_full(exc):
            shutil.rmtree(staging, ignore_errors=True)
            raise DownloadError(f"the disk filled up while downloading {entry.id} into {display_path(models)}; "
                                f"the partial download was deleted to free the space: free at least "
                                f"{format_bytes(entry.size_bytes)} and try again", "disk full", entry.id) from None
        raise DownloadError(f"cannot write the download of {entry.id} into {display_path(staging)}: "
                            f"{exc.strerror or exc}", "write", entry.id) from None
    finally:
        lock.release()
        job.client.close()


def _install(entry: CatalogEntry, job: _Download, files: list[HubFile], hashes: dict, staging: Path,
             models: Path) -> installed.InstalledModel:
    """Write the manifest into the complete ``staging`` folder and rename it into place."""
    final = models / entry.id
    path = final if entry.role == "whisper" else final / files[0].name
    chat_template = None
    if entry.role == "llm":
        chat_template = read_gguf_info(staging / files[0].name).chat_template is not None
    model = installed.InstalledModel(
        id=entry.id, role=entry.role, name=entry.name, path=path, sha256=hashes.get(_checksum_file(entry), ""),
        how="downloaded", size_bytes=sum(f.size_bytes for f in files), folder=final,
        source={"endpoint": job.endpoint, "repo": entry.hf_repo, "revision": job.revision,
                "commit": files[0].commit, "files": hashes},
        chat_template=chat_template,
    )
    installed.write_manifest(staging, model)
    (staging / RECORD).unlink(missing_ok=True)
    if final.exists():  # installed meanwhile by another process: keep that one
        shutil.rmtree(staging, ignore_errors=True)
        return installed.find_installed(entry.id) or model
    os.rename(staging, final)
    return installed.read_manifest(final) or model
