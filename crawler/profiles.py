"""Site profiles: what to crawl on each site, read from TOML ``[[site]]`` tables.

Built-in profiles ship in ``crawler/sites.toml``; a user file (``--sites FILE``) adds
profiles or replaces built-in ones key by key, as trafilatura's settings file does.
Only ``key``, ``name`` and ``start_urls`` are required; every other key has a default
and the spider copes without it. Validation is strict and its messages name the file,
the site and the bad key, and say what would be accepted.
"""

from __future__ import annotations

import codecs
import difflib
import re
import tomllib
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive.extract.html import SELECTOR_KEYS  # what the extractor honours

from .errors import ProfileError

KINDS = ("police", "news", "wechat", "blog")
RELEVANCE = ("keywords", "all")
BUILTIN_NAME = "sites.toml"
_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class SiteProfile:
    """One site to crawl. See docs/contracts.md "Configuration" and docs/crawling.md."""

    key: str
    name: str
    start_urls: list[str]
    kind: str = "news"
    allowed_domains: list[str] = field(default_factory=list)
    article_pattern: str | None = None
    follow_pattern: str | None = None
    deny_pattern: str | None = None
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    relevance: str = "keywords"
    max_pages: int = 500
    encoding: str | None = None
    download_delay: float | None = None
    #: requests at once to the site, over all workers of a distributed crawl (and per
    #: process in ``fanzha crawl``); None: the CONCURRENT_REQUESTS_PER_DOMAIN setting
    concurrency: int | None = None
    selectors: dict[str, str] = field(default_factory=dict)
    #: false: left out of ``crawl --all``, ``--sites FILE`` without keys and the nightly
    #: (still crawled when named)
    enabled: bool = True
    origin: str = "built-in"  # the file the profile came from

    @property
    def domains(self) -> list[str]:
        """allowed_domains, or the hosts of the start URLs, feeds and sitemaps."""
        if self.allowed_domains:
            return list(self.allowed_domains)
        hosts: list[str] = []
        for url in [*self.start_urls, *self.feeds, *self.sitemaps]:
            host = urlsplit(url).hostname
            if host and host not in hosts:
                hosts.append(host)
        return hosts

    def as_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["allowed_domains"] = self.domains
        return data


_FIELDS = {f.name for f in fields(SiteProfile)} - {"origin"}
_REQUIRED = ("key", "name", "start_urls")


def _fail(origin: str, where: str, message: str) -> ProfileError:
    return ProfileError(f"{origin}: {where}: {message}")


