"""The OpenAPI 3.1 document of the REST API, served at ``experiments/api/openapi.json``.

A test checks that the document and the registered handlers list the same paths and methods.
"""

from __future__ import annotations

import copy
from typing import Any

from ..limits import MAX_NAME_LENGTH
from .log_tail import MAX_TAIL_LINES
from .params import COLUMN_GROUPS, MAX_PAGE_SIZE

NAME_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_NAME_LENGTH - 1}}}$"

FLOAT_DESCRIPTION = (
    'A float: a JSON number, null for NaN (a missing value), or the string "Infinity" or '
    '"-Infinity".'
)

_ref = "#/components/schemas/"

SORT_ORDER_DEFAULT = "Default: Descending without sort_by (newest first), Ascending with it."


def _schema(name: str) -> dict[str, Any]:
    return {"$ref": _ref + name}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path_name(name: str, description: str, example: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "pattern": NAME_PATTERN},
        "example": example,
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "A key chosen once per batch, such as a UUID, and sent again with each retry of that "
        "batch. A key already written for this trial component gets the first reply without a "
        "second write; a key already written for another component gets 409."
    ),
    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
}

EXPERIMENT = _path_name("experiment", "Experiment name.", "mnist")
TRIAL = _path_name("trial", "Trial name.", "mnist-trial-1")
COMPONENT = _path_name("component", "Trial component name.", "mnist-training-1")

PAGING = [
    _query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": 100},
        "Page size.",
    ),
    _query(
        "cursor",
        {"type": "string"},
        "The next_cursor of the previous page. It only works with the query that issued it: "
        "another selection, search expression or sort gets 400.",
    ),
]

OFFSET = _query(
    "offset",
    {"type": "integer", "minimum": 0},
    "Index of the page's first row, from 0 to the query's total, to fetch any page directly; "
    "not with cursor. The reply's next_cursor continues from there.",
)

LIST_FILTERS = [
    _query(
        "name_contains",
        {"type": "string"},
        "Keep names or display names containing this text (case-insensitive).",
    ),
    _query(
        "sort_by",
        {"type": "string"},
        "Name, DisplayName, CreationTime or LastModifiedTime (default CreationTime).",
    ),
    _query(
        "sort_order", {"type": "string", "enum": ["Ascending", "Descending"]}, SORT_ORDER_DEFAULT
    ),
]

SELECTION = [
    _query(
        "experiments",
        {"type": "array", "items": {"type": "string", "pattern": NAME_PATTERN}},
        "Experiment names (repeat the parameter or separate with commas).",
    ),
    _query(
        "trials",
        {"type": "array", "items": {"type": "string", "pattern": NAME_PATTERN}},
        "Trial names (repeat the parameter or separate with commas).",
    ),
    _query("unassigned", {"type": "boolean"}, "Include the trial components that are in no trial."),
    _query(
        "search_expression",
        {"type": "string"},
        'A search expression as URL-encoded JSON: {"Filters": [...], "NestedFilters": '
        '[...], "SubExpressions": [...], "Operator": "And"|"Or"}. It narrows the union '
        "of experiments, trials and unassigned.",
    ),
    _query(
        "name_contains", {"type": "string"}, "Keep names or display names containing this text."
    ),
]

SORT = [
    _query(
        "sort_by",
        {"type": "string"},
        "A column: Name, DisplayName, Status, CreationTime, LastModifiedTime, StartTime, "
        "EndTime, SourceArn, trial, experiment, duration, "
        "metrics.<metric>.<Min|Max|Avg|StdDev|Last|First|Count>, parameters.<name>, "
        "input_artifacts.<name>, output_artifacts.<name> or job_settings.<name>. Numbers sort "
        "as numbers; missing "
        "and NaN values come last in both directions.",
    ),
    _query(
        "sort_order", {"type": "string", "enum": ["Ascending", "Descending"]}, SORT_ORDER_DEFAULT
    ),
]

