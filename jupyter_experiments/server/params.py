"""Parse request fields (query parameters or a JSON body) into typed, checked values.

A query of trial components can come as URL query parameters or as a JSON object in a POST
body. :class:`QueryFields` and :class:`BodyFields` read both with the same methods, so every
endpoint checks its fields once and names an invalid field in the same words.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..errors import ValidationError
from ..validation import check_name

#: Query parameters that jupyter_server itself reads; every endpoint accepts and ignores them.
JUPYTER_ARGUMENTS = frozenset({"token", "_xsrf", "no_track_activity"})

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

#: Largest ``offset`` the parser accepts; the service then rejects one beyond the query's total.
MAX_OFFSET = 2**31 - 1

#: Groups of row fields that the ``columns`` field can select; ``name`` is always returned.
COLUMN_GROUPS = (
    "display_name",
    "trials",
    "experiments",
    "status",
    "times",
    "source",
    "parameters",
    "metrics",
    "artifacts",
    "job_settings",
    "tags",
)

SELECTION_FIELDS = ("experiments", "trials", "unassigned", "search_expression", "name_contains")
SORT_FIELDS = ("sort_by", "sort_order")
PAGE_FIELDS = ("limit", "cursor")


def _shorten(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class QueryFields:
    """Fields from URL query parameters: each name maps to the list of its values."""

    where = "query parameter"

    def __init__(self, arguments: Mapping[str, Sequence[str]]) -> None:
        # JupyterLab's ServerConnection appends a bare timestamp (``?1796417015786``) to GET
        # requests to defeat caches; it is a name without a value, not a parameter.
        self._arguments = {
            k: v
            for k, v in arguments.items()
            if k not in JUPYTER_ARGUMENTS and not (k.isdigit() and all(not item for item in v))
        }

    def names(self) -> Iterable[str]:
        return self._arguments.keys()

    def text(self, name: str) -> str | None:
        values = self._arguments.get(name)
        if not values:
            return None
        if len(values) > 1:
            raise ValidationError(
                f"Invalid query parameter {name!r}: it is given {len(values)} times; give it once."
            )
        return values[0]

    def text_list(self, name: str) -> list[str]:
        # Names contain no commas, so "a,b" and a repeated parameter mean the same.
        items: list[str] = []
        for value in self._arguments.get(name, []):
            items.extend(part.strip() for part in value.split(",") if part.strip())
        return items

    def name_list(self, name: str) -> list[str]:
        """Return the names of a selection parameter, rejecting one given with no name."""
        items = self.text_list(name)
        values = self._arguments.get(name, [])
        if values and not items:
            # "?experiments=" would otherwise select as if no experiment were named: all.
            raise ValidationError(
                f"Invalid query parameter {name!r} {_shorten(values[0])}: give one or more "
                "names separated by commas, or leave the parameter out."
            )
        return items

    def flag(self, name: str) -> bool:
        value = self.text(name)
        if value is None:
            return False
        lowered = value.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no", ""):
            return False
        raise ValidationError(
            f"Invalid query parameter {name!r} {_shorten(value)}: use true or false."
        )

    def integer(self, name: str, default: int, minimum: int, maximum: int) -> int:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            number = None
        return _check_range(self.where, name, value, number, minimum, maximum)

    def mapping(self, name: str) -> Mapping[str, Any] | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            parsed = json.loads(value)
        except ValueError as error:
            raise ValidationError(
                f"Invalid query parameter {name!r}: it is not valid JSON ({error}). URL-encode "
                "a JSON object, or send the query as a POST body."
            ) from None
        return _check_mapping(self.where, name, parsed)


class BodyFields:
    """Fields from a JSON object in a request body."""

    where = "field"

    def __init__(self, body: Mapping[str, Any]) -> None:
        self._body = body

    def names(self) -> Iterable[str]:
        return self._body.keys()

    def text(self, name: str) -> str | None:
        value = self._body.get(name)
        if value is None or isinstance(value, str):
            return value
        raise ValidationError(
            f"Invalid field {name!r} {_shorten(value)}: expected a string, "
            f"got {type(value).__name__}."
        )

    def text_list(self, name: str) -> list[str]:
        value = self._body.get(name)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValidationError(
                f"Invalid field {name!r} {_shorten(value)}: expected a list of strings."
            )
        return list(value)

    def name_list(self, name: str) -> list[str]:
        """Return the names of a selection field; an empty list names none, as for unassigned."""
        return self.text_list(name)

    def flag(self, name: str) -> bool:
        value = self._body.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise ValidationError(
                f"Invalid field {name!r} {_shorten(value)}: expected true or false."
            )
        return value

    def integer(self, name: str, default: int, minimum: int, maximum: int) -> int:
        value = self._body.get(name)
        if value is None:
            return default
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        return _check_range(self.where, name, value, number, minimum, maximum)

    def mapping(self, name: str) -> Mapping[str, Any] | None:
        value = self._body.get(name)
        if value is None:
            return None
        return _check_mapping(self.where, name, value)


Fields = QueryFields | BodyFields


def _check_range(
    where: str, name: str, value: object, number: int | None, minimum: int, maximum: int
) -> int:
    if number is None or not minimum <= number <= maximum:
        raise ValidationError(
            f"Invalid {where} {name!r} {_shorten(value)}: use an integer from {minimum} "
            f"to {maximum}."
        )
    return number


def _check_mapping(where: str, name: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"Invalid {where} {name!r} {_shorten(value)}: expected a JSON object."
        )
    return value


def reject_unknown(fields: Fields, allowed: Collection[str]) -> None:
    """Raise ValidationError naming the first field that the endpoint does not take."""
    for name in fields.names():
        if name not in allowed:
            raise ValidationError(
                f"Unknown {fields.where} {name!r}: this endpoint takes "
                f"{', '.join(sorted(allowed)) or 'none'}."
            )


def require_object(body: Any, what: str = "request body") -> Mapping[str, Any]:
    """Return ``body`` if it is a JSON object."""
    if not isinstance(body, Mapping):
        raise ValidationError(
            f"Invalid {what} {_shorten(body)}: expected a JSON object, got {_json_type(body)}."
        )
    return body


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def body_fields(
    body: Any, *, required: Collection[str] = (), optional: Collection[str] = ()
) -> dict[str, Any]:
    """Return the fields of a JSON object body after checking their names."""
    checked = require_object(body)
    reject_unknown(BodyFields(checked), set(required) | set(optional))
    for name in required:
        if checked.get(name) is None:
            raise ValidationError(f"Missing field in JSON body: {name}.")
    return dict(checked)


def check_names(values: Sequence[str], what: str) -> tuple[str, ...]:
    """Return names after checking each one as an experiment, trial or component name."""
    return tuple(check_name(value, what) for value in values)


def epoch_seconds(value: object, name: str) -> float | None:
    """Return a time given as seconds since the epoch or as an ISO 8601 text; None stays None."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return moment.timestamp()
    raise ValidationError(
        f"Invalid field {name!r} {_shorten(value)}: use seconds since the epoch (UTC) or an "
        "ISO 8601 time such as 2024-05-01T12:00:00Z."
    )


