"""The database backends that the tests run against, and how to empty a PostgreSQL test database.

SQLite always runs. PostgreSQL runs when ``JUPYTER_EXPERIMENTS_TEST_DB_URL`` is a SQLAlchemy URL
such as ``postgresql+psycopg://user:password@localhost/experiments_test``. That database is
emptied before each test that uses it, so point it at a database that contains nothing else.
``.ci/postgres.sh`` starts a throw-away server and sets the variable.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from jupyter_experiments.store.migrations import HEAD_REVISION, current_revision
from jupyter_experiments.store.schema import metadata

#: Environment variable with the URL of an empty PostgreSQL database to run the tests against.
TEST_DB_URL_ENV = "JUPYTER_EXPERIMENTS_TEST_DB_URL"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            not os.environ.get(TEST_DB_URL_ENV),
            reason=f"set {TEST_DB_URL_ENV} to a PostgreSQL URL to test that backend",
        ),
    ),
]


def empty_postgresql(url: str, keep_tables: bool = True) -> None:
    """Delete every record of the PostgreSQL store at ``url``.

    With ``keep_tables`` the tables are truncated when they have the current schema revision,
    which is much faster than creating them again. Otherwise they are dropped, and the next
    store opened on the database creates them.
    """
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as connection:
            # A connection that a test left in an open transaction would block TRUNCATE and
            # DROP until the test run times out, so fail after 10 s instead.
            connection.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
            tables = set(sa.inspect(connection).get_table_names())
            current = "alembic_version" in tables and current_revision(connection) == HEAD_REVISION
            if keep_tables and current and tables >= set(metadata.tables):
                names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
                connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                return
            metadata.drop_all(connection)
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        engine.dispose()
