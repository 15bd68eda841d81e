"""The on-disk store of prefix KV states: keys and the byte bound (the real save/restore is an integration test)."""

import os
import time

from app.core.llm.kv_states import PrefixStateCache


def test_keys_depend_on_model_and_every_token():
    key = PrefixStateCache.key("model-a", [1, 2, 3])
    assert key == PrefixStateCache.key("model-a", [1, 2, 3])
    assert key != PrefixStateCache.key("model-b", [1, 2, 3])
    assert key != PrefixStateCache.key("model-a", [1, 2, 4])
    assert key != PrefixStateCache.key("model-a", [1, 2])


def test_least_recently_used_states_go_first_when_over_the_bound(tmp_path):
    cache = PrefixStateCache(tmp_path, max_bytes=2500)
    now = time.time()
    for age, name in enumerate(["newest", "middle", "oldest"]):
        path = cache.path(name, "0" * 16)
        path.write_bytes(b"x" * 1000)
        os.utime(path, (now - age * 60, now - age * 60))
    assert cache.total_bytes() == 3000
    removed = cache.evict()
    assert [p.name for p in removed] == [cache.path("oldest", "0" * 16).name]
    assert cache.total_bytes() == 2000 and cache.path("newest", "0" * 16).exists()


def test_an_empty_or_missing_folder_is_fine(tmp_path):
    cache = PrefixStateCache(tmp_path / "not-yet")
    assert cache.total_bytes() == 0 and cache.evict() == []


def test_temp_files_left_by_a_killed_writer_are_removed_later(tmp_path):
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)  # that process has exited: its temp file is left over
    cache = PrefixStateCache(tmp_path)
    left_over = tmp_path / f"{'a' * 64}.{dead_pid}.tmp"
    being_written = tmp_path / f"{'b' * 64}.{os.getpid()}.tmp"  # a live writer's: kept
    ancient = tmp_path / f"{'c' * 64}.{os.getpid()}.tmp"  # a live pid, but hours old (a reused pid): removed
    for path in (left_over, being_written, ancient):
        path.write_bytes(b"x" * 10)
    hours_ago = time.time() - 3 * 3600
    os.utime(ancient, (hours_ago, hours_ago))
    cache.evict()
    assert sorted(p.name for p in tmp_path.iterdir()) == [being_written.name]


def test_stored_lists_the_states_of_a_key_newest_first_and_ignores_other_keys(tmp_path):
    cache = PrefixStateCache(tmp_path)
    older, newer, other = cache.path("k", "1" * 16), cache.path("k", "2" * 16), cache.path("j", "3" * 16)
    for age, path in enumerate((newer, older, other)):
        path.write_bytes(b"x")
        os.utime(path, (time.time() - age * 60, time.time() - age * 60))
    assert cache.stored("k") == [newer, older]
