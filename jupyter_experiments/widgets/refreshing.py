"""Shared by the table and the chart: tell their own trait changes apart, and batch refreshes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class RefreshControl:
    """Mixin for a widget that refreshes from the store when its traits change.

    The widget sets ``_local`` (a ``threading.local``), ``_batch_depth`` (0) and
    ``_refresh_pending`` (False) in its constructor, and defines ``refresh()``.
    """

    _local: threading.local
    _batch_depth: int
    _refresh_pending: bool

    def refresh(self) -> None:
        raise NotImplementedError

    @contextmanager
    def _programmatic(self) -> Iterator[None]:
        """Mark widget changes made by the widget itself, so that observers ignore them."""
        previous = self._syncing
        self._local.syncing = True
        try:
            yield
        finally:
            self._local.syncing = previous

    @property
    def _syncing(self) -> bool:
        return bool(getattr(self._local, "syncing", False))

    @contextmanager
    def _batch(self) -> Iterator[None]:
        """Collect the refreshes that trait changes ask for into one at the end."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if not self._batch_depth and self._refresh_pending:
                self._refresh_pending = False
                self.refresh()
