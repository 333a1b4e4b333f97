"""Fetching a URL given to "check", without letting it reach inside the network.

The URL comes from whoever uses the check page or ``fanzha check``, so it is hostile
input:

- only http and https; no user name or password in the URL (never sent);
- the host is resolved once and EVERY address must be public (no private, loopback,
  link-local, multicast, reserved or unspecified one) unless private fetches are
  explicitly allowed (``FANZHA_ALLOW_PRIVATE_FETCH=1``, ``fanzha check --allow-private``);
- the connection goes to an address of that one look-up (pinned: no second DNS
  look-up that a rebinding DNS server could answer differently), while the Host
  header and the TLS server name stay the URL's host;
- redirects are followed by hand, each hop checked the same way;
- one deadline covers the whole fetch (look-up, connect, TLS, headers, body, every
  redirect): every socket operation waits at most the time left, so a server that
  trickles its headers a byte at a time is cut off at the deadline;
- the body is capped in size, and a ``Fetcher`` runs at most ``max_concurrent``
  fetches at once, refusing more at once (``FetchBusy``) rather than queueing them,
  so slow servers cannot take every worker thread of the web app.

httpcore (under httpx) does the HTTP; this module gives it a network backend that
connects to the pinned addresses and bounds every wait by the deadline.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import threading
import time
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpcore
import httpx

from ..errors import FanzhaError

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 10.0
MAX_REDIRECTS = 5
MAX_CONCURRENT = 4
USER_AGENT = "fanzha-check/0.1 (+anti-fraud bulletin archive)"
REDIRECTS = (301, 302, 303, 307, 308)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
"""``(host, port) -> IP addresses`` (as text); raises OSError when the name is unknown."""


class FetchRefused(FanzhaError):
    """The URL may not be fetched (scheme, address) or the fetch failed."""


class FetchBusy(FetchRefused):
    """Too many fetches are running already; the caller may try again shortly."""


@dataclass
class Fetched:
    url: str
    status: int
    content_type: str
    body: bytes


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host`` (duplicates removed)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def blocked(addr: IPAddress) -> bool:
    """True for any address that is not plainly public (see the module doc)."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
        or not addr.is_global
    )


class _Deadline:
    """The time left of one fetch; every wait asks it (and fails once it is over)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self, error: type[Exception] = httpcore.ReadTimeout) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise error(f"overall deadline of {self.seconds:g} s passed")
        return remaining


class _BoundedStream(httpcore.NetworkStream):
    """A network stream whose every read, write and TLS handshake waits at most the
    time left before the deadline (httpcore's own time-outs apply per operation)."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.left(httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.left(httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: typing.Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = self._deadline.left(httpcore.ConnectTimeout)
        return _BoundedStream(
            self._inner.start_tls(ssl_context, server_hostname, left), self._deadline
        )

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects to the checked addresses, never to whatever the host name resolves to
    now; httpcore still sends the URL's host as Host header and TLS server name."""

    def __init__(self, addresses: list[str], deadline: _Deadline) -> None:
        self._addresses = addresses
        self._deadline = deadline
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        error: Exception = httpcore.ConnectError(f"no address to connect to for {host}")
        for address in self._addresses:
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    timeout=self._deadline.left(httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:  # try the next address of the host
                error = exc
                continue
            return _BoundedStream(stream, self._deadline)
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: typing.Any = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, self._deadline.left()))


