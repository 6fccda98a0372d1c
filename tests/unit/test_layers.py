"""Repositories own every query: no module outside them executes SQL.

Independent of import-linter (which sees imports, not calls): this reads the source of every
module and lists each place that executes a statement or touches a connection, outside the
modules allowed to (feature ``repository.py`` files, ``accounting/``, ``migrations/``, ``db.py``,
``migrate.py``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import clientledger

PACKAGE = Path(clientledger.__file__).parent
ALLOWED_DIRS = ("accounting", "migrations")
ALLOWED_FILES = ("db.py", "migrate.py", "repository.py")
EXECUTING = {"execute", "exec_driver_sql"}


def _allowed(path: Path) -> bool:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] in ALLOWED_DIRS or rel.name in ALLOWED_FILES


def _offences(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """``file:line: .attr`` for each statement executed or connection touched in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        executes = node.attr in EXECUTING
        uses_connection = node.attr == "conn" or (isinstance(node.value, ast.Name) and node.value.id == "conn")
        if executes or uses_connection:
            found.append((node.lineno, node.end_col_offset or 0, node.attr))
    return [f"{path.relative_to(root)}:{line}: .{attr}" for line, _, attr in sorted(found)]


def test_sql_runs_only_in_repositories() -> None:
    offenders = [o for path in sorted(PACKAGE.rglob("*.py")) if not _allowed(path) for o in _offences(path)]
    assert not offenders, "SQL executed outside repositories:\n" + "\n".join(offenders)


def test_the_check_sees_an_offence(tmp_path: Path) -> None:
    assert not _allowed(PACKAGE / "clients" / "service.py")
    assert _allowed(PACKAGE / "clients" / "repository.py")
    assert _allowed(PACKAGE / "accounting" / "journal.py")
    sample = tmp_path / "sample.py"
    sample.write_text("def f(tx, conn):\n    tx.conn.execute('select 1')\n    conn.scalar('select 2')\n")
    assert _offences(sample, tmp_path) == ["sample.py:2: .conn", "sample.py:2: .execute", "sample.py:3: .scalar"]
