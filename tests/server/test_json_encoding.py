"""The REST API's JSON encoding: NaN and the infinities, and values orjson refuses."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from jupyter_experiments.server.json_encoding import dumps, dumps_text


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
