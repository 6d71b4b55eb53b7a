"""Text that sorts and compares by Unicode code point on every backend.

SQLite compares text with its BINARY collation, which for UTF-8 is code point order, the order
of Python's ``sorted()``. PostgreSQL uses the database's collation, usually a language order
such as en_US ('alpha' < 'Beta'), so sorting by a name or comparing strings with GreaterThan
would give other results than on SQLite. Wrapping a text expression in :class:`CodePointText`
adds ``COLLATE "C"`` on PostgreSQL, which compares bytes, and leaves it as it is elsewhere.

Only ordering and range comparisons need it: equality does not depend on a deterministic
collation, and a plain ``=`` keeps using the column's index.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class CodePointText(ColumnElement[str]):
    """A text expression ordered by code point: ``<expression> COLLATE "C"`` on PostgreSQL."""

    inherit_cache = True
    _traverse_internals = [("element", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, element: ColumnElement[Any]) -> None:
        self.element = element
        self.type = element.type


@compiles(CodePointText)
def _compile_default(element: CodePointText, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.element, **kw)


@compiles(CodePointText, "postgresql")
def _compile_postgresql(element: CodePointText, compiler: SQLCompiler, **kw: Any) -> str:
    return f'{compiler.process(element.element, **kw)} COLLATE "C"'
