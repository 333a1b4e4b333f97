"""The shared frontier in Redis: scrapy-redis's queue and dupefilter, with leases on top.

One frontier per archive: every key starts with ``fanzha:<archive id>:`` (a hash of the
archive's database URL), so two archives can share one Redis. Per site ``S``:

- ``q:S``        scrapy-redis ``PriorityQueue`` (a sorted set of pickled requests);
- ``df:S``       scrapy-redis ``RFPDupeFilter`` (fingerprints of requests enqueued);
- ``lease:S``    leased requests: member = the pickled request, score = lease expiry;
- ``owner:S``    which worker holds each lease (hash, for ``fanzha status``);
- ``slot:S``     the site's politeness slot: requests being downloaded by any worker;
- ``next:S``     the earliest time the site's next download may start (its delay).

Plus ``profiles`` (site key -> profile JSON: workers need no sites file), ``sites``,
``done``/``failed`` counters per site, and ``workers`` (worker -> last heartbeat).

A pop moves a request from ``q:S`` to ``lease:S`` in one Lua script; the worker acks
it once what it produced is committed to the archive. A lease that runs out (its
worker was killed) goes back into ``q:S`` on the next pop by any worker. Redis keeps
nothing on disk here: the archive (seen URLs, content hashes) is the truth, this is
a cache that ``fanzha enqueue`` rebuilds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
from collections import deque
from typing import Any, TypedDict

from scrapy import Request
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from .errors import CrawlerError

log = logging.getLogger(__name__)

LEASE_META = "fz_lease"  # request.meta key: the pickled request as leased (for the ack)


class SiteQueue(TypedDict):
    """One site's requests in the frontier."""

    queued: int  # waiting to be leased
    leased: int  # held by a worker now
    done: int
    failed: int


class Beat(TypedDict):
    """What a worker reports with each heartbeat (``WorkerContext.tick``)."""

    host: str
    pid: int
    run: int  # its crawl_run
    pages: int
    sites: dict[str, Any]  # per-site figures, ``SiteFigures.as_json``


class LiveWorker(Beat):
    """A worker whose last heartbeat is recent."""

    worker: str  # host:pid
    heartbeat: float  # its time (Unix seconds)
    age: float  # seconds since


class Lease(TypedDict):
    """A request a worker holds: it returns to the queue if not acked by then."""

    site: str
    url: str
    worker: str
    expires_in: float  # seconds


class FrontierStatus(TypedDict):
    """``fanzha status --json`` and the web runs page: the frontier per site, the live
    workers with their last heartbeat, the current leases."""

    prefix: str
    sites: dict[str, SiteQueue]
    workers: list[LiveWorker]
    leases: list[Lease]


class FrontierError(CrawlerError):
    """Redis cannot be reached, or the archive cannot be crawled in distributed mode."""


def redis_url(given: str | None = None) -> str:
    url = given or os.environ.get("FANZHA_REDIS")
    if not url:
        raise FrontierError("no Redis frontier: give --redis URL or set FANZHA_REDIS")
    return url


def connect(url: str) -> Any:
    """A Redis client for ``url`` (bytes responses, as scrapy-redis expects)."""
    import redis

    try:
        server = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
        server.ping()
    except (redis.RedisError, ValueError) as exc:
        raise FrontierError(f"Redis at {url} does not answer: {exc}") from None
    return server


def archive_prefix(db_url: str) -> str:
    """The key prefix of one archive's frontier (its URL hashed, password left out)."""
    from sqlalchemy.engine import make_url

    shown = make_url(db_url).render_as_string(hide_password=True)
    return "fanzha:" + hashlib.sha1(shown.encode()).hexdigest()[:12]


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# pop: first re-queue the expired leases (their worker died), then lease the best request
_POP = """
local q, lease, owner = KEYS[1], KEYS[2], KEYS[3]
local now, expiry, who = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local expired = redis.call('ZRANGEBYSCORE', lease, '-inf', now, 'LIMIT', 0, 100)
for _, data in ipairs(expired) do
  redis.call('ZREM', lease, data)
  redis.call('HDEL', owner, data)
  redis.call('ZADD', q, -1000, data)
end
local top = redis.call('ZRANGE', q, 0, 0)
if #top == 0 then return nil end
redis.call('ZREM', q, top[1])
redis.call('ZADD', lease, expiry, top[1])
redis.call('HSET', owner, top[1], who)
return top[1]
"""

