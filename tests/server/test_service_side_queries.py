"""The table query's count runs beside its page and never outlives the request."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from jupyter_experiments.errors import ValidationError
from jupyter_experiments.server.params import QueryFields
from jupyter_experiments.server.service import ExperimentsService
from jupyter_experiments.store import TrackingStore


def test_failed_page_waits_for_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A page that fails, here on an invalid sort key, returns its 400 only once the count
    # that started beside it has ended. Before, the count could still hold a pooled
    # connection while the store was disposed, and psycopg warned of a connection left open.
    store = TrackingStore(f"sqlite:///{tmp_path / 'store.db'}")
    service = ExperimentsService(
        store, artifact_root=tmp_path, max_metric_batch=10, cursor_key=b"k" * 32
    )
    counting = threading.Event()
    release = threading.Event()
    count = store.count_components

    def slow_count(**selection: Any) -> int:
        counting.set()
        release.wait(10)
        return count(**selection)

    monkeypatch.setattr(store, "count_components", slow_count)
    returned = threading.Event()
    errors: list[BaseException] = []

    def request() -> None:
        try:
            service.query_components(QueryFields({"sort_by": ["metrics.loss"]}))
        except ValidationError as error:
            errors.append(error)
        returned.set()

    caller = threading.Thread(target=request)
    caller.start()
    assert counting.wait(10)
    assert not returned.wait(0.5)

    release.set()
    caller.join(10)
    assert returned.is_set()
    assert len(errors) == 1
    assert "Invalid metric key 'loss'" in str(errors[0])
    store.dispose()
