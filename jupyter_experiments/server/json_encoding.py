"""JSON for REST responses: one encoding of NaN and the infinities that browsers can parse.

``JSON.parse`` rejects the ``NaN`` and ``Infinity`` tokens that Python's ``json`` writes by
default. Responses therefore carry NaN as ``null`` and the infinities as the strings
``"Infinity"`` and ``"-Infinity"``; every other float is a plain JSON number. Request bodies may
use the same forms for metric values.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import orjson

from ..store.documents import NEGATIVE_INFINITY, POSITIVE_INFINITY, JSONDocument

logger = logging.getLogger("jupyter_experiments")


class EncodedRecord(dict[str, Any]):
    """A record whose values are already in this encoding, so :func:`dumps` does not walk it.

    Its :class:`JSONDocument` values are written as they are. The records of a page of trial
    components are built this way (see ``records.py``): walking a hundred of them again here
    took longer than orjson takes to write the whole page.
    """


def encode_value(value: Any) -> Any:
    """Return ``value`` with NaN replaced by None and infinities by their strings, recursively.

    A :class:`JSONDocument`, already in this encoding, becomes an ``orjson.Fragment`` that
    orjson writes as it is. An :class:`EncodedRecord` is returned as it is.
    """
    kind = type(value)
    if kind is float:
        return value if value - value == 0 else _non_finite(value)
    if kind is dict:
        return _encode_dict(value)
    if kind is list or kind is tuple:
        return _encode_list(value)
    if kind is JSONDocument:
        return orjson.Fragment(value.text)
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
        elif kind is JSONDocument:
            result[key] = orjson.Fragment(item.text)
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
        elif kind is JSONDocument:
            result.append(orjson.Fragment(item.text))
        else:
            # Strings, numbers, None, and EncodedRecord, which orjson writes as a dict.
            result.append(item)
    return result


def _non_finite(value: float) -> str | None:
    if math.isnan(value):
        return None
    return POSITIVE_INFINITY if value > 0 else NEGATIVE_INFINITY


_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"), check_circular=False)


def dumps(value: Any) -> bytes:
    """Return compact JSON for a response body, as UTF-8.

    orjson writes a page of tens of thousands of numbers about ten times faster than the
    standard encoder. It refuses integers beyond 64 bits and keys that are not strings, and
    those values go through the standard encoder instead. Only dicts, lists and tuples are
    walked for NaN and the infinities: a numpy scalar is written by orjson as a number, with
    NaN and the infinities as ``null``.
    """
    encoded = encode_value(value)
    try:
        return orjson.dumps(encoded, default=_document_fragment, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError as error:
        logger.debug("Encoding a response with the standard JSON encoder: %s", error)
        return _ENCODER.encode(encode_value(_parsed_documents(value))).encode("utf-8")


def _document_fragment(value: Any) -> Any:
    """Write the JSON documents in an :class:`EncodedRecord` as they are."""
    if type(value) is JSONDocument:
        return orjson.Fragment(value.text)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")


def _parsed_documents(value: Any) -> Any:
    """Return ``value`` with each JSONDocument parsed, for the standard encoder."""
    kind = type(value)
    if kind is JSONDocument:
        return json.loads(value.text)
    if kind is dict or kind is EncodedRecord:
        return {key: _parsed_documents(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_parsed_documents(item) for item in value]
    return value


def dumps_text(value: Any) -> str:
    """Return what :func:`dumps` does as text, for WebSocket messages that must be text frames."""
    return dumps(value).decode("utf-8")


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
