"""Shape store records into the JSON objects of the REST API.

Times are UTC seconds since the epoch. Field names are snake_case and stable: the Lab frontend
and notebook widgets read them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..store.documents import JSONDocument, encode_number
from .json_encoding import EncodedRecord, encode_value
from .params import Columns

#: Parameter types as the columns endpoint reports them, by the store's value types.
PARAMETER_TYPES = {"integer": "number", "float": "number", "boolean": "boolean", "string": "string"}


def experiment_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return an experiment as the API shows it."""
    return {
        "name": row["name"],
        "display_name": row["display_name"],
        "description": row["description"],
        "created_at": row["created_at"],
        "modified_at": row["modified_at"],
        "trial_count": row["trial_count"],
        "tags": row["tags"],
    }


def trial_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return a trial as the API shows it."""
    return {
        "name": row["name"],
        "display_name": row["display_name"],
        "experiment": row["experiment_name"],
        "created_at": row["created_at"],
        "modified_at": row["modified_at"],
        "component_count": row["component_count"],
        "status_counts": row["status_counts"],
        "tags": row["tags"],
    }


def component_record(row: Mapping[str, Any], columns: Columns | None = None) -> EncodedRecord:
    """Return a trial component with the column groups that ``columns`` selects.

    The record is in the REST API's JSON encoding already (server/json_encoding.py): its only
    floats are its times and the values of its parameters, metrics and job settings, and each
    is encoded here, where the fields are known.
    """
    columns = columns or Columns()
    groups = columns.groups
    record = EncodedRecord(name=row["name"])
    if "display_name" in groups:
        record["display_name"] = row["display_name"]
    if "trials" in groups:
        record["trials"] = row["trials"]
    if "experiments" in groups:
        record["experiments"] = row["experiments"]
    if "status" in groups:
        record["status"] = row["status"]
        record["status_message"] = row["status_message"]
    if "times" in groups:
        record["created_at"] = encode_number(row["created_at"])
        record["modified_at"] = encode_number(row["modified_at"])
        record["start_time"] = encode_number(row["start_time"])
        record["end_time"] = encode_number(row["end_time"])
    if "source" in groups:
        record["source_arn"] = row["source_arn"]
        record["source_type"] = row["source_type"]
    if "parameters" in groups:
        record["parameters"] = _only(row["parameters"], columns.parameter_names)
    if "metrics" in groups:
        record["metrics"] = _only(row["metrics"], columns.metric_names)
    if "artifacts" in groups:
        record["input_artifacts"] = row["input_artifacts"]
        record["output_artifacts"] = row["output_artifacts"]
    if "job_settings" in groups:
        record["job_settings"] = encode_value(row["job_settings"])
    if "tags" in groups:
        record["tags"] = row["tags"]
    return record


def _only(values: Mapping[str, Any] | JSONDocument, names: frozenset[str] | None) -> Any:
    if isinstance(values, JSONDocument):
        if names is None:
            return values
        # Already in the REST encoding.
        found = json.loads(values.text)
        return {key: value for key, value in found.items() if key in names}
    if names is None:
        return encode_value(dict(values))
    return encode_value({key: value for key, value in values.items() if key in names})


def columns_record(found: Mapping[str, list[tuple[str, str]]]) -> dict[str, Any]:
    """Return the output of TrackingStore.component_columns as the columns endpoint shows it.

    A parameter whose values have different types on different components has type ``mixed``.
    """
    parameter_types: dict[str, set[str]] = {}
    for name, value_type in found["parameters"]:
        parameter_types.setdefault(name, set()).add(PARAMETER_TYPES.get(value_type, "string"))
    return {
        "parameters": [
            {"name": name, "type": types.pop() if len(types) == 1 else "mixed"}
            for name, types in sorted(parameter_types.items())
        ],
        "metrics": [{"name": name} for name, _ in found["metrics"]],
        "artifacts": [{"name": name, "kind": kind} for name, kind in found["artifacts"]],
    }


def change_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return a change event as a live-update notice."""
    resource_type = row["resource_type"]
    record = {
        "type": "change",
        "id": row["id"],
        "resource_type": "trial_component" if resource_type == "component" else resource_type,
        "name": row["resource_name"],
        "experiment": row["experiment_name"],
        "trial": row["trial_name"],
        "action": row["action"],
        "time": row["created_at"],
    }
    parents = row.get("parents")
    if parents is not None:
        # The component's trials and experiments when the notice was sent.
        record["trials"] = parents["trials"]
        record["experiments"] = parents["experiments"]
    return record
