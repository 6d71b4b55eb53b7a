"""Fixtures shared by the whole test suite.

Every test runs with the Jupyter data directory, the default store and the artifact root inside
its own ``tmp_path``, so no test reads or writes the real Jupyter data directory, and the shared
SDK stores are closed after each test.

The ``store`` fixture runs a test once per backend of :data:`backends.BACKENDS`: a SQLite file
always, and PostgreSQL when ``JUPYTER_EXPERIMENTS_TEST_DB_URL`` is set. Each SQLite store is a
copy of one file migrated at the start of the session, which halves the cost of a small test;
tests of creating a store open their own file. The PostgreSQL tables are truncated before each
test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from backends import BACKENDS, TEST_DB_URL_ENV, empty_postgresql

from jupyter_experiments.sdk._store import get_store, reset_stores
from jupyter_experiments.sdk.artifacts import ARTIFACT_ROOT_ENV
from jupyter_experiments.sdk.tracker import TRIAL_COMPONENT_ENV
from jupyter_experiments.store import DB_URL_ENV, TrackingStore


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the Jupyter data directory, the default store and the artifact root at tmp_path."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(DB_URL_ENV, f"sqlite:///{tmp_path / 'experiments.db'}")
    monkeypatch.setenv(ARTIFACT_ROOT_ENV, str(tmp_path / "artifacts"))
    # A test run started from inside a training job must not pick up the job's component.
    monkeypatch.delenv(TRIAL_COMPONENT_ENV, raising=False)

    yield tmp_path

    reset_stores()


@pytest.fixture(scope="session")
def _migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a SQLite file with the current schema and no records, for the store to copy."""
    path = tmp_path_factory.mktemp("template") / "experiments.db"
    TrackingStore(str(path)).dispose()

    # Closing the last connection moves the write-ahead log into the file and deletes the log,
    # so copying the file alone copies everything.
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(params=BACKENDS)
def store(
    request: pytest.FixtureRequest,
    isolated_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    _migrated_sqlite_file: Path,
) -> TrackingStore:
    """Return an empty store, which is also the default store of the SDK during the test."""
    if request.param == "sqlite":
        url = os.environ[DB_URL_ENV]
        shutil.copyfile(_migrated_sqlite_file, isolated_environment / "experiments.db")
    else:
        url = os.environ[TEST_DB_URL_ENV]
        empty_postgresql(url)
        monkeypatch.setenv(DB_URL_ENV, url)
    return get_store(url)
