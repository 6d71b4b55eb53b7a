"""Fixed reads run on the driver's own cursor, for the pages of the table query.

Loading a page of a hundred trial components takes five or six short statements. Through
``Connection.execute``, each one also paid for a cache key, an expanding ``IN`` list rendered
for every call, parameter processing and a wrapped result. On the benchmark's page that came
to about three times the database's own work (docs/benchmarks.md). The statements here are
still built with SQLAlchemy Core, so table and column names have one source. Each is compiled
once per dialect, then executed on the DBAPI cursor of the caller's connection, inside its
transaction.

Only columns holding integers, floats and text are read this way. SQLAlchemy converts none of
them on SQLite or PostgreSQL, so the driver's values are the ones ``Connection.execute``
returns. A list of ids is one parameter, so a statement's text does not change with the
page's length: a JSON array read with ``json_each`` on SQLite, and an array compared with
``= ANY`` on PostgreSQL. Lists of names work the same way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class InList(ColumnElement[bool]):
    """``column IN (values)``, where the values are the one list parameter named ``name``."""

    inherit_cache = True
    # A condition in itself: without this, SQLite's compiler would append "= 1".
    _is_implicitly_boolean = True
    _traverse_internals = [  # noqa: RUF012
        ("column", InternalTraversal.dp_clauseelement),
        ("parameter", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        self.column = column
        self.parameter: sa.BindParameter[Any] = sa.bindparam(name)
        self.type = sa.Boolean()


@compiles(InList)
def _compile_sqlite(element: InList, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    parameter = compiler.process(element.parameter, **kw)
    return f"{column} IN (SELECT value FROM json_each({parameter}))"


@compiles(InList, "postgresql")
def _compile_postgresql(element: InList, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    parameter = compiler.process(element.parameter, **kw)
    return f"{column} = ANY({parameter})"


class DriverQuery:
    """A Core ``SELECT`` compiled once per dialect and run on the DBAPI cursor.

    ``lists`` names the parameters of its :class:`InList` conditions, each given as a sequence
    of integers or strings.
    """

    def __init__(self, statement: sa.Select[Any], lists: Sequence[str] = ("ids",)) -> None:
        self._statement = statement
        self._lists = tuple(lists)
        # Dialect name -> (SQL text, bound values, positional order or None for named).
        self._compiled: dict[str, tuple[str, dict[str, Any], tuple[str, ...] | None]] = {}

    def all(self, connection: sa.Connection, **values: Any) -> list[tuple[Any, ...]]:
        """Run the statement with ``values`` in ``connection``'s transaction; return its rows."""
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compile(dialect)
        text, bound, order = compiled

        for name in self._lists:
            # psycopg sends a list as an array, so any other sequence becomes a list first.
            items = list(values[name])
            values[name] = items if dialect.name == "postgresql" else json.dumps(items)
        merged = {**bound, **values}
        parameters: Any = merged if order is None else [merged[name] for name in order]

        # The statement must read the same snapshot as the caller's other reads. A cursor taken
        # from the driver does not begin SQLAlchemy's transaction, so begin it here if needed.
        if not connection.in_transaction():
            connection.begin()
        cursor = connection.connection.cursor()
        try:
            cursor.execute(text, parameters)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def _compile(self, dialect: sa.Dialect) -> tuple[str, dict[str, Any], tuple[str, ...] | None]:
        compiled = self._statement.compile(dialect=dialect)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        entry = (compiled.string, dict(compiled.params), order)
        # Two threads may compile the same statement at once; both get the same text.
        self._compiled[dialect.name] = entry
        return entry
