"""Downloads against the loopback hub (tests/hub_server.py) with the real bundled model files: progress, resume
after a dropped connection, cancel within a second, checksums, space, a full disk, and one sentence per network
error. Everything but 127.0.0.1 stays blocked (tests/conftest.py)."""

from __future__ import annotations

import errno
import hashlib
import json
import socket
import threading
import time
from collections import namedtuple

import pytest

from app.core.errors import Cancelled
from app.core.hub import catalog, downloads, installed
from app.core.hub.downloads import DownloadError, NotEnoughSpaceError


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_download_installs_the_gguf_with_exact_progress_and_the_hubs_sha256(hub_server, hub_catalog):
    entry = hub_catalog["llm"]
    reports = []
    model = downloads.download(entry, endpoint=hub_server.endpoint, progress=reports.append)
    size = entry.size_bytes
    assert model.how == "downloaded" and model.sha256 == entry.sha256
    assert model.path == installed.models_dir() / entry.id / entry.name
    assert hashlib.sha256(model.path.read_bytes()).hexdigest() == entry.sha256
    assert model.chat_template is True and model.source["repo"] == entry.hf_repo
    # progress: bytes only grow, every report has the model's total, the last one is exact
    assert [r.bytes_done for r in reports] == sorted(r.bytes_done for r in reports)
    assert {r.bytes_total for r in reports} == {size}
    assert reports[0].bytes_done == 0 and reports[-1].bytes_done == size
    assert any(r.rate_bytes_per_s > 0 for r in reports[1:]) and reports[-1].seconds_left == 0
    # the requests huggingface_hub makes: HEAD then GET of the resolve URL, no token, no Range
    path = f"/{entry.hf_repo}/resolve/main/{entry.name}"
    assert [(m, p) for m, p, _ in hub_server.requests] == [("HEAD", path), ("GET", path)]
    assert hub_server.ranges() == [] and hub_server.authorizations == [None, None]
    # registered; the partial folder is gone; a second call makes no request
    assert entry.id in [m.id for m in installed.installed_models()]
    assert not installed.partial_dir(entry.id).exists()
    assert downloads.download(entry, endpoint=hub_server.endpoint) == model
    assert len(hub_server.requests) == 2


def test_whisper_folder_download_checks_every_file(hub_server, hub_catalog):
    entry = hub_catalog["whisper"]
    model = downloads.download(entry, endpoint=hub_server.endpoint)
    assert model.path == installed.models_dir() / entry.id
    assert files_under(model.path) == sorted([*entry.hf_files, installed.MANIFEST])
    assert model.sha256 == entry.sha256  # of model.bin
    assert catalog.resolve_whisper(entry.id) == catalog.ResolvedModel("tiny.en", str(model.path), entry.sha256)
    # the small files were checked against git's blob sha1, which the hub sends as their ETag
    config = model.path / "config.json"
    data = config.read_bytes()
    blob = hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()
    assert hub_server.etag(hub_server.files[entry.hf_repo]["config.json"]) == (blob, False)


def test_a_dropped_connection_resumes_with_a_range_request(hub_server, hub_catalog):
    entry = hub_catalog["llm"]
    drop = entry.size_bytes // 3
    hub_server.drop_at = drop
    model = downloads.download(entry, endpoint=hub_server.endpoint)
    assert hub_server.ranges() == [f"bytes={drop}-"]
    assert hub_server.bytes_served < 1.1 * entry.size_bytes  # well under twice the file
    assert model.sha256 == entry.sha256


def test_cancel_lands_within_a_second_and_the_next_call_resumes(hub_server, hub_catalog):
    entry = hub_catalog["llm"]
    hub_server.rate_bytes_per_s = 20e6
    cancel = threading.Event()
    set_at = []

    def progress(report):
        if report.bytes_done > 10_000_000 and not cancel.is_set():
            set_at.append(time.monotonic())
            cancel.set()

    with pytest.raises(Cancelled):
        downloads.download(entry, endpoint=hub_server.endpoint, cancel=cancel, progress=progress)
    latency = time.monotonic() - set_at[0]
    assert latency < 1.0
    kept = installed.partial_bytes(entry.id)
    assert 10_000_000 < kept < entry.size_bytes
    assert installed.find_installed(entry.id) is None and installed.state(entry) == "partial"
    assert entry.id not in [m.id for m in installed.installed_models()]
    hub_server.rate_bytes_per_s = None
    before = len(hub_server.requests)
    model = downloads.download(entry, endpoint=hub_server.endpoint)
    assert hub_server.ranges() == [f"bytes={kept}-"]
    # bytes of the resuming requests only: the cancelled request's handler may still be writing into its socket
    assert sum(hub_server.served[before:]) == entry.size_bytes - kept
    assert model.sha256 == entry.sha256 and installed.state(entry) == "installed"


