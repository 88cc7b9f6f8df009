"""``servicedesk.cache.RedisCache``: Django's Redis cache keeping one client per server, on real Redis."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangosRedisCache

from servicedesk.cache import RedisCache
from tests.workers import dedicated_broker_url


def _cache() -> Any:
    return RedisCache(dedicated_broker_url(), {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})


def test_the_client_is_made_once_and_kept():
    cache = _cache()
    first = cache._cache.get_client()
    assert cache._cache.get_client() is first
    assert cache._cache.get_client(write=True) is first  # one server: reads and writes share it
    # Django's own makes a new one per call, which is what this saves
    django_cache: Any = DjangosRedisCache(dedicated_broker_url(), {})
    assert django_cache._cache.get_client() is not django_cache._cache.get_client()


def test_it_stores_reads_counts_and_deletes_as_djangos_does():
    cache = _cache()
    cache.set("a", {"b": [1, 2]}, 30)
    assert cache.get("a") == {"b": [1, 2]}
    assert cache.add("a", "other") is False
    assert cache.add("n", 0) is True
    assert cache.incr("n", 1) == 1
    assert cache.get_many(["a", "n", "missing"]) == {"a": {"b": [1, 2]}, "n": 1}
    cache.delete("a")
    assert cache.get("a", "gone") == "gone"


def test_threads_share_the_kept_client():
    cache = _cache()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                cache.set(f"k{n}-{i}", i, 30)
                assert cache.get(f"k{n}-{i}") == i
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache._cache._clients) == 1
