"""Database URLs and engines, with the SQLite settings that make concurrent writers safe.

Several processes write into one store at once (a notebook and its training jobs), so on SQLite:

* the journal is in WAL mode, so readers never block the single writer;
* every write transaction starts with ``BEGIN IMMEDIATE``. A deferred transaction that reads
  first and writes later can fail with "database is locked" at once when another writer got in
  between, whatever the busy timeout; taking the write lock up front makes it wait instead;
* a busy timeout makes a writer wait for the lock rather than fail.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from jupyter_core.paths import jupyter_data_dir

log = logging.getLogger("jupyter_experiments.store")

DB_URL_ENV = "JUPYTER_EXPERIMENTS_DB_URL"

#: application_name of the store's PostgreSQL connections, unless the URL sets one.
POSTGRESQL_APPLICATION_NAME = "jupyter-experiments"

#: How long a SQLite writer waits for another writer's lock before the store retries.
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option that marks a connection as read-only, so that it opens a deferred transaction
# and does not take SQLite's write lock.
READ_ONLY_OPTION = "jupyter_experiments_read_only"


def default_db_path() -> Path:
    """Return the path of the embedded SQLite store in the Jupyter data directory."""
    return Path(jupyter_data_dir()) / "experiments" / "experiments.db"


def resolve_db_url(url: str | os.PathLike[str] | None = None) -> str:
    """Return the database URL to use.

    In order: ``url`` (a SQLAlchemy URL or a path to a SQLite file), the environment variable
    ``JUPYTER_EXPERIMENTS_DB_URL``, then the SQLite file in the Jupyter data directory.
    """
    if url is None:
        url = os.environ.get(DB_URL_ENV) or None
    if url is None:
        return f"sqlite:///{default_db_path()}"
    text = os.fspath(url)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event, not the driver, decide when transactions start.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    # NORMAL is durable across application crashes in WAL mode; only a power cut can lose the
    # last transactions, and it never corrupts the file.
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _on_sqlite_begin(connection: sa.Connection) -> None:
    if connection.get_execution_options().get(READ_ONLY_OPTION):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str) -> sa.Engine:
    """Create an engine for ``url``; a SQLite file and its folder are created when missing."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "postgresql" and "application_name" not in parsed.query:
        # Names the store's connections in pg_stat_activity, for administrators.
        return sa.create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"application_name": POSTGRESQL_APPLICATION_NAME},
        )
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, future=True)

    database = parsed.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, future=True)
    sa.event.listen(engine, "connect", _on_sqlite_connect)
    sa.event.listen(engine, "begin", _on_sqlite_begin)
    log.debug("Opened SQLite store %s", database)
    return engine
