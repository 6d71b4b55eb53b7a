"""JSON for REST responses: one encoding of NaN and the infinities that browsers can parse.

``JSON.parse`` rejects the ``NaN`` and ``Infinity`` tokens that Python's ``json`` writes by
default. Responses therefore carry NaN as ``null`` and the infinities as the strings
``"Infinity"`` and ``"-Infinity"``; every other float is a plain JSON number. Request bodies may
use the same forms for metric values.
"""

from __future__ import annotations

import json
import math
from typing import Any

POSITIVE_INFINITY = "Infinity"
NEGATIVE_INFINITY = "-Infinity"


def encode_value(value: Any) -> Any:
    """Return ``value`` with NaN replaced by None and infinities by their strings, recursively."""
    kind = type(value)
    if kind is float:
        return value if value - value == 0 else _non_finite(value)
    if kind is dict:
        return _encode_dict(value)
    if kind is list or kind is tuple:
        return _encode_list(value)
    return value


# The two walkers below inline the checks of leaves, because a function call per value costs
# more than the check itself on pages of tens of thousands of values. `x - x == 0` holds for
# every finite float and fails for NaN and the infinities.


def _encode_dict(mapping: dict[Any, Any]) -> dict[Any, Any]:
    result = {}
    for key, item in mapping.items():
        kind = type(item)
        if kind is float:
            result[key] = item if item - item == 0 else _non_finite(item)
        elif kind is dict:
            result[key] = _encode_dict(item)
        elif kind is list or kind is tuple:
            result[key] = _encode_list(item)
        else:
            result[key] = item
    return result


def _encode_list(items: list[Any] | tuple[Any, ...]) -> list[Any]:
    result = []
    for item in items:
        kind = type(item)
        if kind is float:
            result.append(item if item - item == 0 else _non_finite(item))
        elif kind is dict:
            result.append(_encode_dict(item))
        elif kind is list or kind is tuple:
            result.append(_encode_list(item))
        else:
            result.append(item)
    return result


def _non_finite(value: float) -> str | None:
    if math.isnan(value):
        return None
    return POSITIVE_INFINITY if value > 0 else NEGATIVE_INFINITY


_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"), check_circular=False)


def dumps(value: Any) -> str:
    """Return compact JSON text for a response body.

    Only dicts, lists and tuples are walked; a float subclass such as numpy.float64 is not
    converted and, if NaN, makes the encoder raise ValueError.
    """
    return _ENCODER.encode(encode_value(value))


def decode_number(value: Any) -> float | None:
    """Return a float for a JSON number, ``null`` (NaN) or an infinity string; else None."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if value == POSITIVE_INFINITY:
        return math.inf
    if value == NEGATIVE_INFINITY:
        return -math.inf
    if value == "NaN":
        return math.nan
    return None
