"""The benchmark's Redis view: offerings and roadmaps as JSON values.

``PlatformCache`` guards each value by version with a Lua script and sends a batch in
one pipeline; with a cache that is not the real adapter it falls back to the plain
port (one guarded write per key), so it also runs embedded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

from adapters.redis.cache import RedisCache
from bench.domain import BenchPlatform
from bench.views.documents import OFFERING, ROADMAP, fold_documents
from ports.relational import SqlSession
from projections.contracts import ProjectedEvent, Projection

# Merges the fields in ARGV[2] into the JSON value at KEYS[1] unless that value's
# "_v" is already at version ARGV[1] or newer.
SET_IF_NEWER = """
local current = redis.call('GET', KEYS[1])
local doc = {}
if current then
  doc = cjson.decode(current)
  if tonumber(doc['_v']) >= tonumber(ARGV[1]) then return 0 end
end
for k, v in pairs(cjson.decode(ARGV[2])) do doc[k] = v end
doc['_v'] = tonumber(ARGV[1])
redis.call('SET', KEYS[1], cjson.encode(doc))
return 1
"""


class PlatformCache(Projection):
    """Offerings and roadmaps as JSON values in Redis, for fast reads."""

    name = "bench_platform_cache"
    sources = (BenchPlatform.name,)
    # Key namespace, so runs on a shared Redis never meet (see ``cache_projection``).
    namespace: ClassVar[str] = "bench"

    def setup(self, session: SqlSession) -> None:
        return None

    def prefix(self, kind: str) -> str:
        return self.names.key_prefix(f"{self.namespace}:{kind}")

    def apply(self, session: SqlSession, events: Sequence[ProjectedEvent]) -> None:
        changes = fold_documents(events)
        if not changes:
            return
        cache = self.ports.cache
        if isinstance(cache, RedisCache):
            script = cache.client.register_script(SET_IF_NEWER)
            with cache.client.pipeline(transaction=False) as pipe:
                for c in changes:
                    script(
                        keys=[self.prefix(c.kind) + c.doc_id],
                        args=[c.version, json.dumps(c.fields)],
                        client=pipe,
                    )
                pipe.execute()
            return
        for c in changes:  # any Cache, one key at a time
            key = self.prefix(c.kind) + c.doc_id
            stored = cache.get(key)
            doc: dict[str, Any] = json.loads(stored) if stored else {}
            if doc.get("_v", 0) >= c.version:
                continue
            doc.update(c.fields, _v=c.version)
            cache.set(key, json.dumps(doc).encode())

    def drop(self, session: SqlSession) -> None:
        cache = self.ports.cache
        for kind in (OFFERING, ROADMAP):
            keys = cache.keys(self.prefix(kind))
            for start in range(0, len(keys), 1000):
                cache.delete(*keys[start : start + 1000])


def cache_projection(namespace: str) -> type[PlatformCache]:
    """``PlatformCache`` writing under its own key namespace."""

    class NamespacedPlatformCache(PlatformCache):
        pass

    NamespacedPlatformCache.namespace = namespace
    return NamespacedPlatformCache