def test_cancel_during_a_stall_lands_within_a_second(hub_server, hub_catalog):
    entry = hub_catalog["llm"]
    hub_server.stall_at = 2_000_000
    cancel = threading.Event()
    timer = threading.Timer(1.0, cancel.set)
    timer.start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        downloads.download(entry, endpoint=hub_server.endpoint, cancel=cancel)
    assert time.monotonic() - started < 2.0  # 1 s until set, then within a second
    timer.join()
    assert installed.partial_bytes(entry.id) == 2_000_000


def test_corrupt_bytes_are_refused_and_removed(hub_server, hub_catalog):
    entry = hub_catalog["llm"]
    hub_server.corrupt = True
    with pytest.raises(DownloadError) as caught:
        downloads.download(entry, endpoint=hub_server.endpoint)
    sha = entry.sha256
    assert caught.value.kind == "checksum"
    assert caught.value.message.startswith(f"the download of test-smollm2 is damaged ({entry.name}: the hub's sha256 "
                                           f"is {sha[:12]}…, the file's ")
    assert caught.value.message.endswith("…), so it was deleted; try again")
    assert installed.partial_bytes(entry.id) == 0 and installed.find_installed(entry.id) is None
    assert files_under(installed.models_dir()) == [f".partial/{entry.id}.lock"]  # nothing of it is kept


def test_the_catalogs_sha256_is_checked_too(hub_server, hub_catalog):
    from dataclasses import replace

    entry = replace(hub_catalog["llm"], sha256="0" * 64)
    with pytest.raises(DownloadError, match="the catalog's sha256 is 000000000000…") as caught:
        downloads.download(entry, endpoint=hub_server.endpoint)
    assert caught.value.kind == "checksum" and installed.find_installed(entry.id) is None


def test_not_enough_space_is_refused_before_any_byte(hub_server, hub_catalog, monkeypatch):
    entry = hub_catalog["llm"]
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(downloads.shutil, "disk_usage", lambda path: usage(10**12, 10**12 - 300_000_000, 300_000_000))
    with pytest.raises(NotEnoughSpaceError) as caught:
        downloads.download(entry, endpoint=hub_server.endpoint)
    error = caught.value
    assert (error.needed_bytes, error.free_bytes, error.margin_bytes) == (entry.size_bytes, 300_000_000, 256 * 2**20)
    assert error.message == (f"not enough free space to download test-smollm2 into {installed.models_dir()}: it needs "
                             f"93.8 MiB plus a margin of 256 MiB, and 286.1 MiB is free; free some space and "
                             f"try again")
    assert [m for m, _, _ in hub_server.requests] == ["HEAD"]
    assert downloads.space_margin(10 * 2**30) == int(10 * 2**30 * 0.05)


def test_a_full_disk_mid_download_leaves_nothing_installed(hub_server, hub_catalog, monkeypatch):
    entry = hub_catalog["llm"]
    written = []
    real_append = downloads._append

    def append(handle, data):
        if sum(written) > 20_000_000:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(len(data))
        real_append(handle, data)

    monkeypatch.setattr(downloads, "_append", append)
    with pytest.raises(DownloadError) as caught:
        downloads.download(entry, endpoint=hub_server.endpoint)
    assert caught.value.kind == "disk full"
    assert caught.value.message == (f"the disk filled up while downloading test-smollm2 into {installed.models_dir()}; "
                                    f"the partial download was deleted to free the space: free at least 93.8 MiB "
                                    f"and try again")
    assert files_under(installed.models_dir()) == [f".partial/{entry.id}.lock"]  # an empty lock file, no bytes
    assert [m.id for m in installed.installed_models() if m.how != "bundled"] == []


