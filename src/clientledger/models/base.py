"""The metadata every table belongs to, and the columns every table shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    and_,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause


def _fk_columns(constraint: Any, _table: Any) -> str:
    """A foreign key is named by the columns it adds to ``practice_id`` (``fk_bills_client_id_clients``)."""
    names = [c.name for c in constraint.columns]
    return "_".join(n for n in names if n != "practice_id") or "practice_id"


NAMING: dict[str, str | Callable[[Any, Any], str]] = {
    "fk_columns": _fk_columns,
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(fk_columns)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

ID = 32


def id_column() -> Column[str]:
    """The id of a table that belongs to no practice (``practices``, the lookups)."""
    return Column("id", String(ID), primary_key=True)


def tenant_id_column() -> Column[str]:
    """A tenant row's id: unique in practice, and keyed together with ``practice_id`` (``tenant_key``)."""
    return Column("id", String(ID), nullable=False)


def tenant_key(*columns: str) -> PrimaryKeyConstraint:
    """A tenant table's primary key: ``practice_id`` first, then ``columns`` (``id`` by default)."""
    return PrimaryKeyConstraint("practice_id", *(columns or ("id",)))


def practice_column() -> Column[str]:
    return Column("practice_id", String(ID), ForeignKey("practices.id"), nullable=False)


def ref_column(name: str, table: str, *, nullable: bool = True) -> Column[str]:
    """A reference to another row of the same practice: pair it with ``tenant_ref(name, table)``."""
    return Column(name, String(ID), nullable=nullable)


def tenant_ref(name: str, table: str) -> ForeignKeyConstraint:
    """``(practice_id, name) -> table (practice_id, id)``: a row refers only to rows of its own practice."""
    return ForeignKeyConstraint(["practice_id", name], [f"{table}.practice_id", f"{table}.id"])


def created_column() -> Column[object]:
    return Column("created_at", DateTime, nullable=False)


def partial_index(name: str, *columns: Column[Any], where: ColumnElement[bool]) -> Index:
    """An index of only the rows ``where`` holds, on both databases."""
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


def same_practice(a: FromClause, b: FromClause, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """A join condition between two tenant tables: the rows' ``practice_id`` match, and ``conditions``."""
    return and_(a.c.practice_id == b.c.practice_id, *conditions)
