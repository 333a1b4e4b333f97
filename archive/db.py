"""Opening the archive: the data folder, the database engine and its migrations.

``Archive.open(home, db_url)`` creates the home if needed, connects (SQLite in
the home by default, any SQLAlchemy URL otherwise), and brings the schema to
the newest Alembic revision. SQLite runs in WAL mode with foreign keys on, so
a reader (search, web UI) is never blocked by the nightly writer.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .errors import DatabaseUnavailable, DiskFull, HomeNotWritable

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


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
    def open(cls, home: str | Path, db_url: str | None = None, *, migrate: bool = True) -> Archive:
        home = ensure_home(Path(home))
        url = db_url or f"sqlite:///{home / 'fanzha.db'}"
        engine = create(url)
        if migrate:
            upgrade(engine)
        return cls(home=home, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self.sessions.begin() as s:
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


def create(url: str) -> Engine:
    """Make an engine for ``url`` and check that it connects."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"database URL {url!r} is not an SQLAlchemy URL") from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
        if parsed.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise DatabaseUnavailable(f"cannot use database {parsed!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.connect():
            pass
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


def upgrade(engine: Engine) -> None:
    """Apply any Alembic migration the database has not had yet."""
    cfg = alembic_config(engine)
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == head:
        return
    log.info("migrating database from %s to %s", current, head)
    try:
        command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise DatabaseUnavailable(f"cannot migrate the database: {exc.orig}") from exc