COLUMNS = _query(
    "columns",
    {"type": "array", "items": {"type": "string"}},
    "Fields to return besides name: "
    + ", ".join(COLUMN_GROUPS)
    + ", or single parameters.<name> and metrics.<name>. Default: all.",
)

QUERY_BODY_PROPERTIES: dict[str, Any] = {
    "experiments": {"type": "array", "items": {"type": "string"}},
    "trials": {"type": "array", "items": {"type": "string"}},
    "unassigned": {"type": "boolean"},
    "search_expression": _schema("SearchExpression"),
    "name_contains": {"type": "string"},
    "sort_by": {"type": "string"},
    "sort_order": {"type": "string", "enum": ["Ascending", "Descending"]},
}

ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "403": {"$ref": "#/components/responses/Forbidden"},
}
NOT_FOUND = {"404": {"$ref": "#/components/responses/NotFound"}}
CONFLICT = {"409": {"$ref": "#/components/responses/Conflict"}}
TOO_LARGE = {"413": {"$ref": "#/components/responses/TooLarge"}}


def _body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": schema}},
        "description": description,
    }


def _operation(
    operation_id: str,
    summary: str,
    responses: dict[str, Any],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    errors: dict[str, Any] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "responses": {**responses, **ERRORS, **(errors or {})},
    }
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = body
        operation["responses"].update(TOO_LARGE)
    return operation


