"""Fetching a URL an editor pasted, without letting it reach inside the network.

The check page fetches whatever URL it is given, so the URL is hostile input: only
http and https; the host is resolved and EVERY address it resolves to must be a
public one (no private, loopback, link-local, multicast, reserved or unspecified
address) unless the configuration allows private fetches; redirects are followed
by hand, each hop checked the same way; the body is capped in size and the whole
fetch in time.

Known limit: the address is checked before httpx connects, which resolves again;
a DNS server that answers differently the second time (DNS rebinding) is not
defended against here.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from ..errors import FanzhaError

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 10.0
MAX_REDIRECTS = 5
USER_AGENT = "fanzha-check/0.1 (+anti-fraud bulletin archive)"


class FetchRefused(FanzhaError):
    """The URL may not be fetched (scheme, address) or the fetch failed."""


@dataclass
class Fetched:
    url: str
    status: int
    content_type: str
    body: bytes


def _blocked(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
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


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Raise FetchRefused unless ``url`` is http(s) to a host with only public addresses."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchRefused(f"not a valid URL: {url!r} ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchRefused(
            f"only http and https URLs can be fetched, not {parts.scheme or 'a bare'!r} ones"
        )
    host = parts.hostname
    if not host:
        raise FetchRefused(f"URL {url!r} names no host")
    if parts.username or parts.password:
        raise FetchRefused("URLs with a user name or password are not fetched")
    try:
        infos = socket.getaddrinfo(host, port or 80, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchRefused(f"cannot resolve host {host!r}: {exc}") from None
    if allow_private:
        return
    for info in infos:
        addr = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if _blocked(addr):
            raise FetchRefused(
                f"refusing to fetch {host}: it resolves to the non-public address {addr} "
                "(set FANZHA_ALLOW_PRIVATE_FETCH=1 to allow)"
            )


def fetch(
    url: str, *, allow_private: bool = False, max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT
) -> Fetched:
    """GET ``url`` safely (see the module doc); FetchRefused on any refusal or failure."""
    current = url.strip()
    deadline = time.monotonic() + timeout
    with httpx.Client(
        follow_redirects=False,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT},
        trust_env=False,
    ) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(current, allow_private=allow_private)
            try:
                with client.stream("GET", current) as resp:
                    if resp.is_redirect and "location" in resp.headers:
                        current = urljoin(current, resp.headers["location"])
                        continue
                    declared = resp.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise FetchRefused(f"{current}: page larger than {max_bytes} bytes")
                    body = bytearray()
                    for chunk in resp.iter_bytes():
                        body.extend(chunk)
                        if time.monotonic() > deadline:
                            raise httpx.ReadTimeout("overall deadline passed")
                        if len(body) > max_bytes:
                            raise FetchRefused(f"{current}: page larger than {max_bytes} bytes")
                    if resp.status_code >= 400:
                        raise FetchRefused(
                            f"{current}: the server answered HTTP {resp.status_code}"
                        )
                    return Fetched(
                        current, resp.status_code, resp.headers.get("content-type", ""), bytes(body)
                    )
            except httpx.TimeoutException:
                raise FetchRefused(f"{current}: no answer within {timeout:g} seconds") from None
            except httpx.HTTPError as exc:
                raise FetchRefused(f"{current}: {type(exc).__name__}: {exc}") from None
    raise FetchRefused(f"{url}: more than {MAX_REDIRECTS} redirects")