@dataclass(frozen=True)
class Columns:
    """Row fields to return: whole groups, plus single parameters and metrics."""

    groups: frozenset[str] = frozenset(COLUMN_GROUPS)
    parameter_names: frozenset[str] | None = None
    metric_names: frozenset[str] | None = None

    def store_include(self) -> set[str]:
        """Return the ``include`` argument of TrackingStore.search_components."""
        include = {"parameters", "metrics", "artifacts", "tags"} & self.groups
        if self.groups & {"trials", "experiments"}:
            include.add("parents")
        return include


def parse_columns(values: Sequence[str]) -> Columns:
    """Parse ``columns`` entries: group names, ``parameters.<name>`` or ``metrics.<name>``."""
    if not values:
        return Columns()
    groups: set[str] = set()
    parameter_names: set[str] = set()
    metric_names: set[str] = set()
    for value in values:
        prefix, dot, rest = value.partition(".")
        if dot and rest and prefix == "parameters":
            parameter_names.add(rest)
        elif dot and rest and prefix == "metrics":
            metric_names.add(rest)
        elif value == "name":
            continue
        elif value in COLUMN_GROUPS:
            groups.add(value)
        else:
            raise ValidationError(
                f"Invalid columns entry {_shorten(value)}: use name, "
                f"{', '.join(COLUMN_GROUPS)}, parameters.<name> or metrics.<name>."
            )
    # A single key selects its group, reduced to the keys asked for, unless the whole group
    # was asked for as well.
    if parameter_names and "parameters" not in groups:
        groups.add("parameters")
    else:
        parameter_names = set()
    if metric_names and "metrics" not in groups:
        groups.add("metrics")
    else:
        metric_names = set()
    return Columns(
        groups=frozenset(groups),
        parameter_names=frozenset(parameter_names) or None,
        metric_names=frozenset(metric_names) or None,
    )