@dataclass
class Fetcher:
    """Fetches hostile URLs safely (see the module doc); one per app or command.

    ``resolve`` is the host name look-up (the system's by default) and ``is_blocked``
    the address policy (``blocked``); tests give their own to play a public site on
    loopback. ``max_concurrent`` fetches may run at once in this fetcher; one more is
    refused with ``FetchBusy``.
    """

    allow_private: bool = False
    timeout: float = TIMEOUT
    max_bytes: int = MAX_BYTES
    max_concurrent: int = MAX_CONCURRENT
    resolve: Resolver = system_resolver
    is_blocked: Callable[[IPAddress], bool] = blocked
    ssl_context: ssl.SSLContext | None = None  # None: httpcore's (certifi's CAs)
    _slots: threading.BoundedSemaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(max(1, self.max_concurrent))

    def check_url(self, url: str, deadline: _Deadline | None = None) -> list[str]:
        """The addresses to connect to for ``url``; FetchRefused unless it may be fetched."""
        try:
            parsed = httpx.URL(url.strip())
            port = parsed.port
            if port is not None and not 0 < port < 65536:
                raise ValueError(f"port {port} out of range")
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            raise FetchRefused(f"not a valid URL: {url!r} ({exc})") from None
        scheme = parsed.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchRefused(
                f"only http and https URLs can be fetched, not {scheme or 'a bare'!r} ones"
            )
        if not parsed.host:
            raise FetchRefused(f"URL {url!r} names no host")
        if parsed.userinfo:
            raise FetchRefused("URLs with a user name or password are not fetched")
        host = parsed.raw_host.decode("ascii")
        port = port or (443 if scheme == "https" else 80)
        addresses = self._lookup(host, port, deadline or _Deadline(self.timeout))
        if not addresses:
            raise FetchRefused(f"cannot resolve host {parsed.host!r}: no address")
        for text in addresses:
            addr = ipaddress.ip_address(text.split("%", 1)[0])
            if not self.allow_private and self.is_blocked(addr):
                raise FetchRefused(
                    f"refusing to fetch {parsed.host}: it resolves to the non-public address "
                    f"{addr} (set FANZHA_ALLOW_PRIVATE_FETCH=1 or give --allow-private to allow)"
                )
        return addresses

    def _lookup(self, host: str, port: int, deadline: _Deadline) -> list[str]:
        """``resolve`` within the deadline (a look-up thread left behind ends on its own)."""
        try:
            ipaddress.ip_address(host)
            return [host]
        except ValueError:
            pass
        box: dict[str, typing.Any] = {}

        def run() -> None:
            try:
                box["addresses"] = self.resolve(host, port)
            except (OSError, UnicodeError) as exc:
                box["error"] = exc

        worker = threading.Thread(target=run, name=f"resolve {host}", daemon=True)
        worker.start()
        with contextlib.suppress(httpcore.ConnectTimeout):  # the deadline is over already
            worker.join(deadline.left(httpcore.ConnectTimeout))
        if worker.is_alive():
            raise FetchRefused(f"cannot resolve host {host!r} within {self.timeout:g} seconds")
        if "error" in box:
            raise FetchRefused(f"cannot resolve host {host!r}: {box['error']}")
        return list(box["addresses"])

    def fetch(self, url: str) -> Fetched:
        """GET ``url`` (see the module doc); FetchRefused on any refusal or failure,
        FetchBusy when ``max_concurrent`` fetches are running already."""
        if not self._slots.acquire(blocking=False):
            raise FetchBusy(
                f"{self.max_concurrent} URL checks are running already; try again in a few seconds"
            )
        try:
            return self._fetch(url.strip(), _Deadline(self.timeout))
        finally:
            self._slots.release()

    def _fetch(self, url: str, deadline: _Deadline) -> Fetched:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            addresses = self.check_url(current, deadline)
            try:
                got = self._get(current, addresses, deadline)
            except httpcore.TimeoutException:
                raise FetchRefused(
                    f"{current}: no answer within {self.timeout:g} seconds"
                ) from None
            except (
                httpcore.NetworkError,
                httpcore.ProtocolError,
                httpcore.UnsupportedProtocol,
                OSError,
            ) as exc:
                raise FetchRefused(f"cannot fetch {current}: {type(exc).__name__}: {exc}") from None
            if isinstance(got, str):  # a redirect: check and follow its target
                current = urljoin(current, got)
                continue
            if got.status >= 400:
                raise FetchRefused(f"{current}: the server answered HTTP {got.status}")
            return got
        raise FetchRefused(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _get(self, url: str, addresses: list[str], deadline: _Deadline) -> Fetched | str:
        """One GET: the page, or the Location of a redirect."""
        backend = _PinnedBackend(addresses, deadline)
        headers = [(b"User-Agent", USER_AGENT.encode()), (b"Accept-Encoding", b"identity")]
        target = httpx.URL(url)
        with (
            httpcore.ConnectionPool(
                ssl_context=self.ssl_context, network_backend=backend, retries=0
            ) as pool,
            pool.stream(
                "GET",
                httpcore.URL(
                    scheme=target.raw_scheme,
                    host=target.raw_host,
                    port=target.port,
                    target=target.raw_path,
                ),
                headers=headers,
            ) as resp,
        ):
            fields = {
                k.decode("latin-1").lower(): v.decode("utf-8", "replace") for k, v in resp.headers
            }
            if resp.status in REDIRECTS and "location" in fields:
                return fields["location"]
            declared = fields.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchRefused(f"{url}: page larger than {self.max_bytes} bytes")
            body = bytearray()
            for chunk in resp.iter_stream():
                body.extend(chunk)
                if len(body) > self.max_bytes:
                    raise FetchRefused(f"{url}: page larger than {self.max_bytes} bytes")
            return Fetched(url, resp.status, fields.get("content-type", ""), bytes(body))