def _suggest(name: str, options: set[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, sorted(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _str_list(origin: str, where: str, key: str, value: Any, *, urls: bool = False) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(origin, where, f"{key} must be a list of strings, got {value!r}")
    out = [v.strip() for v in value]
    if urls:
        for url in out:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise _fail(origin, where, f"{key}: {url!r} is not an http(s) URL")
    return out


def _pattern(origin: str, where: str, key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _fail(origin, where, f"{key} must be a non-empty regular expression string")
    try:
        re.compile(value)
    except re.error as exc:
        raise _fail(
            origin, where, f"{key} {value!r} is not a valid regular expression: {exc}"
        ) from None
    return value


def parse_site(raw: Any, origin: str, index: int) -> SiteProfile:
    """Validate one ``[[site]]`` table into a SiteProfile."""
    where = f"[[site]] #{index + 1}"
    if not isinstance(raw, dict):
        raise _fail(origin, where, "must be a table of keys")
    if isinstance(raw.get("key"), str):
        where = f"site {raw['key']!r}"
    for key in raw:
        if key not in _FIELDS:
            raise _fail(origin, where, f"unknown key {key!r}{_suggest(key, _FIELDS)}")
    for key in _REQUIRED:
        if key not in raw:
            raise _fail(origin, where, f"missing required key {key!r}")
    key = raw["key"]
    if not isinstance(key, str) or not _KEY.match(key):
        raise _fail(origin, where, f"key {key!r} must be lowercase ascii letters, digits, _ . -")
    name = raw["name"]
    if not isinstance(name, str) or not name.strip():
        raise _fail(origin, where, "name must be a non-empty string")
    values: dict[str, Any] = {"key": key, "name": name.strip(), "origin": origin}
    values["start_urls"] = _str_list(origin, where, "start_urls", raw["start_urls"], urls=True)
    for list_key in ("feeds", "sitemaps"):
        if list_key in raw:
            values[list_key] = _str_list(origin, where, list_key, raw[list_key], urls=True)
    if not values["start_urls"] and not values.get("feeds") and not values.get("sitemaps"):
        raise _fail(origin, where, "start_urls is empty and there are no feeds or sitemaps")
    if "allowed_domains" in raw:
        domains = _str_list(origin, where, "allowed_domains", raw["allowed_domains"])
        bad = [d for d in domains if "/" in d or ":" in d]
        if bad:
            raise _fail(origin, where, f"allowed_domains wants host names, not URLs: {bad[0]!r}")
        values["allowed_domains"] = [d.lower().lstrip(".") for d in domains]
    for pat in ("article_pattern", "follow_pattern", "deny_pattern"):
        values[pat] = _pattern(origin, where, pat, raw.get(pat))
    if "kind" in raw:
        if raw["kind"] not in KINDS:
            raise _fail(origin, where, f"kind {raw['kind']!r} must be one of {', '.join(KINDS)}")
        values["kind"] = raw["kind"]
    if "relevance" in raw:
        if raw["relevance"] not in RELEVANCE:
            raise _fail(
                origin, where, f"relevance {raw['relevance']!r} must be 'keywords' or 'all'"
            )
        values["relevance"] = raw["relevance"]
    if "max_pages" in raw:
        mp = raw["max_pages"]
        if isinstance(mp, bool) or not isinstance(mp, int) or mp < 1:
            raise _fail(origin, where, f"max_pages must be a positive integer, got {mp!r}")
        values["max_pages"] = mp
    if "concurrency" in raw:
        cc = raw["concurrency"]
        if isinstance(cc, bool) or not isinstance(cc, int) or cc < 1:
            raise _fail(origin, where, f"concurrency must be a positive integer, got {cc!r}")
        values["concurrency"] = cc
    if "download_delay" in raw:
        dd = raw["download_delay"]
        if isinstance(dd, bool) or not isinstance(dd, int | float) or dd < 0:
            raise _fail(origin, where, f"download_delay must be seconds >= 0, got {dd!r}")
        values["download_delay"] = float(dd)
    if raw.get("encoding") is not None:
        enc = raw["encoding"]
        try:
            codecs.lookup(str(enc))
        except LookupError:
            raise _fail(origin, where, f"encoding {enc!r} is not a known character set") from None
        values["encoding"] = str(enc).lower()
    if "selectors" in raw:
        values["selectors"] = _selectors(origin, where, raw["selectors"])
    if "enabled" in raw:
        if not isinstance(raw["enabled"], bool):
            raise _fail(origin, where, f"enabled must be true or false, got {raw['enabled']!r}")
        values["enabled"] = raw["enabled"]
    return SiteProfile(**values)


def _selectors(origin: str, where: str, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise _fail(origin, where, "selectors must be a table ([site.selectors])")
    out: dict[str, str] = {}
    for name, sel in raw.items():
        if name not in SELECTOR_KEYS:
            hint = _suggest(name, SELECTOR_KEYS)
            raise _fail(
                origin,
                where,
                f"unknown selector {name!r}{hint}; use {', '.join(SELECTOR_KEYS)}",
            )
        if not isinstance(sel, str) or not sel.strip():
            raise _fail(origin, where, f"selector {name!r} must be a CSS or XPath string")
        out[name] = sel.strip()
    return out


def parse_profiles(text: str, origin: str) -> list[SiteProfile]:
    """Every ``[[site]]`` of a TOML document; duplicate keys in one file are an error."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{origin}: not valid TOML: {exc}") from None
    extra = set(data) - {"site"}
    if extra:
        name = sorted(extra)[0]
        raise ProfileError(f"{origin}: unknown top-level key {name!r} (profiles go in [[site]])")
    sites = data.get("site", [])
    if not isinstance(sites, list):
        raise ProfileError(f"{origin}: 'site' must be an array of tables ([[site]])")
    out: list[SiteProfile] = []
    seen: set[str] = set()
    for i, raw in enumerate(sites):
        prof = parse_site(raw, origin, i)
        if prof.key in seen:
            raise ProfileError(f"{origin}: site {prof.key!r} is defined twice")
        seen.add(prof.key)
        out.append(prof)
    return out


def builtin_profiles() -> list[SiteProfile]:
    text = resources.files("crawler").joinpath(BUILTIN_NAME).read_text(encoding="utf-8")
    return parse_profiles(text, f"built-in {BUILTIN_NAME}")


def read_profiles_file(path: str | Path) -> list[SiteProfile]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such sites file") from None
    except UnicodeDecodeError:
        raise ProfileError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ProfileError(f"{path}: {exc.strerror or exc}") from None
    return parse_profiles(text, str(path))


def load_profiles(sites_file: str | Path | None = None) -> list[SiteProfile]:
    """Built-in profiles plus those of ``sites_file`` (a key there replaces a built-in)."""
    merged = {p.key: p for p in builtin_profiles()}
    if sites_file is not None:
        for prof in read_profiles_file(sites_file):
            merged[prof.key] = prof
    return list(merged.values())


def enabled_profiles(profiles: list[SiteProfile]) -> list[SiteProfile]:
    """The profiles a crawl of "every site" takes: those not marked ``enabled = false``."""
    return [p for p in profiles if p.enabled]


def select_profiles(
    profiles: list[SiteProfile], keys: list[str] | None, *, all_sites: bool = False
) -> list[SiteProfile]:
    """The profiles named by ``keys`` (in that order), or all of them."""
    from .errors import UnknownSite

    if all_sites or not keys:
        return list(profiles)
    by_key = {p.key: p for p in profiles}
    chosen = []
    for key in keys:
        if key not in by_key:
            known = ", ".join(sorted(by_key))
            raise UnknownSite(f"unknown site {key!r}{_suggest(key, set(by_key))}; known: {known}")
        chosen.append(by_key[key])
    return chosen
