"""Tests of the schema migrations: head revision, tables against the metadata, version checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from jupyter_experiments.errors import SchemaVersionError
from jupyter_experiments.store import TrackingStore
from jupyter_experiments.store.engine import create_engine
from jupyter_experiments.store.migrations import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
)
from jupyter_experiments.store.schema import metadata


def revision_of(store: TrackingStore) -> str | None:
    with store.engine.connect() as connection:
        return current_revision(connection)


def set_revision(store: TrackingStore, revision: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": revision})


def test_head_is_alembic_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))

    assert ScriptDirectory.from_config(config).get_heads() == [HEAD_REVISION]


def test_new_store_revision(tmp_path: Path) -> None:
    store = TrackingStore(str(tmp_path / "new.db"))
    try:
        assert revision_of(store) == HEAD_REVISION
    finally:
        store.dispose()


def test_fixture_store_revision(store: TrackingStore) -> None:
    assert revision_of(store) == HEAD_REVISION


def test_tables_match_metadata(store: TrackingStore) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

    assert differences == []


def test_all_tables_created(store: TrackingStore) -> None:
    tables = set(sa.inspect(store.engine).get_table_names())

    assert tables == set(metadata.tables) | {"alembic_version"}


def test_reopen_keeps_data(tmp_path: Path) -> None:
    path = str(tmp_path / "reopen.db")
    first = TrackingStore(path)
    first.create_experiment("kept")
    first.dispose()

    second = TrackingStore(path)
    try:
        assert [record["name"] for record in second.list_experiments()] == ["kept"]
        assert revision_of(second) == HEAD_REVISION
    finally:
        second.dispose()


def open_with_own_engine(url: str) -> None:
    # The test owns the engine, so that it is closed even when the store raises.
    engine = create_engine(url)
    try:
        TrackingStore(url, engine=engine)
    finally:
        engine.dispose()


def test_older_schema_rejected(store: TrackingStore) -> None:
    set_revision(store, "0000")

    with pytest.raises(SchemaVersionError, match="`jupyter experiments db upgrade`") as caught:
        open_with_own_engine(store.url)

    assert "schema 0000" in str(caught.value)


def test_newer_schema_rejected(store: TrackingStore) -> None:
    set_revision(store, "9999")

    with pytest.raises(SchemaVersionError, match="pip install -U jupyter-experiments"):
        open_with_own_engine(store.url)


def test_downgrade_then_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cycle.db'}"
    store = TrackingStore(url)
    store.create_experiment("gone")

    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    remaining = set(sa.inspect(store.engine).get_table_names()) - {"alembic_version"}
    store.dispose()

    reopened = TrackingStore(url)
    try:
        assert remaining == set()
        assert revision_of(reopened) == HEAD_REVISION
        assert reopened.list_experiments() == []
    finally:
        reopened.dispose()
