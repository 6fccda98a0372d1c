"""The metadata every table belongs to, and the columns every table shares."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    MetaData,
    String,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

ID = 32


def id_column() -> Column[str]:
    return Column("id", String(ID), primary_key=True)


def practice_column() -> Column[str]:
    return Column("practice_id", String(ID), ForeignKey("practices.id"), nullable=False)


def ref_column(name: str, table: str, *, nullable: bool = True) -> Column[str]:
    return Column(name, String(ID), ForeignKey(f"{table}.id"), nullable=nullable)


def created_column() -> Column[object]:
    return Column("created_at", DateTime, nullable=False)