@pytest.mark.parametrize("status, kind, sentence", [
    (404, "not found", "cannot download test-smollm2: HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/"
                       "SmolLM2-135M-Instruct.Q4_1.gguf was not found on {host} (HTTP 404); check the hub endpoint "
                       "(mirror) setting, or import a copy you have with `hearsay models import PATH`"),
    (401, "access", "cannot download test-smollm2: {host} refused access to HuggingFaceTB/SmolLM2-135M-Instruct-GGUF "
                    "(HTTP 401), it is gated or private; accept its licence on the hub's page and give Hearsay an "
                    "access token (Settings, or the HF_TOKEN environment variable)"),
    (500, "server", "cannot download test-smollm2: the hub at {host} failed (HTTP 500); try again later: the "
                    "download resumes from where it stopped"),
])
def test_http_errors_give_one_sentence(hub_server, hub_catalog, status, kind, sentence):
    hub_server.status = status
    with pytest.raises(DownloadError) as caught:
        downloads.download(hub_catalog["llm"], endpoint=hub_server.endpoint)
    host = hub_server.endpoint.removeprefix("http://")
    assert (caught.value.kind, caught.value.message) == (kind, sentence.format(host=host))
    assert caught.value.model_id == "test-smollm2"


def test_an_error_mid_file_keeps_the_partial_for_the_next_try(hub_server, hub_catalog):
    entry = hub_catalog["llm"]
    hub_server.stall_at = 5_000_000
    with pytest.raises(DownloadError) as caught:
        downloads.download(entry, endpoint=hub_server.endpoint, stall_seconds=0.5)
    host = hub_server.endpoint.removeprefix("http://")
    assert (caught.value.kind, caught.value.message) == (
        "stalled", f"the download of test-smollm2 stalled: no data from {host} for 0.5 s; try again: it resumes "
                   f"from where it stopped")
    assert installed.partial_bytes(entry.id) == 5_000_000
    hub_server.stall_at = None
    hub_server.release.set()
    downloads.download(entry, endpoint=hub_server.endpoint)
    assert hub_server.ranges() == ["bytes=5000000-"]


def test_connection_refused(hub_catalog, allow_loopback):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DownloadError) as caught:
        downloads.download(hub_catalog["llm"], endpoint=f"http://127.0.0.1:{port}")
    assert (caught.value.kind, caught.value.message) == (
        "refused", f"cannot download test-smollm2: 127.0.0.1:{port} refused the connection; check the hub endpoint "
                   f"(mirror) setting, or try again later")


