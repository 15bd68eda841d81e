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
        path = cache.path(name)
        path.write_bytes(b"x" * 1000)
        os.utime(path, (now - age * 60, now - age * 60))
    assert cache.total_bytes() == 3000
    removed = cache.evict()
    assert [p.name for p in removed] == [cache.path("oldest").name]
    assert cache.total_bytes() == 2000 and cache.path("newest").exists()


def test_an_empty_or_missing_folder_is_fine(tmp_path):
    cache = PrefixStateCache(tmp_path / "not-yet")
    assert cache.total_bytes() == 0 and cache.evict() == []
