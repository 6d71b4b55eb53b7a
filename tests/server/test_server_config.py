"""Settings of the extension: validation at start, and what the start-up log reports."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_helpers import server_config
from traitlets import TraitError

from jupyter_experiments.server.config import JupyterExperiments, hide_password


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("live_update_interval", 0.0, "Invalid JupyterExperiments.live_update_interval 0.0"),
        ("live_update_interval", 120.0, "at most 60"),
        ("max_body_bytes", 10, "Invalid JupyterExperiments.max_body_bytes 10"),
        ("max_metric_batch", 0, "Invalid JupyterExperiments.max_metric_batch 0"),
        ("max_metric_batch", 10**9, "from 1 to 100000"),
        ("artifact_root", "relative/path", "use an absolute path"),
        ("db_url", "", "Invalid JupyterExperiments.db_url ''"),
        ("db_url", "postgresql://me:secret@host:port/db", "it is not a SQLAlchemy URL"),
    ],
)
def test_setting_invalid(setting: str, value: Any, message: str) -> None:
    with pytest.raises(TraitError) as rejected:
        JupyterExperiments(**{setting: value})

    assert message in str(rejected.value)
    assert "secret" not in str(rejected.value)


def test_db_url_not_sqlite(tmp_path: Path) -> None:
    # A setting that points at a file of another kind must not be overwritten.
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n", encoding="utf-8")

    with pytest.raises(TraitError) as rejected:
        JupyterExperiments(db_url=str(notes))

    assert "the file is not a SQLite database" in str(rejected.value)


def test_db_url_folder(tmp_path: Path) -> None:
    with pytest.raises(TraitError) as rejected:
        JupyterExperiments(db_url=f"sqlite:///{tmp_path}")

    assert "it is a folder" in str(rejected.value)


def test_artifact_root_file(tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("", encoding="utf-8")

    with pytest.raises(TraitError) as rejected:
        JupyterExperiments(artifact_root=str(file))

    assert "it is a file" in str(rejected.value)


def test_hide_password() -> None:
    assert hide_password("postgresql://me:secret@db:x/experiments") == (
        "postgresql://me:***@db:x/experiments"
    )


@pytest.fixture
def extension_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture the extension's log records, also while the server initializes.

    jupyter_server stops its log from propagating during initialization, when extensions load,
    so the records are taken from the extension's logger directly.
    """
    logger = logging.getLogger("jupyter_experiments.server")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_invalid_setting_exits(
    jp_configurable_serverapp: Any, extension_log: pytest.LogCaptureFixture
) -> None:
    # Given: a server that exits when an extension fails, as the test config sets
    config = server_config(live_update_interval=-1.0)

    # When: jupyter_server exits because the extension raised
    with pytest.raises(SystemExit):
        jp_configurable_serverapp(config=config)

    # Then: one log sentence gives the reason

    errors = [r.getMessage() for r in extension_log.records if r.levelname == "ERROR"]
    assert any(
        "jupyter_experiments.server is not loaded: Invalid "
        "JupyterExperiments.live_update_interval -1.0" in message
        for message in errors
    )


def test_start_log(
    jp_configurable_serverapp: Any, extension_log: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    database = tmp_path / "other" / "store.db"
    config = server_config(db_url=str(database), live_update_interval=0.25)

    jp_configurable_serverapp(config=config)

    started = [r.getMessage() for r in extension_log.records if r.getMessage().startswith("API at")]
    assert len(started) == 1
    assert f"store sqlite:///{database}" in started[0]
    assert "live updates every 0.25 s" in started[0]
    assert database.is_file()


def test_invalid_setting_skips_extension(
    jp_configurable_serverapp: Any, extension_log: pytest.LogCaptureFixture
) -> None:
    # Given: jupyter_server's default, which runs on without an extension that fails to load
    config = server_config(max_metric_batch=0)
    config.ServerApp.reraise_server_extension_failures = False

    # When
    app = jp_configurable_serverapp(config=config)

    # Then: the server runs, no route of the API exists, and the log gives the reason
    routes = [
        rule.matcher.regex.pattern
        for host in app.web_app.default_router.rules
        for rule in getattr(host.target, "rules", [])
        if hasattr(rule.matcher, "regex")
    ]
    assert not any("experiments/api" in pattern for pattern in routes)
    errors = [r.getMessage() for r in extension_log.records if r.levelname == "ERROR"]
    assert errors == [
        "jupyter_experiments.server is not loaded: Invalid JupyterExperiments.max_metric_batch "
        "0: set it to a number of points from 1 to 100000."
    ]


def test_tracking_uri_ignored_by_server(
    jp_configurable_serverapp: Any,
    extension_log: pytest.LogCaptureFixture,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given: the notebooks' environment names a tracking server, and the Jupyter server that
    # runs them has no db_url of its own
    database = tmp_path / "env" / "store.db"
    monkeypatch.setenv("JUPYTER_EXPERIMENTS_TRACKING_URI", "http://127.0.0.1:9/")
    monkeypatch.setenv("JUPYTER_EXPERIMENTS_DB_URL", f"sqlite:///{database}")

    # When
    jp_configurable_serverapp(config=server_config())

    # Then: the server opens the database instead of sending its writes to that URL
    started = [r.getMessage() for r in extension_log.records if r.getMessage().startswith("API at")]
    assert f"store sqlite:///{database}" in started[0]