@dataclass(frozen=True)
class Selection:
    """Selection of the trial components that a query covers."""

    experiments: tuple[str, ...] = ()
    trials: tuple[str, ...] = ()
    unassigned: bool = False
    search_expression: Mapping[str, Any] | None = None
    name_contains: str | None = None

    def store_arguments(self) -> dict[str, Any]:
        """Return the selection arguments of TrackingStore.search_components."""
        return {
            "experiment_names": list(self.experiments) or None,
            "trial_names": list(self.trials) or None,
            "unassigned": self.unassigned,
            "search_expression": self.search_expression,
            "name_contains": self.name_contains or None,
        }

    def normalized(self) -> dict[str, Any]:
        """Return the selection as plain data in one canonical form, for fingerprints."""
        return {
            "experiments": sorted(set(self.experiments)),
            "trials": sorted(set(self.trials)),
            "unassigned": self.unassigned,
            "search_expression": self.search_expression,
            "name_contains": self.name_contains or None,
        }


@dataclass(frozen=True)
class Sort:
    """A sort key and direction, None for the store's default (newest first)."""

    sort_by: str | None = None
    sort_order: str | None = None

    def normalized(self) -> dict[str, Any]:
        order = self.sort_order.lower() if self.sort_order else None
        order = {"asc": "ascending", "desc": "descending"}.get(order or "", order)
        return {"sort_by": self.sort_by, "sort_order": order}


@dataclass(frozen=True)
class Page:
    """The page size, and where the page starts: a cursor, an offset, or neither (the first)."""

    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None
    offset: int | None = None


@dataclass(frozen=True)
class ComponentQuery:
    """A query of trial components: selection, sort, page and returned columns."""

    selection: Selection = field(default_factory=Selection)
    sort: Sort = field(default_factory=Sort)
    page: Page = field(default_factory=Page)
    columns: Columns = field(default_factory=Columns)


def parse_selection(fields: Fields) -> Selection:
    """Read the selection fields shared by the query, columns and CSV endpoints."""
    return Selection(
        experiments=check_names(fields.name_list("experiments"), "experiment name"),
        trials=check_names(fields.name_list("trials"), "trial name"),
        unassigned=fields.flag("unassigned"),
        search_expression=fields.mapping("search_expression"),
        name_contains=fields.text("name_contains"),
    )


def parse_sort(fields: Fields) -> Sort:
    """Read ``sort_by`` and ``sort_order``; the store checks their values."""
    return Sort(sort_by=fields.text("sort_by") or None, sort_order=fields.text("sort_order"))


def parse_page(fields: Fields) -> Page:
    """Read ``limit`` and ``cursor``."""
    return Page(
        limit=fields.integer("limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
        cursor=fields.text("cursor") or None,
    )


def parse_offset_page(fields: Fields) -> Page:
    """Read ``limit`` and either ``cursor`` or ``offset`` (the index of the page's first row)."""
    page = parse_page(fields)
    if "offset" not in set(fields.names()):
        return page

    offset = fields.integer("offset", 0, 0, MAX_OFFSET)
    if page.cursor is not None:
        raise ValidationError(
            f"Invalid {fields.where}s cursor and offset: give one of them. A cursor continues "
            "from the previous page, an offset starts at any row."
        )
    return Page(limit=page.limit, offset=offset)


def parse_component_query(fields: Fields) -> ComponentQuery:
    """Read a whole query of trial components, rejecting fields it does not take."""
    reject_unknown(fields, (*SELECTION_FIELDS, *SORT_FIELDS, *PAGE_FIELDS, "offset", "columns"))
    return ComponentQuery(
        selection=parse_selection(fields),
        sort=parse_sort(fields),
        page=parse_offset_page(fields),
        columns=parse_columns(fields.text_list("columns")),
    )


def body_query_fields(body: Any) -> BodyFields:
    """Return the fields of a query sent as a JSON object in a POST body."""
    return BodyFields(require_object(body))
