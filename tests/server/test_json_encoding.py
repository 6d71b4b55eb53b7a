"""The REST API's JSON encoding: NaN and the infinities, and values orjson refuses."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from jupyter_experiments.server.json_encoding import dumps, dumps_text
from jupyter_experiments.server.records import component_record
from jupyter_experiments.store.documents import JSONDocument


def strict_loads(data: bytes | str) -> object:
    """Parse JSON as a browser does: the NaN and Infinity tokens are errors."""

    def reject(token: str) -> None:
        raise AssertionError(f"non-standard JSON token {token}")

    return json.loads(data, parse_constant=reject)


def test_non_finite_floats_use_the_documented_forms() -> None:
    body = dumps({"values": [math.nan, math.inf, -math.inf, 0.5], "nested": {"x": (math.nan,)}})

    assert strict_loads(body) == {
        "values": [None, "Infinity", "-Infinity", 0.5],
        "nested": {"x": [None]},
    }


def test_floats_round_trip_exactly() -> None:
    values = [0.1, 1e-7, 1e300, -2.5e-308, 123456.789, 2.0**53 + 2]

    assert strict_loads(dumps(values)) == values


@pytest.mark.parametrize(
    "value",
    [{"big": 2**70, "small": -(2**64)}, {1: "integer key", 2.5: "float key"}],
    ids=["integers beyond 64 bits", "keys that are not strings"],
)
def test_refused_values_use_standard_encoder(value: object) -> None:
    assert strict_loads(dumps(value)) == json.loads(json.dumps(value))


def test_numpy_scalars_are_numbers() -> None:
    value = {"mean": np.float64(2.5), "count": np.int64(3), "gap": np.float64("nan")}

    assert strict_loads(dumps(value)) == {"mean": 2.5, "count": 3, "gap": None}


def test_text_form_is_the_same_json() -> None:
    value = {"type": "hello", "name": "<b>é</b>", "value": math.inf}

    text = dumps_text(value)

    assert isinstance(text, str)
    assert strict_loads(text) == {"type": "hello", "name": "<b>é</b>", "value": "Infinity"}


def component_row(**values: object) -> dict[str, object]:
    """Return a row of TrackingStore.search_components with every field a record reads."""
    row: dict[str, object] = {
        "name": "c",
        "display_name": None,
        "trials": ["t"],
        "experiments": ["e"],
        "status": "Completed",
        "status_message": None,
        "created_at": 1.5,
        "modified_at": 2.5,
        "start_time": None,
        "end_time": None,
        "source_arn": None,
        "source_type": None,
        "parameters": {},
        "metrics": {},
        "input_artifacts": {},
        "output_artifacts": {},
        "job_settings": {},
        "tags": {},
    }
    row.update(values)
    return row


def test_component_record_encodes_its_floats() -> None:
    # Rows read from the tables (no documents) carry NaN and infinities as floats.
    row = component_row(
        parameters={"lr": math.inf, "name": "Infinity"},
        metrics={"loss": {"min": math.nan, "max": -math.inf, "count": 2}},
        job_settings={"limit": {"seconds": math.inf}},
        end_time=math.inf,
    )

    record = strict_loads(dumps({"items": [component_record(row)]}))["items"][0]

    assert record["parameters"] == {"lr": "Infinity", "name": "Infinity"}
    assert record["metrics"] == {"loss": {"min": None, "max": "-Infinity", "count": 2}}
    assert record["job_settings"] == {"limit": {"seconds": "Infinity"}}
    assert record["end_time"] == "Infinity"
    assert record["created_at"] == 1.5


def test_component_record_embeds_documents() -> None:
    parameters = JSONDocument('{"lr":"Infinity","big":123456789012345678901234567890}')
    metrics = JSONDocument('{"loss":{"min":null,"max":1.5}}')
    row = component_row(parameters=parameters, metrics=metrics)

    body = dumps({"items": [component_record(row)], "total": 1})

    record = strict_loads(body)["items"][0]
    assert record["parameters"] == {"lr": "Infinity", "big": 123456789012345678901234567890}
    assert record["metrics"] == {"loss": {"min": None, "max": 1.5}}


def test_component_record_with_refused_value() -> None:
    # An integer beyond 64 bits outside a document sends the whole reply to the standard
    # encoder, which must parse the documents of the encoded records.
    row = component_row(
        parameters=JSONDocument('{"lr":0.5}'), job_settings={"seed": 2**70, "cap": math.nan}
    )

    body = dumps({"items": [component_record(row)]})

    record = strict_loads(body)["items"][0]
    assert record["parameters"] == {"lr": 0.5}
    assert record["job_settings"] == {"seed": 2**70, "cap": None}
