"""The store that SDK objects use when they are not given one."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from typing import Any, cast

from ..remote import (
    TOKEN_ENV,
    TRACKING_URI_ENV,
    RemoteTrackingStore,
    is_tracking_uri,
    retry_timeout_from_environment,
)
from ..store import TrackingStore, resolve_db_url

log = logging.getLogger("jupyter_experiments")

StoreLike = TrackingStore | RemoteTrackingStore | str | os.PathLike[str] | None

_stores: dict[str, TrackingStore | RemoteTrackingStore] = {}
_lock = threading.Lock()

# Keyword arguments of the SageMaker Experiments SDK that mean nothing here (AWS clients and
# sessions). They are accepted so that SageMaker notebooks run after changing their imports.
SAGEMAKER_ONLY_ARGUMENTS = frozenset(
    {
        "sagemaker_boto_client",
        "sagemaker_session",
        "boto3_session",
        "artifact_bucket",
        "artifact_prefix",
        "training_job_name",
        "processing_job_name",
    }
)
_reported_arguments: set[str] = set()


def get_store(store: StoreLike = None) -> TrackingStore:
    """Return ``store`` if it is a store object, else the shared store for that URL or path.

    The store is chosen by, in this order: the ``store`` argument (a database URL, a SQLite
    path, or an http(s) URL of a tracking server); ``JUPYTER_EXPERIMENTS_TRACKING_URI``;
    ``JUPYTER_EXPERIMENTS_DB_URL``; the SQLite file in the Jupyter data directory. One store
    (and so one connection pool) is kept per URL in each process.
    """
    if isinstance(store, (TrackingStore, RemoteTrackingStore)):
        return _as_store(store)
    if store is None:
        store = os.environ.get(TRACKING_URI_ENV) or None
    url = store if isinstance(store, str) and is_tracking_uri(store) else resolve_db_url(store)
    with _lock:
        found = _stores.get(url)
        if found is None:
            found = _open(url)
            _stores[url] = found
            # Opening the store is where jobs left behind by a crash are noticed.
            from ..jobs.recovery import recover_orphaned_jobs

            recover_orphaned_jobs(_as_store(found))
        return _as_store(found)


def _open(url: str) -> TrackingStore | RemoteTrackingStore:
    if not is_tracking_uri(url):
        return TrackingStore(url)
    store = RemoteTrackingStore(
        url,
        token=os.environ.get(TOKEN_ENV) or None,
        retry_timeout_s=retry_timeout_from_environment(),
    )
    log.info("Logging to the tracking server %s", store.url)
    return store


def _as_store(store: TrackingStore | RemoteTrackingStore) -> TrackingStore:
    # The SDK, jobs and analytics call only the TrackingStore methods that RemoteTrackingStore
    # implements, with the same arguments and records, so it is typed as one for them.
    return cast(TrackingStore, store)


def reset_stores() -> None:
    """Forget the shared stores and close their connections (for tests)."""
    with _lock:
        for store in _stores.values():
            store.dispose()
        _stores.clear()


def ignore_sagemaker_arguments(where: str, arguments: Mapping[str, Any]) -> None:
    """Accept the SageMaker SDK's AWS-only keyword arguments; reject any other unknown one."""
    unknown = set(arguments) - SAGEMAKER_ONLY_ARGUMENTS
    if unknown:
        raise TypeError(
            f"{where}() got unexpected keyword argument(s): {', '.join(sorted(unknown))}"
        )
    for name in arguments:
        if name not in _reported_arguments:
            _reported_arguments.add(name)
            log.info(
                "Ignoring the SageMaker-only argument %s=: jupyter-experiments needs no AWS "
                "client; the store comes from store= or JUPYTER_EXPERIMENTS_DB_URL.",
                name,
            )