def _paths() -> dict[str, Any]:
    return {
        "/openapi.json": {
            "get": _operation(
                "getOpenApi",
                "This document.",
                {"200": _json({"type": "object"}, "The OpenAPI document.")},
            )
        },
        "/experiments": {
            "get": _operation(
                "listExperiments",
                "A page of experiments.",
                {"200": _json(_schema("ExperimentPage"), "Experiments.")},
                parameters=[*LIST_FILTERS, *PAGING],
            ),
            "post": _operation(
                "createExperiment",
                "Create an experiment.",
                {"201": _json(_schema("Experiment"), "The new experiment; Location names it.")},
                body=_body(_schema("ExperimentCreate"), "The experiment."),
                errors=CONFLICT,
            ),
        },
        "/experiments/{experiment}": {
            "parameters": [EXPERIMENT],
            "get": _operation(
                "getExperiment",
                "One experiment.",
                {"200": _json(_schema("Experiment"), "The experiment.")},
                errors=NOT_FOUND,
            ),
            "patch": _operation(
                "updateExperiment",
                "Change the display name, description or tags; absent fields stay.",
                {"200": _json(_schema("Experiment"), "The changed experiment.")},
                body=_body(_schema("ExperimentUpdate"), "The changes."),
                errors=NOT_FOUND,
            ),
            "delete": _operation(
                "deleteExperiment",
                "Delete an experiment. Without force, 409 while it has trials; with force, its "
                "trials and every trial component that no other experiment uses go too.",
                {"200": _json(_schema("ExperimentDeletion"), "What was deleted and kept.")},
                parameters=[
                    _query("force", {"type": "boolean"}, "Delete the trials too."),
                    _query(
                        "dry_run",
                        {"type": "boolean"},
                        "Delete nothing; return what would be deleted and kept.",
                    ),
                ],
                errors={**NOT_FOUND, **CONFLICT},
            ),
        },
        "/experiments/{experiment}/trials": {
            "parameters": [EXPERIMENT],
            "get": _operation(
                "listTrials",
                "A page of the experiment's trials.",
                {"200": _json(_schema("TrialPage"), "Trials.")},
                parameters=[*LIST_FILTERS, *PAGING],
                errors=NOT_FOUND,
            ),
            "post": _operation(
                "createTrial",
                "Create a trial in the experiment.",
                {"201": _json(_schema("Trial"), "The new trial; Location names it.")},
                body=_body(_schema("TrialCreate"), "The trial."),
                errors={**NOT_FOUND, **CONFLICT},
            ),
        },
        "/experiments/{experiment}/trials/{trial}": {
            "parameters": [EXPERIMENT, TRIAL],
            "get": _operation(
                "getTrial",
                "One trial.",
                {"200": _json(_schema("Trial"), "The trial.")},
                errors=NOT_FOUND,
            ),
            "patch": _operation(
                "updateTrial",
                "Change the display name or tags; absent fields stay.",
                {"200": _json(_schema("Trial"), "The changed trial.")},
                body=_body(_schema("TrialUpdate"), "The changes."),
                errors=NOT_FOUND,
            ),
            "delete": _operation(
                "deleteTrial",
                "Delete a trial; its trial components stay unless delete_components is true.",
                {"200": _json(_schema("TrialDeletion"), "What was deleted and kept.")},
                parameters=[
                    _query(
                        "delete_components",
                        {"type": "boolean"},
                        "Delete the trial components that no other trial uses.",
                    ),
                    _query(
                        "dry_run",
                        {"type": "boolean"},
                        "Delete nothing; return what would be deleted and kept.",
                    ),
                ],
                errors=NOT_FOUND,
            ),
        },
        "/experiments/{experiment}/trials/{trial}/trial-components/{component}": {
            "parameters": [EXPERIMENT, TRIAL, COMPONENT],
            "put": _operation(
                "associateTrialComponent",
                "Add the trial component to the trial (adding it twice is no error).",
                {"204": {"description": "Added."}},
                errors=NOT_FOUND,
            ),
            "delete": _operation(
                "disassociateTrialComponent",
                "Remove the trial component from the trial; the component stays.",
                {"204": {"description": "Removed."}},
                errors=NOT_FOUND,
            ),
        },
        "/query/trial-components": {
            "get": _operation(
                "queryTrialComponents",
                "A page of trial components of a selection, sorted, with the total count.",
                {"200": _json(_schema("TrialComponentPage"), "Trial components.")},
                parameters=[*SELECTION, *SORT, *PAGING, OFFSET, COLUMNS],
            ),
            "post": _operation(
                "queryTrialComponentsByBody",
                "The same query with its fields in a JSON body, for long search expressions. "
                "It reads only, and needs the read permission.",
                {"200": _json(_schema("TrialComponentPage"), "Trial components.")},
                body=_body(_schema("TrialComponentQuery"), "The query."),
            ),
        },
        "/query/columns": {
            "get": _operation(
                "queryColumns",
                "The parameter, metric and artifact names of a selection, without its rows.",
                {"200": _json(_schema("Columns"), "Column names and types.")},
                parameters=SELECTION,
            ),
            "post": _operation(
                "queryColumnsByBody",
                "The same with the selection in a JSON body (a read).",
                {"200": _json(_schema("Columns"), "Column names and types.")},
                body=_body(_schema("Selection"), "The selection."),
            ),
        },
        "/query/csv": {
            "get": _operation(
                "exportCsv",
                "The trial components of a selection as CSV; cells that a spreadsheet would run "
                "as formulas start with a quote.",
                {
                    "200": {
                        "description": "CSV text.",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    }
                },
                parameters=[*SELECTION, *SORT, COLUMNS],
            ),
            "post": _operation(
                "exportCsvByBody",
                "The same with the query in a JSON body (a read).",
                {
                    "200": {
                        "description": "CSV text.",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    }
                },
                body=_body(_schema("CsvQuery"), "The query."),
            ),
        },
        "/trial-components": {
            "post": _operation(
                "createTrialComponent",
                "Create a trial component; with experiment and trial, add it to that trial.",
                {"201": _json(_schema("TrialComponent"), "The new trial component.")},
                body=_body(_schema("TrialComponentCreate"), "The trial component."),
                errors={**NOT_FOUND, **CONFLICT},
            ),
        },
        "/trial-components/{component}": {
            "parameters": [COMPONENT],
            "get": _operation(
                "getTrialComponent",
                "One trial component with every field.",
                {"200": _json(_schema("TrialComponent"), "The trial component.")},
                errors=NOT_FOUND,
            ),
            "patch": _operation(
                "updateTrialComponent",
                "Log parameters and artifacts (merged by name), set the status or other fields.",
                {"200": _json(_schema("TrialComponent"), "The changed trial component.")},
                body=_body(_schema("TrialComponentUpdate"), "The changes."),
                errors=NOT_FOUND,
            ),
            "delete": _operation(
                "deleteTrialComponent",
                "Delete a trial component; 409 while it is in a trial, unless force is true.",
                {"204": {"description": "Deleted."}},
                parameters=[
                    _query("force", {"type": "boolean"}, "Remove it from its trials first.")
                ],
                errors={**NOT_FOUND, **CONFLICT},
            ),
        },
        "/trial-components/{component}/metrics": {
            "parameters": [COMPONENT],
            "get": _operation(
                "getMetricSeries",
                "Points of one or more metrics ordered by step.",
                {"200": _json(_schema("MetricSeries"), "The series by metric name.")},
                parameters=[
                    {
                        "name": "name",
                        "in": "query",
                        "required": True,
                        "description": "Metric name; repeat for several metrics.",
                        "schema": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    },
                    _query(
                        "max_points",
                        {"type": "integer", "minimum": 0},
                        "Downsample longer series to about this many points, keeping each "
                        "bucket's first, minimum and maximum; 0 (default) returns every point. "
                        "At least 3 otherwise.",
                    ),
                ],
                errors=NOT_FOUND,
            ),
            "post": _operation(
                "logMetrics",
                "Append a batch of metric points and update their summaries in one transaction.",
                {"200": _json(_schema("MetricBatchResult"), "How many points were written.")},
                parameters=[IDEMPOTENCY_KEY],
                body=_body(_schema("MetricBatch"), "The points."),
                errors={**NOT_FOUND, **CONFLICT},
            ),
        },
        "/trial-components/{component}/log": {
            "parameters": [COMPONENT],
            "get": _operation(
                "getJobLogTail",
                "The last lines of the job log (output artifact 'log'), if the file is under "
                "the artifact root.",
                {"200": _json(_schema("LogTail"), "The lines.")},
                parameters=[
                    _query(
                        "lines",
                        {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_TAIL_LINES,
                            "default": 200,
                        },
                        "Number of lines.",
                    )
                ],
                errors=NOT_FOUND,
            ),
        },
        "/trial-components/{component}/stop": {
            "parameters": [COMPONENT],
            "post": _operation(
                "stopJob",
                "Stop the running local job of a trial component (source type local-job, status "
                "InProgress, started on the server's host): the status becomes Stopping, the "
                "training process gets SIGTERM, SIGKILL after a grace period, and the status "
                "becomes Stopped once it has exited. No body.",
                {"202": _json(_schema("TrialComponent"), "The trial component, Stopping.")},
                errors={**NOT_FOUND, **CONFLICT},
            ),
        },
        "/live": {
            "get": _operation(
                "liveUpdates",
                "WebSocket of change notices. Messages: {type: hello, id, interval} first, then "
                "{type: change, id, resource_type (experiment|trial|trial_component), name, "
                "experiment, trial, action, time} per change (trial component notices also carry "
                "trials and experiments: where the component is when the notice is sent), and "
                "{type: reset, id, message} "
                "when missed changes cannot be replayed.",
                {"101": {"description": "Switching to the WebSocket protocol."}},
                parameters=[
                    _query(
                        "since",
                        {"type": "integer", "minimum": 0},
                        "Send the changes after this change id first.",
                    )
                ],
            ),
        },
    }


