"""Settings of the server extension, read from the Jupyter server's configuration.

Set them like any Jupyter option, e.g. ``c.JupyterExperiments.live_update_interval = 1.0`` in
``jupyter_server_config.py`` or ``--JupyterExperiments.db_url=...`` on the command line. An
invalid value stops the extension from loading with a message that names the setting and the
fix.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError
from traitlets import Float, Int, TraitError, Unicode, validate
from traitlets.config import LoggingConfigurable

from ..limits import MAX_METRIC_BATCH

#: The first 16 bytes of every SQLite 3 database file.
SQLITE_HEADER = b"SQLite format 3\x00"

#: Upper bound of live_update_interval; slower polling would no longer be "live".
MAX_LIVE_UPDATE_INTERVAL_S = 60.0

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_METRIC_BATCH = 10_000


class JupyterExperiments(LoggingConfigurable):
    """Settings of the jupyter-experiments REST API and live updates."""

    db_url = Unicode(
        None,
        allow_none=True,
        config=True,
        help=(
            "SQLAlchemy URL or SQLite file path of the tracking store. Unset, it is the store "
            "the SDK uses: $JUPYTER_EXPERIMENTS_DB_URL, else experiments/experiments.db in the "
            "Jupyter data directory."
        ),
    )

    artifact_root = Unicode(
        None,
        allow_none=True,
        config=True,
        help=(
            "Absolute path of the folder whose files the API may read, such as job logs. Unset, "
            "it is the SDK's artifact folder: $JUPYTER_EXPERIMENTS_ARTIFACT_ROOT, else "
            "'artifacts' beside a SQLite store."
        ),
    )

    live_update_interval = Float(
        0.5,
        config=True,
        help="Seconds between two reads of the store's change events for live updates.",
    )

    max_body_bytes = Int(
        DEFAULT_MAX_BODY_BYTES,
        config=True,
        help="Largest accepted request body, in bytes; a larger one is rejected with 413.",
    )

    max_metric_batch = Int(
        DEFAULT_MAX_METRIC_BATCH,
        config=True,
        help=(
            "Most metric points accepted in one request; a larger batch is rejected with 400. "
            f"At most {MAX_METRIC_BATCH}."
        ),
    )

    @validate("db_url")
    def _check_db_url(self, proposal: dict[str, Any]) -> str | None:
        value = proposal["value"]
        if value is None:
            return None
        if not value.strip():
            raise TraitError(
                "Invalid JupyterExperiments.db_url '': set it to a SQLAlchemy URL such as "
                "sqlite:////home/me/experiments.db, or leave it unset for the default store."
            )
        if "://" in value:
            try:
                url = sa.make_url(value)
            except (ArgumentError, ValueError):
                raise TraitError(
                    f"Invalid JupyterExperiments.db_url {hide_password(value)!r}: it is not a "
                    "SQLAlchemy URL; write it as dialect+driver://user:password@host/database."
                ) from None
            if url.get_backend_name() != "sqlite" or not url.database:
                return str(value)
            path = Path(url.database)
        else:
            path = Path(value).expanduser()
        if path.is_dir():
            raise TraitError(
                f"Invalid JupyterExperiments.db_url {value!r}: it is a folder; give the path of "
                "a SQLite file inside it, such as experiments.db."
            )
        if path.is_file() and path.stat().st_size > 0:
            with path.open("rb") as file:
                header = file.read(len(SQLITE_HEADER))
            if header != SQLITE_HEADER:
                raise TraitError(
                    f"Invalid JupyterExperiments.db_url {value!r}: the file is not a SQLite "
                    "database; point the setting at an experiments store or at a new file name."
                )
        return str(value)

    @validate("artifact_root")
    def _check_artifact_root(self, proposal: dict[str, Any]) -> str | None:
        value = proposal["value"]
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_absolute():
            raise TraitError(
                f"Invalid JupyterExperiments.artifact_root {value!r}: use an absolute path, "
                "such as /home/me/experiments/artifacts."
            )
        if path.exists() and not path.is_dir():
            raise TraitError(
                f"Invalid JupyterExperiments.artifact_root {value!r}: it is a file; set it to "
                "the folder that holds the artifacts."
            )
        return str(path)

    @validate("live_update_interval")
    def _check_live_update_interval(self, proposal: dict[str, Any]) -> float:
        value = proposal["value"]
        if not (math.isfinite(value) and 0 < value <= MAX_LIVE_UPDATE_INTERVAL_S):
            raise TraitError(
                f"Invalid JupyterExperiments.live_update_interval {value}: set it to a number of "
                f"seconds above 0 and at most {MAX_LIVE_UPDATE_INTERVAL_S:g}, such as 0.5."
            )
        return float(value)

    @validate("max_body_bytes")
    def _check_max_body_bytes(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        if value < 1024:
            raise TraitError(
                f"Invalid JupyterExperiments.max_body_bytes {value}: set it to at least 1024 "
                f"bytes; the default is {DEFAULT_MAX_BODY_BYTES}."
            )
        return int(value)

    @validate("max_metric_batch")
    def _check_max_metric_batch(self, proposal: dict[str, Any]) -> int:
        value = proposal["value"]
        if not 1 <= value <= MAX_METRIC_BATCH:
            raise TraitError(
                f"Invalid JupyterExperiments.max_metric_batch {value}: set it to a number of "
                f"points from 1 to {MAX_METRIC_BATCH}."
            )
        return int(value)


def hide_password(url: str) -> str:
    """Return ``url`` with the password between ':' and '@' replaced by ***."""
    # A URL that SQLAlchemy cannot parse may still hold a password between ':' and '@'.
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
