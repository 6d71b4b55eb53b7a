"""Schema versions: create a new store, refuse an outdated one, upgrade on request."""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from ..errors import SchemaVersionError

log = logging.getLogger("jupyter_experiments.store")

#: The newest migration; a test checks that it is Alembic's head.
HEAD_REVISION = "0005"

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

#: Key of the PostgreSQL advisory lock that lets one process at a time migrate a store.
MIGRATION_LOCK_KEY = 0x6A65_785F_6D69_6772


def alembic_config(connection: sa.Connection) -> Config:
    """Return an Alembic configuration that runs the migrations on ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def current_revision(connection: sa.Connection) -> str | None:
    """Return the store's schema revision, or None for an empty database."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine) -> tuple[str | None, str]:
    """Migrate the store to the newest schema; return the revisions before and after."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # SQLite's BEGIN IMMEDIATE already makes a second process wait here. Without the
            # lock, two processes opening a new PostgreSQL store would both create the tables,
            # and the second would fail on a duplicate key in the system catalog.
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
        before = current_revision(connection)
        if before != HEAD_REVISION:
            log.info("Upgrading store %s from schema %s to %s", engine.url, before, HEAD_REVISION)
            command.upgrade(alembic_config(connection), "head")
    return before, HEAD_REVISION


def ensure_schema(engine: sa.Engine) -> None:
    """Create the tables of a new store, or check that an existing one is up to date.

    Raises :class:`SchemaVersionError` naming the upgrade command when the schema is old.
    """
    with engine.connect().execution_options(jupyter_experiments_read_only=True) as connection:
        revision = current_revision(connection)
    if revision == HEAD_REVISION:
        return
    if revision is None:
        # Two processes may create the same new store at once; upgrade() rereads the revision
        # inside its write transaction, so the second one finds the tables and does nothing.
        upgrade(engine)
        return
    url = engine.url.render_as_string(hide_password=True)
    if revision < HEAD_REVISION:
        raise SchemaVersionError(
            f"The store {url} has schema {revision}, older than {HEAD_REVISION} which this "
            "version of jupyter-experiments needs. Back it up, then run "
            "`jupyter experiments db upgrade` to migrate it."
        )
    raise SchemaVersionError(
        f"The store {url} has schema {revision}, newer than {HEAD_REVISION}: it was written by a "
        "newer version of jupyter-experiments. Upgrade the package with "
        "`pip install -U jupyter-experiments`."
    )
