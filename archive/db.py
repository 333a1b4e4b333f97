"""Opening the archive: the data folder, the database engine and its migrations.

``Archive.open(home, db_url)`` creates the home if needed, connects (SQLite in
the home by default, any SQLAlchemy URL otherwise), and brings the schema to
the newest Alembic revision. SQLite runs in WAL mode with foreign keys on, so
a reader (search, web UI) is never blocked by the nightly writer, and writers
wait for each other (busy timeout) instead of failing. Two processes opening a
new or older archive at once migrate it one after the other (a lock file beside
the SQLite file; an advisory lock on PostgreSQL). ``create=False`` (the read
commands) opens only an archive that exists: a mistyped ``--home`` is an error,
not a new empty archive. A damaged SQLite file is ``ArchiveCorrupt``.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from filelock import Timeout as LockTimeout
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .errors import (
    ArchiveCorrupt,
    ArchiveMissing,
    DatabaseUnavailable,
    DiskFull,
    HomeNotWritable,
)

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_S = 30.0  # how long an SQLite writer waits for another one (default)
MIGRATION_WAIT_S = 300  # how long opening waits for another process's migration
PG_MIGRATION_LOCK = 0x66616E7A  # pg_advisory_lock key ("fanz")
# What SQLite says of a damaged file (sqlite3.DatabaseError, not OperationalError).
CORRUPTION = ("file is not a database", "malformed", "file is encrypted", "corrupt")


def _sqlite_pragmas(busy_timeout: float) -> Callable[[Any, Any], None]:
    """The ``connect`` hook setting up each SQLite connection (``busy_timeout`` s)."""

    def set_up(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
        cur.close()

    return set_up


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def ensure_home(home: Path) -> Path:
    """Create the data folder and prove it is writable, or raise HomeNotWritable."""
    home = Path(home).expanduser().resolve()
    try:
        home.mkdir(parents=True, exist_ok=True)
        probe = home / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DiskFull(f"home {home}: no space left on device") from exc
        raise HomeNotWritable(f"home {home} is not writable: {exc.strerror or exc}") from exc
    return home


@dataclass
class Archive:
    """An open archive: the home folder, the engine and a session factory."""

    home: Path
    engine: Engine
    sessions: sessionmaker[Session] = field(repr=False)

    @classmethod
    def open(
        cls,
        home: str | Path,
        db_url: str | None = None,
        *,
        migrate: bool = True,
        create: bool = True,
        busy_timeout: float = BUSY_TIMEOUT_S,
    ) -> Archive:
        """Open (and migrate) the archive; ``create=False``: ``ArchiveMissing`` when the
        home's SQLite file (or the SQLite file ``db_url`` names) does not exist.
        ``busy_timeout``: seconds an SQLite writer waits for another one's lock."""
        home = ensure_home(Path(home)) if create else Path(home).expanduser().resolve()
        url = db_url or f"sqlite:///{home / 'fanzha.db'}"
        if not create:
            _require_existing(url, home, given=db_url is not None)
        engine = _create_engine(url, busy_timeout)
        if migrate:
            upgrade(engine)
        return cls(home=home, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self.sessions.begin() as s:
            yield s

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session for a look-up followed by a write (is this URL stored yet?). On
        SQLite it takes the write lock first (``BEGIN IMMEDIATE``, waiting up to the busy
        timeout), so two processes storing the same URL at once cannot both find it
        absent; the second finds the first's row. Elsewhere the same as ``session``."""
        with self.sessions.begin() as s:
            if self.is_sqlite:
                s.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield s

    @property
    def raw_dir(self) -> Path:
        return self.home / "raw"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def warc_dir(self) -> Path:
        return self.home / "warc"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_file(url: Any) -> Path | None:
    """The file of an SQLite URL (None: not SQLite, or in memory)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _require_existing(url: str, home: Path, *, given: bool) -> None:
    """``ArchiveMissing`` unless the SQLite file of ``url`` exists (other databases:
    the server decides)."""
    try:
        path = _sqlite_file(make_url(url))
    except ArgumentError:
        return  # _create_engine says what is wrong with the URL
    if path is None or path.exists():
        return
    if given:
        raise ArchiveMissing(f"no archive at {path}: check --db / FANZHA_DB")
    raise ArchiveMissing(
        f"no archive in {home} (no fanzha.db there): check --home / FANZHA_HOME; "
        "'fanzha import' or 'fanzha crawl' creates one"
    )


def corruption(exc: BaseException, where: Any) -> ArchiveCorrupt | None:
    """``ArchiveCorrupt`` naming the file and what to do, when ``exc`` is SQLite
    saying the file is damaged (None otherwise)."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if not any(word in reason.lower() for word in CORRUPTION):
        return None
    name = where.name if isinstance(where, Path) else "fanzha.db"
    return ArchiveCorrupt(
        f"{where}: the archive database is damaged ({reason}); restore it from a backup, "
        f"or salvage what is readable: sqlite3 {name} .recover | sqlite3 recovered.db"
    )


def _raise_corruption(context: Any) -> None:
    """``handle_error`` hook of SQLite engines: a damaged file is ``ArchiveCorrupt``
    wherever SQLite notices it (opening, a query in the middle of a command)."""
    orig = context.original_exception
    if isinstance(orig, sqlite3.DatabaseError) and not isinstance(orig, sqlite3.OperationalError):
        url = context.engine.url if context.engine is not None else None
        err = corruption(orig, _sqlite_file(url) if url is not None else None)
        if err is not None:
            raise err from orig


def _create_engine(url: str, busy_timeout: float = BUSY_TIMEOUT_S) -> Engine:
    """Make an engine for ``url`` and check that it connects."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"database URL {url!r} is not an SQLAlchemy URL") from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": busy_timeout}
    else:
        kwargs["pool_pre_ping"] = True
        if parsed.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise DatabaseUnavailable(f"cannot use database {parsed!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout))
        event.listen(engine, "handle_error", _raise_corruption)
    try:
        with engine.connect():
            pass
    except sqlite3.DatabaseError as exc:  # raised by the pragmas, before SQLAlchemy wraps
        err = corruption(exc, _sqlite_file(parsed))
        if err is None:
            raise
        raise err from exc
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if ("disk" in reason.lower() and "full" in reason.lower()) or _disk_full(parsed):
            raise DiskFull(f"database {parsed!r}: no space left on device ({reason})") from exc
        raise DatabaseUnavailable(f"cannot connect to database {parsed!r}: {reason}") from exc
    return engine


def _disk_full(url: Any) -> bool:
    """SQLite says only "disk I/O error" when it cannot grow its WAL: check the space."""
    if url.get_backend_name() != "sqlite" or not url.database:
        return False
    try:
        return shutil.disk_usage(Path(url.database).parent).free < 64 * 1024
    except OSError:
        return False


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Apply any Alembic migration the database has not had yet.

    Another process migrating at the same moment is waited for (``migration_lock``):
    the second finds the schema current instead of creating its tables again."""
    cfg = alembic_config(engine)
    head = ScriptDirectory.from_config(cfg).get_current_head()
    if _current_revision(engine) == head:
        return
    with migration_lock(engine):
        current = _current_revision(engine)
        if current == head:
            return
        log.info("migrating database from %s to %s", current, head)
        try:
            command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise DatabaseUnavailable(f"cannot migrate the database: {exc.orig}") from exc


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """One migrating process at a time: a lock file beside an SQLite file (its schema
    changes are not one transaction), an advisory lock on PostgreSQL."""
    path = _sqlite_file(engine.url)
    if path is not None:
        try:
            with FileLock(f"{path}.migrate-lock", timeout=MIGRATION_WAIT_S):
                yield
        except LockTimeout as exc:
            raise DatabaseUnavailable(
                f"{path}: another process has been migrating the archive for "
                f"{MIGRATION_WAIT_S} s; try again later"
            ) from exc
        return
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({PG_MIGRATION_LOCK})")
        conn.commit()
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})")
            conn.commit()
