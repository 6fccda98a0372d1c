"""Is a SQL statement scoped to one practice? (The check ``tests/conftest.py`` runs on every statement.)

A statement is scoped when every tenant table it reads or writes is pinned to a practice:

- SELECT / UPDATE / DELETE: the table's ``practice_id`` is compared with ``=`` (or ``IN``) to a
  value (a bound parameter, a literal, a subquery), in a WHERE or JOIN ... ON condition that the
  statement requires (reached from the condition through AND only: an ``OR`` does not pin it); or it
  equals the ``practice_id`` of another table of the statement that is pinned (a join, or a
  correlated subquery on the outer row);
- INSERT: the column list carries ``practice_id`` (and an INSERT ... SELECT is checked as a SELECT).

DDL, PRAGMA and transaction control are not data statements and pass; a statement the parser cannot
read fails if it names a tenant table. Statements are parsed with sqlglot, once per distinct text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

_PYFORMAT = re.compile(r"%\((\w+)\)s")
_NOT_DATA = (
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Pragma,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Set,
)
_SCOPES = (exp.Select, exp.Update, exp.Delete)
DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres"}


@dataclass(frozen=True)
class Unscoped:
    table: str
    reason: str


def unscoped_tables(sql: str, *, dialect: str, tenant_tables: frozenset[str]) -> list[Unscoped]:
    """The tenant tables ``sql`` touches without pinning them to one practice (empty: scoped)."""
    text = _PYFORMAT.sub(r":\1", sql)
    try:
        statements = sqlglot.parse(text, read=DIALECTS.get(dialect, dialect))
    except sqlglot.errors.ParseError:
        named = sorted(t for t in tenant_tables if re.search(rf"\b{t}\b", sql))
        return [Unscoped(t, "the statement could not be parsed") for t in named]
    found: list[Unscoped] = []
    for statement in statements:
        if statement is None or isinstance(statement, _NOT_DATA):
            continue
        if isinstance(statement, exp.Command):
            named = sorted(t for t in tenant_tables if re.search(rf"\b{t}\b", statement.sql()))
            found += [Unscoped(t, "the statement could not be parsed") for t in named]
            continue
        found += _check(statement, tenant_tables)
    return found


def _check(statement: exp.Expr, tenant: frozenset[str]) -> list[Unscoped]:
    found: list[Unscoped] = []
    insert_targets: set[int] = set()
    for insert in statement.find_all(exp.Insert):
        target = insert.this
        table = target.this if isinstance(target, exp.Schema) else target
        if not isinstance(table, exp.Table):
            continue
        insert_targets.add(id(table))
        if table.name not in tenant:
            continue
        columns = [c.name for c in target.expressions] if isinstance(target, exp.Schema) else []
        if "practice_id" not in columns:
            found.append(Unscoped(table.name, "INSERT without practice_id"))

    # Every reference to a tenant table, keyed by (its scope, its alias).
    refs: dict[tuple[int, str], exp.Table] = {}
    scope_aliases: dict[int, list[str]] = {}
    for table in statement.find_all(exp.Table):
        if id(table) in insert_targets or not table.name:
            continue
        scope = table.find_ancestor(*_SCOPES)
        if scope is None:
            continue
        scope_aliases.setdefault(id(scope), []).append(table.alias_or_name)
        if table.name in tenant:
            refs[(id(scope), table.alias_or_name)] = table

    anchored: set[tuple[int, str]] = set()
    edges: list[tuple[tuple[int, str], tuple[int, str]]] = []
    for predicate in statement.find_all(exp.EQ, exp.In):
        if not _required(predicate):
            continue
        left = predicate.this
        right = predicate.expression if isinstance(predicate, exp.EQ) else None
        left_ref = _practice_ref(left, scope_aliases)
        right_ref = _practice_ref(right, scope_aliases) if right is not None else None
        if left_ref and right_ref:
            edges.append((left_ref, right_ref))
        elif left_ref and not _is_practice_column(right):
            anchored.add(left_ref)
        elif right_ref and not _is_practice_column(left):
            anchored.add(right_ref)
    changed = True
    while changed:
        changed = False
        for a, b in edges:
            if (a in anchored) != (b in anchored):
                anchored |= {a, b}
                changed = True
    for key, table in refs.items():
        if key not in anchored:
            found.append(Unscoped(table.name, f"no practice_id condition on {table.alias_or_name}"))
    return found


def _required(predicate: exp.Expr) -> bool:
    """The predicate sits in a WHERE or JOIN ... ON reached through AND (and parentheses) only."""
    node = predicate
    parent = node.parent
    while isinstance(parent, exp.And | exp.Paren):
        node, parent = parent, parent.parent
    if isinstance(parent, exp.Where):
        return True
    return isinstance(parent, exp.Join) and parent.args.get("on") is node


def _is_practice_column(node: exp.Expr | None) -> bool:
    return isinstance(node, exp.Column) and node.name == "practice_id"


def _practice_ref(node: exp.Expr | None, scope_aliases: dict[int, list[str]]) -> tuple[int, str] | None:
    """The (scope, alias) whose ``practice_id`` this column is: the nearest scope outward that has it."""
    if not _is_practice_column(node):
        return None
    assert isinstance(node, exp.Column)
    qualifier = node.table
    scope = node.find_ancestor(*_SCOPES)
    while scope is not None:
        aliases = scope_aliases.get(id(scope), [])
        if qualifier and qualifier in aliases:
            return (id(scope), qualifier)
        if not qualifier and len(aliases) == 1:
            return (id(scope), aliases[0])
        scope = scope.find_ancestor(*_SCOPES)
    return None