def _schemas() -> dict[str, Any]:
    float_value = {
        "description": FLOAT_DESCRIPTION,
        "oneOf": [
            {"type": "number"},
            {"type": "null"},
            {"type": "string", "enum": ["Infinity", "-Infinity"]},
        ],
    }
    tags = {"type": "object", "additionalProperties": {"type": "string"}}
    names = {"type": "array", "items": {"type": "string"}}
    time_value = {"type": ["number", "null"], "description": "UTC seconds since the epoch."}
    artifacts = {"type": "object", "additionalProperties": _schema("Artifact")}
    parameter_value = {"type": ["number", "string", "boolean", "null"]}

    def page(item: str) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["items", "total", "next_cursor"],
            "properties": {
                "items": {"type": "array", "items": _schema(item)},
                "total": {"type": "integer"},
                "next_cursor": {"type": ["string", "null"]},
            },
        }

    component_fields = {
        "display_name": {"type": "string"},
        "status": {
            "type": "string",
            "enum": ["InProgress", "Completed", "Failed", "Stopping", "Stopped"],
        },
        "status_message": {"type": "string"},
        "start_time": {"type": ["number", "string"]},
        "end_time": {"type": ["number", "string"]},
        "source_arn": {"type": "string"},
        "source_type": {"type": "string"},
        "job_settings": {"type": "object"},
        "parameters": {
            "type": "object",
            "additionalProperties": {"type": ["number", "string", "boolean"]},
        },
        "input_artifacts": {"type": "object", "additionalProperties": _schema("ArtifactInput")},
        "output_artifacts": {"type": "object", "additionalProperties": _schema("ArtifactInput")},
        "tags": tags,
    }
    return {
        "Error": {
            "type": "object",
            "required": ["message"],
            "properties": {"message": {"type": "string"}},
        },
        "Float": float_value,
        "Experiment": {
            "type": "object",
            "required": ["name", "display_name", "created_at", "trial_count", "tags"],
            "properties": {
                "name": {"type": "string"},
                "display_name": {"type": ["string", "null"]},
                "description": {"type": ["string", "null"]},
                "created_at": {"type": "number"},
                "modified_at": {"type": "number"},
                "trial_count": {"type": "integer"},
                "tags": tags,
            },
        },
        "ExperimentCreate": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "pattern": NAME_PATTERN},
                "display_name": {"type": "string"},
                "description": {"type": "string"},
                "tags": tags,
            },
        },
        "ExperimentUpdate": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "display_name": {"type": "string"},
                "description": {"type": "string"},
                "tags": tags,
            },
        },
        "ExperimentDeletion": {
            "type": "object",
            "properties": {
                "experiment": {"type": "string"},
                "trials": names,
                "trial_components": names,
                "kept_trial_components": names,
            },
        },
        "ExperimentPage": page("Experiment"),
        "Trial": {
            "type": "object",
            "required": ["name", "experiment"],
            "properties": {
                "name": {"type": "string"},
                "display_name": {"type": ["string", "null"]},
                "experiment": {"type": "string"},
                "created_at": {"type": "number"},
                "modified_at": {"type": "number"},
                "component_count": {"type": "integer"},
                "status_counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                "tags": tags,
            },
        },
        "TrialCreate": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "pattern": NAME_PATTERN},
                "display_name": {"type": "string"},
                "tags": tags,
            },
        },
        "TrialUpdate": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"display_name": {"type": "string"}, "tags": tags},
        },
        "TrialDeletion": {
            "type": "object",
            "properties": {
                "trial": {"type": "string"},
                "trial_components": names,
                "kept_trial_components": names,
            },
        },
        "TrialPage": page("Trial"),
        "Artifact": {
            "type": "object",
            "properties": {"value": {"type": "string"}, "media_type": {"type": ["string", "null"]}},
        },
        "ArtifactInput": {
            "type": "object",
            "required": ["value"],
            "properties": {"value": {"type": "string"}, "media_type": {"type": "string"}},
        },
        "MetricSummary": {
            "type": "object",
            "description": "Statistics skip NaN points, which nan_count counts. "
            + FLOAT_DESCRIPTION,
            "properties": {
                "min": float_value,
                "max": float_value,
                "avg": float_value,
                "std_dev": float_value,
                "last": float_value,
                "first": float_value,
                "count": {"type": "integer"},
                "nan_count": {"type": "integer"},
                "last_step": {"type": ["integer", "null"]},
                "last_timestamp": {"type": ["number", "null"]},
            },
        },
        "TrialComponent": {
            "type": "object",
            "required": ["name"],
            "description": "Fields beyond name are there when the columns parameter selects them.",
            "properties": {
                "name": {"type": "string"},
                "display_name": {"type": ["string", "null"]},
                "trials": names,
                "experiments": names,
                "parameter_types": {
                    "type": "object",
                    "description": "Each parameter's type: boolean, integer, float or string; "
                    "only in the reply for one trial component.",
                    "additionalProperties": {
                        "type": "string",
                        "enum": ["boolean", "integer", "float", "string"],
                    },
                },
                "trial_mappings": {
                    "type": "array",
                    "description": "Each trial with its experiment; only in the reply for one "
                    "trial component.",
                    "items": {
                        "type": "object",
                        "required": ["trial", "experiment"],
                        "properties": {
                            "trial": {"type": "string"},
                            "experiment": {"type": "string"},
                        },
                    },
                },
                "status": {"type": ["string", "null"]},
                "status_message": {"type": ["string", "null"]},
                "created_at": {"type": "number"},
                "modified_at": {"type": "number"},
                "start_time": time_value,
                "end_time": time_value,
                "source_arn": {"type": ["string", "null"]},
                "source_type": {"type": ["string", "null"]},
                "parameters": {
                    "type": "object",
                    "description": "Values keep their type; a NaN float is null.",
                    "additionalProperties": parameter_value,
                },
                "metrics": {"type": "object", "additionalProperties": _schema("MetricSummary")},
                "input_artifacts": artifacts,
                "output_artifacts": artifacts,
                "job_settings": {"type": "object"},
                "tags": tags,
            },
        },
        "TrialComponentCreate": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "pattern": NAME_PATTERN},
                "experiment": {"type": "string"},
                "trial": {"type": "string"},
                **component_fields,
            },
        },
        "TrialComponentUpdate": {
            "type": "object",
            "additionalProperties": False,
            "properties": {**component_fields, "parameters_to_remove": names},
        },
        "TrialComponentPage": {
            **page("TrialComponent"),
            "required": ["items", "total", "next_cursor", "missing"],
            "properties": {
                **page("TrialComponent")["properties"],
                "missing": {
                    "type": "object",
                    "description": (
                        "The experiments and trials of the selection that do not exist, such "
                        "as deleted ones; the query matches no component of theirs."
                    ),
                    "required": ["experiments", "trials"],
                    "properties": {"experiments": names, "trials": names},
                },
            },
        },
        "SearchExpression": {
            "type": "object",
            "description": "Filters, nested filters and sub-expressions combined with Operator.",
            "properties": {
                "Filters": {"type": "array", "items": _schema("Filter")},
                "NestedFilters": {"type": "array", "items": {"type": "object"}},
                "SubExpressions": {"type": "array", "items": {"type": "object"}},
                "Operator": {"type": "string", "enum": ["And", "Or"]},
            },
        },
        "Filter": {
            "type": "object",
            "required": ["Name"],
            "properties": {
                "Name": {"type": "string"},
                "Operator": {
                    "type": "string",
                    "enum": [
                        "Equals",
                        "NotEquals",
                        "GreaterThan",
                        "GreaterThanOrEqualTo",
                        "LessThan",
                        "LessThanOrEqualTo",
                        "Contains",
                        "Exists",
                        "NotExists",
                        "In",
                    ],
                },
                "Value": {},
            },
        },
        "Selection": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                key: value
                for key, value in QUERY_BODY_PROPERTIES.items()
                if key not in ("sort_by", "sort_order")
            },
        },
        "TrialComponentQuery": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                **QUERY_BODY_PROPERTIES,
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                "cursor": {"type": "string"},
                "offset": {"type": "integer", "minimum": 0},
                "columns": names,
            },
        },
        "CsvQuery": {
            "type": "object",
            "additionalProperties": False,
            "properties": {**QUERY_BODY_PROPERTIES, "columns": names},
        },
        "Columns": {
            "type": "object",
            "properties": {
                "parameters": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "type": {
                                "type": "string",
                                "enum": ["number", "string", "boolean", "mixed"],
                            },
                        },
                    },
                },
                "metrics": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                },
                "artifacts": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "kind": {"type": "string", "enum": ["input", "output"]},
                        },
                    },
                },
                "job_settings": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "name": {"type": "string"},
                            "type": {
                                "type": "string",
                                "enum": [
                                    "number",
                                    "string",
                                    "boolean",
                                    "array",
                                    "object",
                                    "null",
                                    "mixed",
                                ],
                            },
                        },
                    },
                },
            },
        },
        "MetricPoint": {
            "type": "object",
            "required": ["step", "timestamp", "value"],
            "properties": {
                "step": {"type": "integer"},
                "timestamp": {"type": "number"},
                "value": float_value,
            },
        },
        "MetricSeries": {
            "type": "object",
            "properties": {
                "trial_component": {"type": "string"},
                "series": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": _schema("MetricPoint")},
                },
            },
        },
        "MetricBatch": {
            "type": "object",
            "required": ["metrics"],
            "additionalProperties": False,
            "properties": {
                "metrics": {
                    "type": "array",
                    "description": "At most JupyterExperiments.max_metric_batch points.",
                    "items": {
                        "type": "object",
                        "required": ["name", "value", "step"],
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string"},
                            "value": float_value,
                            "step": {"type": "integer"},
                            "timestamp": {"type": "number", "description": "Default: now."},
                        },
                    },
                }
            },
        },
        "MetricBatchResult": {"type": "object", "properties": {"written": {"type": "integer"}}},
        "LogTail": {
            "type": "object",
            "properties": {
                "trial_component": {"type": "string"},
                "lines": names,
                "truncated": {"type": "boolean"},
                "size": {"type": "integer", "description": "Size of the log file in bytes."},
            },
        },
    }