# slot: take one of the site's `limit` download slots when its delay has passed
_SLOT = """
local slot, nxt = KEYS[1], KEYS[2]
local now, limit, delay, token, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]),
  tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', slot, '-inf', now)
if redis.call('ZCARD', slot) >= limit then return 0 end
local t = tonumber(redis.call('GET', nxt) or '0')
if now < t then return 0 end
redis.call('ZADD', slot, now + ttl, token)
redis.call('SET', nxt, tostring(now + delay), 'EX', 3600)
return 1
"""


# A link is marked seen and queued in one step: as two calls, a worker killed between
# them left the link seen by every worker and queued by none (an article lost).
_PUSH_NEW = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  return 1
end
return 0
"""


class Frontier:
    """One archive's frontier in one Redis."""

    def __init__(self, server: Any, prefix: str, lease_seconds: float = 300.0) -> None:
        self.server = server
        self.prefix = prefix
        self.lease_seconds = lease_seconds
        self.held: dict[str, set[bytes]] = {}  # this process's leases, renewed until acked
        self._pop = server.register_script(_POP)
        self._slot = server.register_script(_SLOT)
        self._push_new = server.register_script(_PUSH_NEW)

    @classmethod
    def open(cls, url: str | None, db_url: str, lease_seconds: float = 300.0) -> Frontier:
        return cls(connect(redis_url(url)), archive_prefix(db_url), lease_seconds)

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # -- profiles travel with the frontier -------------------------------------------
    def put_profiles(self, profiles: list[Any]) -> None:
        mapping = {p.key: json.dumps(p.as_json(), ensure_ascii=False) for p in profiles}
        if mapping:
            self.server.hset(self.key("profiles"), mapping=mapping)
            self.server.sadd(self.key("sites"), *mapping)

    def profiles(self) -> list[Any]:
        from .profiles import SiteProfile

        raw = self.server.hgetall(self.key("profiles"))
        return [SiteProfile(**json.loads(v)) for _, v in sorted(raw.items())]

    def sites(self) -> list[str]:
        return sorted(s.decode() for s in self.server.smembers(self.key("sites")))

    # -- requests ----------------------------------------------------------------------
    def queue(self, spider: Any) -> LeasedQueue:
        return LeasedQueue(self, spider)

    def dupefilter(self, site: str) -> RFPDupeFilter:
        return RFPDupeFilter(self.server, key=self.key("df", site))

    def push_new(self, site: str, fingerprint: str, score: float, data: bytes) -> bool:
        """Queue ``data`` unless its fingerprint was seen; both in one atomic step."""
        keys = [self.key("df", site), self.key("q", site)]
        return bool(self._push_new(keys=keys, args=[fingerprint, score, data]))

    def pop(self, site: str, who: str) -> bytes | None:
        now = time.time()
        keys = [self.key("q", site), self.key("lease", site), self.key("owner", site)]
        return self._pop(keys=keys, args=[now, now + self.lease_seconds, who])

    def renew(self, site: str, leased: list[bytes]) -> None:
        if leased:
            expiry = time.time() + self.lease_seconds
            self.server.zadd(self.key("lease", site), dict.fromkeys(leased, expiry), xx=True)

    def ack(self, site: str, leased: list[bytes], failed: int = 0) -> None:
        """Leases done: their results are committed to the archive."""
        if not leased:
            return
        self.held.get(site, set()).difference_update(leased)
        pipe = self.server.pipeline()
        pipe.zrem(self.key("lease", site), *leased)
        pipe.hdel(self.key("owner", site), *leased)
        pipe.hincrby(self.key("done"), site, len(leased))
        if failed:
            pipe.hincrby(self.key("failed"), site, failed)
        pipe.execute()

    def pending(self, site: str) -> int:
        """Requests queued or leased (by any worker) for ``site``."""
        pipe = self.server.pipeline()
        pipe.zcard(self.key("q", site))
        pipe.zcard(self.key("lease", site))
        return sum(pipe.execute())

    def reset_site(self, site: str) -> None:
        """A new run of ``site``: forget the fingerprints and counters of the last one."""
        pipe = self.server.pipeline()
        pipe.delete(self.key("df", site))
        pipe.hdel(self.key("done"), site)
        pipe.hdel(self.key("failed"), site)
        pipe.execute()

    # -- politeness --------------------------------------------------------------------
    def take_slot(self, site: str, limit: int, delay: float, token: str, ttl: float) -> bool:
        keys = [self.key("slot", site), self.key("next", site)]
        return bool(self._slot(keys=keys, args=[time.time(), limit, delay, token, ttl]))

    def give_slot(self, site: str, token: str) -> None:
        self.server.zrem(self.key("slot", site), token)

    # -- workers and status ------------------------------------------------------------
    def heartbeat(self, who: str, info: Beat) -> None:
        data = json.dumps({**info, "heartbeat": time.time()})
        self.server.hset(self.key("workers"), who, data)

    def leave(self, who: str) -> None:
        self.server.hdel(self.key("workers"), who)

    def status(self, stale_after: float = 60.0) -> FrontierStatus:
        """The frontier per site, the live workers and the current leases."""
        sites: dict[str, SiteQueue] = {}
        leases: list[Lease] = []
        done = {k.decode(): int(v) for k, v in self.server.hgetall(self.key("done")).items()}
        failed = {k.decode(): int(v) for k, v in self.server.hgetall(self.key("failed")).items()}
        for site in self.sites():
            owners = self.server.hgetall(self.key("owner", site))
            for data, expiry in self.server.zrange(self.key("lease", site), 0, -1, withscores=True):
                leases.append(
                    {
                        "site": site,
                        "url": _request_url(data),
                        "worker": (owners.get(data) or b"").decode(),
                        "expires_in": round(expiry - time.time(), 1),
                    }
                )
            sites[site] = {
                "queued": self.server.zcard(self.key("q", site)),
                "leased": self.server.zcard(self.key("lease", site)),
                "done": done.get(site, 0),
                "failed": failed.get(site, 0),
            }
        now = time.time()
        workers: list[LiveWorker] = []
        for who, raw in sorted(self.server.hgetall(self.key("workers")).items()):
            info = json.loads(raw)
            age = now - info.get("heartbeat", 0)
            if age <= stale_after:
                workers.append({"worker": who.decode(), **info, "age": round(age, 1)})
        return {"prefix": self.prefix, "sites": sites, "workers": workers, "leases": leases}

    def idle(self) -> bool:
        return all(self.pending(s) == 0 for s in self.sites())


