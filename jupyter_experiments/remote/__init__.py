"""Remote logging: the SDK and training jobs write to a tracking server over its REST API.

Set ``JUPYTER_EXPERIMENTS_TRACKING_URI`` to a Jupyter server's URL (with its base URL) and
``JUPYTER_EXPERIMENTS_TOKEN`` to its token, and :func:`~jupyter_experiments.sdk._store.get_store`
returns a :class:`RemoteTrackingStore` instead of opening a database.
"""

from .client import (
    RETRY_TIMEOUT_ENV,
    TOKEN_ENV,
    ApiClient,
    RemoteStoreError,
    RetriedConflictError,
    retry_timeout_from_environment,
)
from .live import ChangeFeedReader
from .store import RemoteTrackingStore

#: Environment variable with the URL of the tracking server, e.g. ``https://host/base_url/``.
TRACKING_URI_ENV = "JUPYTER_EXPERIMENTS_TRACKING_URI"


def is_tracking_uri(value: object) -> bool:
    """Return whether ``value`` is an http(s) URL, which names a tracking server."""
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


__all__ = [
    "RETRY_TIMEOUT_ENV",
    "TOKEN_ENV",
    "TRACKING_URI_ENV",
    "ApiClient",
    "ChangeFeedReader",
    "RemoteStoreError",
    "RemoteTrackingStore",
    "RetriedConflictError",
    "is_tracking_uri",
    "retry_timeout_from_environment",
]