def _responses() -> dict[str, Any]:
    error = {"application/json": {"schema": _schema("Error")}}
    return {
        "BadRequest": {
            "description": "Invalid input; the message names the field and the fix.",
            "content": error,
        },
        "Forbidden": {"description": "Not authenticated or not authorized.", "content": error},
        "NotFound": {
            "description": "No such experiment, trial, trial component or metric.",
            "content": error,
        },
        "Conflict": {
            "description": "The name exists, or the resource still has children.",
            "content": error,
        },
        "TooLarge": {
            "description": "The body exceeds JupyterExperiments.max_body_bytes.",
            "content": error,
        },
    }


_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "jupyter-experiments REST API",
        "version": "1",
        "description": (
            "Experiments, trials and trial components of the jupyter-experiments tracking "
            'store. Every error is {"message": ...}. ' + FLOAT_DESCRIPTION + " Times are UTC "
            "seconds since the epoch. Authenticate as with any Jupyter server API: an "
            "'Authorization: token <token>' header, or the session cookie plus the _xsrf token "
            "on writes."
        ),
    },
    "paths": _paths(),
    "components": {
        "schemas": _schemas(),
        "responses": _responses(),
        "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "Authorization"}},
    },
    "security": [{"token": []}],
}


def build_document(server_url: str) -> dict[str, Any]:
    """Return the OpenAPI document with ``server_url`` (the API's root path) as its server."""
    document = copy.deepcopy(_DOCUMENT)
    document["servers"] = [{"url": server_url}]
    return document
