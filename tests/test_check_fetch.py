"""The guarded fetch of "check a URL" (``fanzha.checking.fetch``) against real servers
on loopback: one deadline for the whole fetch, a cap on fetches at once, redirects and
credentials, and the connection pinned to the address that was checked."""

from __future__ import annotations

import ipaddress
import ssl
import threading
import time

import pytest

from fanzha.checking import FetchBusy, Fetcher, FetchRefused

from .check_servers import recording_server, slow_header_server

PAGE = (200, {"Content-Type": "text/html; charset=utf-8"}, "<p>反诈提醒</p>".encode())


def only_127_0_0_1_is_public(addr) -> bool:
    """An address policy for the tests: 127.0.0.1 plays a public site, the rest of
    loopback (127.0.0.2…) the inside of the network."""
    return addr != ipaddress.ip_address("127.0.0.1")


def wait_for(condition, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.02)


def test_headers_sent_a_byte_at_a_time_are_cut_at_the_overall_deadline():
    with slow_header_server() as slow:
        fetcher = Fetcher(allow_private=True, timeout=1.0)
        started = time.monotonic()
        with pytest.raises(FetchRefused, match=r"no answer within 1 seconds"):
            fetcher.fetch(f"{slow.url}/page")
        # the deadline covers headers too (per-read time-outs never fire here: a byte
        # comes every 0.05 s); before, this took as long as the server kept sending
        assert time.monotonic() - started < 4
        assert slow.served == 1


def test_a_slow_name_lookup_counts_against_the_deadline():
    def stuck(host: str, port: int) -> list[str]:
        time.sleep(5)
        return ["127.0.0.1"]

    fetcher = Fetcher(allow_private=True, timeout=0.5, resolve=stuck)
    started = time.monotonic()
    with pytest.raises(FetchRefused, match=r"cannot resolve host 'slow\.test' within 0\.5"):
        fetcher.fetch("http://slow.test/")
    assert time.monotonic() - started < 3


def test_fetches_beyond_the_cap_are_refused_at_once_not_queued():
    with slow_header_server() as slow:
        fetcher = Fetcher(allow_private=True, timeout=20, max_concurrent=2)
        errors: list[Exception] = []

        def hold() -> None:
            try:
                fetcher.fetch(f"{slow.url}/page")
            except FetchRefused as exc:
                errors.append(exc)

        holders = [threading.Thread(target=hold) for _ in range(2)]
        for t in holders:
            t.start()
        wait_for(lambda: slow.open_connections == 2)
        with pytest.raises(FetchBusy, match="2 URL checks are running already"):
            fetcher.fetch(f"{slow.url}/page")
        assert slow.served == 2  # the refused fetch never connected
    for t in holders:
        t.join(10)
    assert len(errors) == 2  # ended by the server closing, well before the deadline
    with recording_server({"/": PAGE}) as site:  # the slots are free again
        assert fetcher.fetch(f"{site.url}/").status == 200


def test_redirects_into_the_network_are_refused():
    with recording_server({"/secret": PAGE}, host="127.0.0.2") as inside:
        routes = {
            "/to-inside": (302, {"Location": f"{inside.url}/secret"}, b""),
            "/to-ipv6-loopback": (302, {"Location": "http://[::1]:9/"}, b""),
            "/page": PAGE,
        }
        with recording_server(routes) as outside:
            fetcher = Fetcher(is_blocked=only_127_0_0_1_is_public)
            assert fetcher.fetch(f"{outside.url}/page").status == 200
            with pytest.raises(FetchRefused, match=r"non-public address 127\.0\.0\.2"):
                fetcher.fetch(f"{outside.url}/to-inside")
            with pytest.raises(FetchRefused, match=r"non-public address ::1"):
                fetcher.fetch(f"{outside.url}/to-ipv6-loopback")
            # the policy itself: loopback is refused with the real one
            with pytest.raises(FetchRefused, match=r"non-public address 127\.0\.0\.1"):
                Fetcher().fetch(f"{outside.url}/page")
        assert inside.requests == []  # nothing inside was asked


def test_url_credentials_are_never_sent():
    with recording_server({"/page": PAGE}) as site:
        host = site.url.removeprefix("http://")
        routes = {"/with-credentials": (302, {"Location": f"http://u:pw@{host}/page"}, b"")}
        with recording_server(routes) as redirector:
            fetcher = Fetcher(allow_private=True)
            with pytest.raises(FetchRefused, match="user name or password"):
                fetcher.fetch(f"http://user:secret@{host}/page")
            with pytest.raises(FetchRefused, match="user name or password"):
                fetcher.fetch(f"{redirector.url}/with-credentials")
            assert redirector.paths() == ["/with-credentials"]
        assert site.requests == []
        assert not any("authorization" in h for _, h in redirector.requests)


def test_the_connection_goes_to_the_address_that_was_checked():
    """DNS rebinding: the name is looked up once; a second look-up (which would give
    the inside address) never happens, the Host header stays the URL's."""
    with recording_server({"/page": PAGE}) as site:
        port = int(site.url.rsplit(":", 1)[1])
        with recording_server({"/page": PAGE}, host="127.0.0.2", port=port) as inside:
            asked: list[str] = []

            def rebinding(host: str, port: int) -> list[str]:
                asked.append(host)
                return ["127.0.0.1"] if len(asked) == 1 else ["127.0.0.2"]

            fetcher = Fetcher(is_blocked=only_127_0_0_1_is_public, resolve=rebinding)
            got = fetcher.fetch(f"http://bulletins.test:{port}/page")
            assert got.status == 200 and "反诈".encode() in got.body
            assert asked == ["bulletins.test"]
            assert site.paths() == ["/page"]
            assert site.requests[0][1]["host"] == f"bulletins.test:{port}"
            assert inside.requests == []


def test_a_pinned_https_connection_still_checks_the_certificate_of_the_url_host():
    """The connection goes to the checked address; TLS still names (and verifies) the
    URL's host, not the address."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)

    def serving(name: str) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(name).configure_cert(ctx)
        return ctx

    def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    fetcher = Fetcher(allow_private=True, resolve=resolve, ssl_context=client_tls)
    with recording_server({"/page": PAGE}, tls=serving("bulletins.test")) as site:
        port = site.url.rsplit(":", 1)[1]
        got = fetcher.fetch(f"https://bulletins.test:{port}/page")
        assert got.status == 200 and "反诈".encode() in got.body
        assert site.requests[0][1]["host"] == f"bulletins.test:{port}"
    with recording_server({"/page": PAGE}, tls=serving("other.test")) as site:
        port = site.url.rsplit(":", 1)[1]
        with pytest.raises(FetchRefused, match="CERTIFICATE_VERIFY_FAILED"):
            fetcher.fetch(f"https://bulletins.test:{port}/page")
        assert site.requests == []