def _request_url(data: bytes) -> str:
    try:
        return str(picklecompat.loads(data).get("url", ""))
    except Exception:  # an unreadable entry is shown, not fatal
        return "?"


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop is a lease (see ``Frontier.pop``)."""

    def __init__(self, frontier: Frontier, spider: Any) -> None:
        super().__init__(frontier.server, spider, frontier.key("q", spider.key))
        self.frontier = frontier
        self.site = spider.key
        self.who = worker_id()

    def pop(self, timeout: int = 0) -> Request | None:
        data = self.frontier.pop(self.site, self.who)
        if data is None:
            return None
        request = self._decode_request(data)
        request.meta[LEASE_META] = data
        self.frontier.held.setdefault(self.site, set()).add(data)
        return request


class LeasedScheduler(Scheduler):
    """scrapy-redis's scheduler on the per-site frontier, with leases.

    Requests that carry an unserialisable object (the pages gathered so far of an
    article split over pages, ``meta["split"]``) stay in a local queue: a chain is
    finished by the worker that started it; if that worker dies, the first page's
    lease runs out and the whole article is fetched again.
    """

    frontier: Frontier

    @classmethod
    def from_crawler(cls, crawler: Any) -> LeasedScheduler:
        from .context import get_context

        ctx = get_context(crawler.settings)
        frontier = ctx.frontier  # type: ignore[attr-defined]
        sched = cls(server=frontier.server, persist=True, idle_before_close=0)
        sched.frontier = frontier
        sched.stats = crawler.stats
        return sched

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.local: deque[Request] = deque()

    def open(self, spider: Any) -> None:
        self.spider = spider
        self.queue = self.frontier.queue(spider)
        self.df = self.frontier.dupefilter(spider.key)

    def close(self, reason: str) -> None:
        """Keep the shared queue and fingerprints: other workers go on with them."""

    def enqueue_request(self, request: Request) -> bool:
        if "split" in request.meta or LEASE_META in request.meta:
            # a split article's next page, or a retry/redirect of a leased request:
            # finished here, under the lease this worker holds
            self.local.append(request)
            return True
        # False: another worker (or this one) has it already
        return self.frontier.push_new(
            self.spider.key,
            self.df.request_fingerprint(request),
            -request.priority,
            self.queue._encode_request(request),  # scrapy-redis's own serialiser
        )

    def next_request(self) -> Request | None:
        if self.local:
            return self.local.popleft()
        return self.queue.pop()

    def has_pending_requests(self) -> bool:
        """Also while other workers hold leases of the site: one that runs out comes
        back through ``next_request`` (and a live one may still yield requests)."""
        return bool(self.local) or self.frontier.pending(self.spider.key) > 0
