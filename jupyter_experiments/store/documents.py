"""JSON documents of a trial component's parameters and metric summaries, kept beside it.

The table query of the REST API returns pages of a hundred components with every parameter and
metric summary. Read from the ``parameters`` and ``metric_summaries`` tables, a page of
components with 30 parameters and 10 metrics is 4,000 rows, and turning them into Python values
and back into JSON took most of the request's time. Each component therefore also has a row
in ``component_documents`` with ``parameters_json`` and ``metrics_json``: the same values as
one JSON object each, rewritten in the transaction that changes the rows, so that a reply
embeds them as they are.

The documents use the REST API's encoding of numbers: NaN (and a missing statistic) is
``null`` and the infinities are the strings ``"Infinity"`` and ``"-Infinity"``. That loses the
difference between a float parameter that is infinite and a string parameter that reads
``"Infinity"``, which is why the tables stay the source of truth. The SDK, searches, sorts
and exports read the tables; only the REST table query reads the documents. A component
written before schema 0004 has NULL documents, and the table query reads its values from the
tables instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

POSITIVE_INFINITY = "Infinity"
NEGATIVE_INFINITY = "-Infinity"

#: The statistics of one metric in ``metrics_json``, in the order the REST API lists them.
SUMMARY_FIELDS = (
    "min",
    "max",
    "avg",
    "std_dev",
    "last",
    "first",
    "count",
    "nan_count",
    "last_step",
    "last_timestamp",
)


class JSONDocument:
    """JSON text that a REST reply embeds as it is, instead of a value it encodes."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"JSONDocument({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JSONDocument) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def encode_number(value: float | None) -> float | str | None:
    """Return a float in the REST encoding: None for NaN and None, a string for infinities."""
    if value is None or value != value:
        return None
    if value - value == 0:
        return value
    return POSITIVE_INFINITY if value > 0 else NEGATIVE_INFINITY


def parameters_document(values: Mapping[str, Any]) -> str:
    """Return the JSON object of a component's parameters, by name, in the REST encoding."""
    return _dumps(
        {
            name: encode_number(value) if type(value) is float else value
            for name, value in sorted(values.items())
        }
    )


def summary_entry(record: Mapping[Any, Any]) -> dict[str, Any]:
    """Return one metric's statistics, as ``metric_summaries`` stores them, for the document."""
    entry: dict[str, Any] = {}
    for field in SUMMARY_FIELDS:
        value = record[field]
        if field in ("count", "nan_count"):
            entry[field] = int(value)
        elif type(value) is float:
            entry[field] = encode_number(value)
        else:
            entry[field] = value
    return entry


def metrics_document(entries: Mapping[str, Mapping[str, Any]]) -> str:
    """Return the JSON object of a component's metric statistics, by metric name."""
    return _dumps({name: entries[name] for name in sorted(entries)})


def _dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        # orjson refuses integers beyond 64 bits, which a parameter may hold exactly.
        return json.dumps(value, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
