"""The lean way writes reach the database: statements compiled once, sent in one batch.

A money use case writes a dozen rows. Through ``Connection.execute`` each statement costs a cache
lookup, parameter processing and a result object (~15 µs) before the driver sees it; compiled here
once per dialect, a statement goes straight to the DBAPI cursor (one call per table, an
executemany for several rows), with errors wrapped as SQLAlchemy's. When anyone listens to
statements (``before_cursor_execute``, echo) they go through ``exec_driver_sql`` instead, so every
statement is still seen. On PostgreSQL the whole batch goes in psycopg's pipeline mode: one round
trip for every write of a use case instead of one per statement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import ValuesBase
from sqlalchemy.sql.elements import ClauseElement

from clientledger.db import Tx

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # parameter names in the order the driver takes them (repeats included)
    positional: bool
    defaults: dict[str, Any]  # literals of the statement and scalar column defaults
    processors: dict[str, Callable[[Any], Any]]  # the column types' bind processing (SQLite dates)
    results: tuple[Callable[[Any], Any] | None, ...] | None  # a SELECT's result processing, if any

    def rows(self, fetched: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Fetched rows as SQLAlchemy would give them (SQLite's dates and booleans as Python's)."""
        if self.results is None:
            return [tuple(r) for r in fetched]
        procs = self.results
        return [tuple(v if p is None or v is None else p(v) for p, v in zip(procs, r, strict=True)) for r in fetched]

    def params(self, row: Row) -> tuple[Any, ...] | dict[str, Any]:
        values = {**self.defaults, **row} if self.defaults else row
        for name, process in self.processors.items():
            value = values.get(name)
            if value is not None:
                if values is row:
                    values = dict(row)
                values[name] = process(value)
        if self.positional:
            return tuple(values.get(n) for n in self.names)
        return {n: values.get(n) for n in self.names}


class Statement:
    """One statement (or one per dialect, by dialect name), compiled once per dialect on first use."""

    def __init__(
        self, stmt: ClauseElement | Mapping[str, ClauseElement], *, columns: Sequence[str] | None = None
    ) -> None:
        self._stmt = stmt
        self._columns = list(columns) if columns is not None else None
        self._compiled: dict[str, _Compiled] = {}

    @classmethod
    def insert(cls, table: Table) -> Statement:
        """An INSERT of every column but an autoincrement key: rows give each value or take its default."""
        columns = [c.key for c in table.columns if not (c.primary_key and c.autoincrement is True)]
        return cls(table.insert(), columns=columns)

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        stmt = self._stmt[dialect.name] if isinstance(self._stmt, Mapping) else self._stmt
        compiled = stmt.compile(dialect=dialect, column_keys=self._columns)
        assert isinstance(compiled, SQLCompiler)
        defaults: dict[str, Any] = {}
        for name, bind in compiled.binds.items():
            if not bind.required and bind.value is not None:
                defaults[name] = bind.effective_value
        if isinstance(stmt, ValuesBase) and self._columns is not None:
            table = stmt.table
            for key in self._columns:
                default = table.c[key].default
                if default is not None and default.is_scalar:
                    defaults[key] = default.arg
        names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
        processors: dict[str, Callable[[Any], Any]] = {}
        for name, process in compiled._bind_processors.items():
            if isinstance(name, str) and callable(process):
                processors[name] = process
        results = tuple(
            col.type._cached_result_processor(dialect, None)  # what Connection.execute applies
            for col in compiled._result_columns
        )
        return _Compiled(
            compiled.string,
            names,
            bool(compiled.positional),
            defaults,
            processors,
            results if any(results) else None,
        )


@dataclass
class Writes:
    """The writes of one use case, in the order they must reach the database (foreign keys first)."""

    tx: Tx
    queued: list[tuple[Statement, list[Row]]] = field(default_factory=list)

    def add(self, statement: Statement, rows: list[Row]) -> None:
        if rows:
            self.queued.append((statement, rows))

    def flush(self) -> None:
        """Send every queued write; on PostgreSQL all of them in one pipeline (one round trip)."""
        queued, self.queued = self.queued, []
        if not queued:
            return
        conn = self.tx.conn
        dialect = conn.dialect
        if _observed(conn):
            # Someone listens to statements (the tests' statement capture, echo): go through
            # SQLAlchemy so they see each one, at the cost of its per-statement Python.
            send: Callable[[str, Any, bool], object] = _through_sqlalchemy(conn)
        else:
            send = _through_driver(conn)
        pipelined = dialect.name == "postgresql" and len(queued) > 1
        dbapi_error = dialect.loaded_dbapi.Error
        sql, params = "", cast(Any, None)
        try:
            with conn.connection.driver_connection.pipeline() if pipelined else nullcontext():  # type: ignore[union-attr]
                for statement, rows in queued:
                    compiled = statement.compiled(dialect)
                    sql = compiled.sql
                    if len(rows) == 1:
                        params = compiled.params(rows[0])
                        send(sql, params, False)
                    else:
                        params = [compiled.params(r) for r in rows]
                        send(sql, params, True)
        except dbapi_error as error:
            # The driver's own errors (and a pipeline's, which arrive when it syncs) wrapped as
            # SQLAlchemy wraps them, so callers (the 835 import's retry, the runner) see the same.
            raise exc.DBAPIError.instance(sql, params, error, dbapi_error, dialect=dialect) from error


def _observed(conn: Connection) -> bool:
    dispatch = conn.dispatch
    return bool(dispatch.before_cursor_execute or dispatch.after_cursor_execute) or bool(conn.engine.echo)


def _through_sqlalchemy(conn: Connection) -> Callable[[str, Any, bool], object]:
    def send(sql: str, params: Any, _many: bool) -> object:
        return conn.exec_driver_sql(sql, params)

    return send


def _through_driver(conn: Connection) -> Callable[[str, Any, bool], object]:
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]

    def send(sql: str, params: Any, many: bool) -> object:
        return cursor.executemany(sql, params) if many else cursor.execute(sql, params)

    return send


def read_together(tx: Tx, reads: Sequence[tuple[Statement, Row]]) -> list[list[tuple[Any, ...]]]:
    """Several SELECTs, one after the other in the transaction, each one's rows in order; on
    PostgreSQL in one pipeline (one round trip).

    Each runs with a fresh snapshot, so a SELECT after a locking one sees what the lock protects.
    Straight to the driver like ``Writes``; through SQLAlchemy (and without a pipeline) while
    anyone listens to statements.
    """
    conn = tx.conn
    dialect = conn.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    sql, params = "", cast(Any, None)
    try:
        if _observed(conn):
            out = []
            for statement, row in reads:
                compiled = statement.compiled(dialect)
                sql, params = compiled.sql, compiled.params(row)
                out.append(compiled.rows(conn.exec_driver_sql(sql, params).all()))
            return out
        driver: Any = conn.connection.dbapi_connection
        with driver.pipeline() if dialect.name == "postgresql" else nullcontext():
            sent = []
            for statement, row in reads:
                compiled = statement.compiled(dialect)
                sql, params = compiled.sql, compiled.params(row)
                cursor = driver.cursor()
                cursor.execute(sql, params)
                sent.append((compiled, cursor))
            return [compiled.rows(cursor.fetchall()) for compiled, cursor in sent]
    except dbapi_error as error:
        raise exc.DBAPIError.instance(sql, params, error, dbapi_error, dialect=dialect) from error
