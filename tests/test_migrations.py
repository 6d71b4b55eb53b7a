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
    upgrade,
)
from jupyter_experiments.store.schema import metadata

#: Rows of a store at schema 0001: one experiment with a tag, a trial, and a component in it
#: with a parameter and a metric of two points. Written as SQL, so that later changes to the
#: package's table definitions do not change what an old store contains.
SCHEMA_0001_ROWS = [
    "INSERT INTO experiments (id, name, display_name, description, created_at, modified_at) "
    "VALUES (1, 'old-exp', 'Old', 'kept', 100.0, 100.0)",
    "INSERT INTO tags (resource_type, resource_id, key, value) "
    "VALUES ('experiment', 1, 'team', 'a')",
    "INSERT INTO trials (id, name, display_name, experiment_id, created_at, modified_at) "
    "VALUES (1, 'old-trial', NULL, 1, 101.0, 101.0)",
    "INSERT INTO trial_components (id, name, display_name, status, created_at, modified_at) "
    "VALUES (1, 'old-job', 'Training', 'Completed', 102.0, 102.0)",
    "INSERT INTO trial_component_links (trial_id, component_id, created_at) VALUES (1, 1, 103.0)",
    "INSERT INTO parameters (component_id, name, value_type, number_value, string_value) "
    "VALUES (1, 'lr', 'float', 0.01, '0.01')",
    "INSERT INTO metric_points (component_id, name, step, value, timestamp) "
    "VALUES (1, 'loss', 0, 0.5, 104.0), (1, 'loss', 1, 0.25, 105.0)",
    "INSERT INTO metric_summaries (component_id, name, count, nan_count, min, max, avg, m2, "
    "std_dev, first, first_step, last, last_step, last_timestamp) "
    "VALUES (1, 'loss', 2, 0, 0.25, 0.5, 0.375, 0.03125, 0.125, 0.5, 0, 0.25, 1, 105.0)",
]


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


def upgraded_0001_store(path: Path) -> tuple[tuple[str | None, str], TrackingStore]:
    """Create a store at schema 0001 with its rows, upgrade it, and open it."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
        for statement in SCHEMA_0001_ROWS:
            connection.execute(sa.text(statement))
    revisions = upgrade(engine)
    engine.dispose()
    return revisions, TrackingStore(url)


def test_downgrade_from_0005_keeps_trials(tmp_path: Path) -> None:
    # Given: a store with a component in a trial
    url = f"sqlite:///{tmp_path / 'counts.db'}"
    store = TrackingStore(url)
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component("c")
    store.associate("t", "c")

    # When: it goes back to 0004, which had no count, and forward again
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0004")
        columns = {column["name"] for column in sa.inspect(connection).get_columns("experiments")}
        command.upgrade(alembic_config(connection), "head")
    store.dispose()

    # Then: the trial is kept, and the upgrade counted its component again
    reopened = TrackingStore(url)
    try:
        assert "component_count" not in columns
        assert reopened.get_trial("t")["experiment_name"] == "e"
        assert reopened.kept_component_count(experiment_names=["e"]) == 1
    finally:
        reopened.dispose()


def test_upgrade_keeps_0001_data(tmp_path: Path) -> None:
    revisions, store = upgraded_0001_store(tmp_path / "old.db")
    try:
        experiment = store.get_experiment("old-exp")
        component = store.get_component("old-job")
        assert revisions == ("0001", HEAD_REVISION)
        assert experiment["description"] == "kept"
        assert experiment["tags"] == {"team": "a"}
        assert store.get_trial("old-trial")["experiment_name"] == "old-exp"
        assert component["trials"] == ["old-trial"]
        assert component["parameters"] == {"lr": 0.01}
        assert component["metrics"]["loss"]["count"] == 2
        assert component["metrics"]["loss"]["last"] == 0.25
        assert [p["value"] for p in store.get_metric_series("old-job", "loss")] == [0.5, 0.25]
        assert store.kept_component_count(experiment_names=["old-exp"]) == 1
    finally:
        store.dispose()


def test_upgraded_store_keys_batches(tmp_path: Path) -> None:
    # Given: a store upgraded from schema 0001, with a component and points from before
    _, store = upgraded_0001_store(tmp_path / "old.db")
    batch = [("loss", 0.125, 2, 106.0)]
    try:
        # When: one batch is logged twice under one idempotency key
        first = store.log_metrics("old-job", batch, idempotency_key="batch-1")
        again = store.log_metrics("old-job", batch, idempotency_key="batch-1")

        # Then: it is written once, after the points from before the upgrade
        steps = [point["step"] for point in store.get_metric_series("old-job", "loss")]
        assert (first, again) == (1, 1)
        assert steps == [0, 1, 2]
        assert store.get_component("old-job")["metrics"]["loss"]["count"] == 3
    finally:
        store.dispose()
