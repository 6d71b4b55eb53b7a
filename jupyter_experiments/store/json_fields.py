"""One key of a JSON text column, as a number or as text, on SQLite and PostgreSQL alike.

Job settings are stored as JSON text. Sorting components by one setting needs the value of one
key, with numbers compared as numbers, which each backend spells differently: SQLite has
``json_type`` and ``json_extract`` over a path, PostgreSQL ``jsonb_typeof`` and ``->>`` over a
``jsonb`` cast. A missing key and a JSON ``null`` both give SQL NULL.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from ..errors import ValidationError


class _JsonKey(ColumnElement[Any]):
    """The value of ``key`` in the JSON object stored as text in ``column``."""

    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012
        ("column", InternalTraversal.dp_clauseelement),
        ("key", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any], key: str) -> None:
        if not key or '"' in key or "\\" in key:
            raise ValidationError(
                f"Invalid key {key!r} to sort by: use a non-empty name without double quotes "
                "or backslashes."
            )
        self.column = column
        self.key = key


class JsonNumber(_JsonKey):
    """The key's value if it is a JSON number, else NULL."""

    inherit_cache = True
    type = sa.Float()


class JsonText(_JsonKey):
    """The key's value as text if it is a string, a boolean, an array or an object, else NULL."""

    inherit_cache = True
    type = sa.Text()


def _sqlite_path(element: _JsonKey) -> Any:
    # A quoted path step, so that dots and brackets in the key stay part of the name.
    return sa.literal(f'$."{element.key}"')


@compiles(JsonNumber)
def _number_sqlite(element: JsonNumber, compiler: SQLCompiler, **kw: Any) -> str:
    path = _sqlite_path(element)
    kind = sa.func.json_type(element.column, path)
    value = sa.case(
        (kind.in_(("integer", "real")), sa.func.json_extract(element.column, path)),
        else_=sa.null(),
    )
    return compiler.process(value, **kw)


@compiles(JsonText)
def _text_sqlite(element: JsonText, compiler: SQLCompiler, **kw: Any) -> str:
    path = _sqlite_path(element)
    kind = sa.func.json_type(element.column, path)
    # json_extract gives 1 and 0 for booleans; PostgreSQL's ->> gives 'true' and 'false'.
    value = sa.case(
        (kind == "true", sa.literal("true")),
        (kind == "false", sa.literal("false")),
        (kind.in_(("text", "array", "object")), sa.func.json_extract(element.column, path)),
        else_=sa.null(),
    )
    return compiler.process(value, **kw)


@compiles(JsonNumber, "postgresql")
def _number_postgresql(element: JsonNumber, compiler: SQLCompiler, **kw: Any) -> str:
    document = sa.cast(element.column, JSONB)
    value = sa.case(
        (
            sa.func.jsonb_typeof(document.op("->")(sa.literal(element.key))) == "number",
            sa.cast(document.op("->>")(sa.literal(element.key)), sa.Float),
        ),
        else_=sa.null(),
    )
    return compiler.process(value, **kw)


@compiles(JsonText, "postgresql")
def _text_postgresql(element: JsonText, compiler: SQLCompiler, **kw: Any) -> str:
    document = sa.cast(element.column, JSONB)
    kind = sa.func.jsonb_typeof(document.op("->")(sa.literal(element.key)))
    value = sa.case(
        (
            kind.in_(("string", "boolean", "array", "object")),
            document.op("->>")(sa.literal(element.key)),
        ),
        else_=sa.null(),
    )
    return compiler.process(value, **kw)
