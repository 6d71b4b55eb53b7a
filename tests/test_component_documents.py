"""The JSON documents of components' parameters and metrics agree with the tables they copy.

The REST table query embeds ``component_documents`` in its replies, and everything else reads
the ``parameters`` and ``metric_summaries`` tables. Each test builds components through the
store's public methods and checks that both paths give the same JSON, value for value.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import sqlalchemy as sa

from jupyter_experiments.server.json_encoding import dumps
from jupyter_experiments.server.params import parse_columns
from jupyter_experiments.server.records import component_record
from jupyter_experiments.store import TrackingStore
from jupyter_experiments.store.documents import JSONDocument
from jupyter_experiments.store.schema import component_documents

AWKWARD_PARAMETERS: dict[str, Any] = {
    "nan": math.nan,
    "inf": math.inf,
    "minus_inf": -math.inf,
    "tiny": 1e-05,
    "tenth": 0.1,
    "negative_zero": -0.0,
    "huge_float": 1.7976931348623157e308,
    "beyond_64_bits": 2**70,
    "int64_min": -(2**63),
    "flag": True,
    "off": False,
    "text": 'quote " backslash \\ newline \n tab \t',
    "unicode": "λ = 0.1, 学习率",
    "infinity_text": "Infinity",
    "empty": "",
}


def as_json(value: Any) -> Any:
    """Return what a client parses from the REST encoding of ``value``."""
    return json.loads(dumps(value))


def both_paths(store: TrackingStore, **query: Any) -> tuple[list[Any], list[Any]]:
    exact = store.search_components(**query)
    documents = store.search_components(**query, documents=True)
    return exact, documents


def assert_same_json(store: TrackingStore, columns: list[str] | None = None, **query: Any) -> int:
    exact, documents = both_paths(store, **query)
    assert [row["name"] for row in exact] == [row["name"] for row in documents]
    selected = parse_columns(columns or [])
    for plain, embedded in zip(exact, documents, strict=True):
        assert as_json(component_record(embedded, selected)) == as_json(
            component_record(plain, selected)
        ), plain["name"]
    return sum(isinstance(row["parameters"], JSONDocument) for row in documents)


@pytest.fixture
def awkward(store: TrackingStore) -> TrackingStore:
    store.create_experiment("e")
    store.create_trial("t", "e")
    store.create_component("params-only", parameters=AWKWARD_PARAMETERS)
    store.create_component("metrics-only")
    store.log_metrics(
        "metrics-only",
        [
            ("loss", math.inf, 0, 1.0),
            ("loss", 0.5, 1, 2.0),
            ("loss", math.nan, 2, 3.0),
            ("acc", math.nan, -5, 1.0),
            ("one", 3.25, 7, 1.0),
        ],
    )
    store.log_metrics("metrics-only", [("loss", -math.inf, 3, 4.0), ("acc", 0.9, 0, 5.0)])
    store.create_component("empty")
    store.create_component("updated", parameters={"lr": 0.1, "layers": 3, "gone": "x"})
    store.update_component("updated", parameters={"lr": math.nan}, parameters_to_remove=["gone"])
    for name in ("params-only", "metrics-only", "empty", "updated"):
        store.associate("t", name)
    return store


def test_documents_match_tables(awkward: TrackingStore) -> None:
    embedded = assert_same_json(awkward, experiment_names=["e"])
    assert embedded == 4


def test_documents_values(awkward: TrackingStore) -> None:
    # The encoding itself, not only agreement: NaN is null, the infinities are strings, an
    # integer beyond 64 bits keeps every digit.
    (row,) = awkward.search_components(names=["params-only"], documents=True)
    parameters = as_json(row["parameters"])
    assert parameters["nan"] is None
    assert parameters["inf"] == "Infinity"
    assert parameters["minus_inf"] == "-Infinity"
    assert parameters["beyond_64_bits"] == 2**70
    assert parameters["tenth"] == 0.1
    assert parameters["unicode"] == "λ = 0.1, 学习率"
    (row,) = awkward.search_components(names=["metrics-only"], documents=True)
    loss = as_json(row["metrics"])["loss"]
    assert loss["min"] == "-Infinity"
    assert loss["max"] == "Infinity"
    assert loss["count"] == 3
    assert loss["nan_count"] == 1
    assert loss["first"] == "Infinity"
    assert loss["last"] == "-Infinity"
    assert loss["last_step"] == 3
    (row,) = awkward.search_components(names=["updated"], documents=True)
    assert as_json(row["parameters"]) == {"lr": None, "layers": 3}


def test_documents_with_chosen_columns(awkward: TrackingStore) -> None:
    columns = ["parameters.inf", "parameters.flag", "metrics.loss", "status"]
    assert_same_json(awkward, columns=columns, experiment_names=["e"])


def test_documents_sorted_page(awkward: TrackingStore) -> None:
    assert_same_json(
        awkward,
        experiment_names=["e"],
        sort_by="metrics.loss.max",
        sort_order="Descending",
        limit=3,
    )


def test_components_without_documents(awkward: TrackingStore) -> None:
    # Rows written before schema 0004 have NULL documents, or none; their values come from
    # the tables. A later write fills the documents in.
    with awkward.engine.begin() as connection:
        connection.execute(
            component_documents.update().values(parameters_json=None, metrics_json=None)
        )
        ids = sa.select(sa.func.min(component_documents.c.component_id)).scalar_subquery()
        connection.execute(
            component_documents.delete().where(component_documents.c.component_id == ids)
        )
    assert assert_same_json(awkward, experiment_names=["e"]) == 0

    with awkward.engine.begin() as connection:
        connection.execute(component_documents.delete())
    assert assert_same_json(awkward, experiment_names=["e"]) == 0

    awkward.update_component("updated", parameters={"lr": 0.2})
    awkward.log_metrics("updated", [("loss", 1.5, 0, 1.0)])
    assert assert_same_json(awkward, experiment_names=["e"]) == 1


def test_new_metric_keeps_others(awkward: TrackingStore) -> None:
    awkward.log_metrics("metrics-only", [("later", 1.0, 0, 9.0)])
    awkward.log_metrics("metrics-only", [("loss", 0.25, 10, 10.0)])
    (row,) = awkward.search_components(names=["metrics-only"], documents=True)
    assert sorted(as_json(row["metrics"])) == ["acc", "later", "loss", "one"]
    assert_same_json(awkward, names=["metrics-only"])