def test_dns_failure(hub_catalog, monkeypatch):
    def no_such_host(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with pytest.raises(DownloadError) as caught:
        downloads.download(hub_catalog["llm"], endpoint="https://hub.example.invalid")
    assert (caught.value.kind, caught.value.message) == (
        "dns", "cannot download test-smollm2: the address of hub.example.invalid could not be found (DNS); check "
               "your internet connection or the hub endpoint (mirror) setting")


def test_no_route(hub_catalog, monkeypatch):
    def unreachable(self, address):
        raise OSError(errno.EHOSTUNREACH, "No route to host")

    monkeypatch.setattr(socket.socket, "connect", unreachable)
    with pytest.raises(DownloadError) as caught:
        downloads.download(hub_catalog["llm"], endpoint="http://10.255.255.1:8080")
    assert (caught.value.kind, caught.value.message) == (
        "no route", "cannot download test-smollm2: there is no route to 10.255.255.1:8080 (is this computer "
                    "online?); check your network connection")


def test_endpoint_semantics(monkeypatch):
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    assert downloads.hub_endpoint() == "https://huggingface.co"
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.com/")
    assert downloads.hub_endpoint() == "https://hf-mirror.com"
    assert downloads.hub_endpoint("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    with pytest.raises(DownloadError, match="the hub endpoint 'hf-mirror.com' is not an http"):
        downloads.hub_endpoint("hf-mirror.com")


def test_a_token_goes_to_the_hub_and_nowhere_else(hub_server, hub_catalog, monkeypatch):
    from app.core import logs, paths

    logs.setup_logging()
    token = "hf_secret_token_for_the_test"
    monkeypatch.setenv("HF_TOKEN", token)
    downloads.download(hub_catalog["llm"], endpoint=hub_server.endpoint)
    assert hub_server.authorizations == [f"Bearer {token}"] * 2
    for file in [*paths.log_dir().rglob("*"), *paths.config_dir().rglob("*"), *installed.models_dir().rglob("*.json")]:
        if file.is_file():
            assert token not in file.read_text("utf-8", errors="replace"), file


def test_a_partial_of_a_file_the_hub_replaced_starts_again(hub_server, hub_catalog):
    entry = hub_catalog["llm"]
    staging = installed.partial_dir(entry.id)
    staging.mkdir(parents=True)
    (staging / entry.name).write_bytes(b"x" * 1000)
    (staging / downloads.RECORD).write_text(json.dumps({"files": {entry.name: "f" * 64}}), "utf-8")
    model = downloads.download(entry, endpoint=hub_server.endpoint)
    assert hub_server.ranges() == [] and model.sha256 == entry.sha256


def test_one_download_per_model_at_a_time(hub_server, hub_catalog):
    from filelock import FileLock

    entry = hub_catalog["llm"]
    installed.partial_dir(entry.id).parent.mkdir(parents=True)
    other = FileLock(installed.partial_dir(entry.id).parent / f"{entry.id}.lock")  # as another process holds it
    with other:
        with pytest.raises(DownloadError) as caught:
            downloads.download(entry, endpoint=hub_server.endpoint)
    assert (caught.value.kind, caught.value.message) == (
        "busy", "test-smollm2 is already being downloaded by another Hearsay window or command; wait for it to finish")
    assert hub_server.requests == []
    assert downloads.download(entry, endpoint=hub_server.endpoint).sha256 == entry.sha256


def test_a_server_that_ignores_the_range_gets_the_file_from_the_start(hub_server, hub_catalog):
    entry = hub_catalog["llm"]
    staging = installed.partial_dir(entry.id)
    staging.mkdir(parents=True)
    with open(hub_server.files[entry.hf_repo][entry.name], "rb") as original:
        (staging / entry.name).write_bytes(original.read(1_000_000))
    (staging / downloads.RECORD).write_text(json.dumps({"files": {entry.name: entry.sha256}}), "utf-8")
    hub_server.ignore_range = True
    model = downloads.download(entry, endpoint=hub_server.endpoint)
    assert hub_server.ranges() == ["bytes=1000000-"] and hub_server.bytes_served == entry.size_bytes
    assert model.sha256 == entry.sha256


def test_a_redirect_to_another_host_as_huggingface_co_makes_for_lfs_files(hub_server, hub_catalog, monkeypatch):
    """huggingface.co answers a large file's resolve URL with a 302 to its CDN, carrying the size and sha256 in
    X-Linked-Size / X-Linked-Etag: the download takes them from the 302, fetches (and resumes) the bytes from the
    other host, and sends the access token to the hub only, never to the CDN (as huggingface_hub does)."""
    token = "hf_secret_token_for_the_cdn_test"
    monkeypatch.setenv("HF_TOKEN", token)
    hub_server.cdn_redirect = True
    entry = hub_catalog["llm"]
    hub_server.drop_at = entry.size_bytes // 3
    model = downloads.download(entry, endpoint=hub_server.endpoint)
    assert model.sha256 == entry.sha256 and hashlib.sha256(model.path.read_bytes()).hexdigest() == entry.sha256
    cdn = hub_server.cdn_requests()
    assert cdn and all(method == "GET" for method, _ in cdn) and all(auth is None for _, auth in cdn), cdn
    hub_auth = [auth for (_, path, _), auth in zip(hub_server.requests, hub_server.authorizations)
                if "/resolve/" in path]
    assert hub_auth and set(hub_auth) == {f"Bearer {token}"}
    cdn_ranges = [r for method, path, r in hub_server.requests if path.startswith("/cdn/") and r]
    assert cdn_ranges == [f"bytes={entry.size_bytes // 3}-"]  # the drop resumed from the CDN, once
