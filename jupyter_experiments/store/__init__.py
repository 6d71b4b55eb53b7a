"""The tracking store: schema, migrations and the :class:`TrackingStore` that reads and writes."""

from .engine import DB_URL_ENV, default_db_path, resolve_db_url
from .store import TrackingStore

__all__ = ["DB_URL_ENV", "TrackingStore", "default_db_path", "resolve_db_url"]
