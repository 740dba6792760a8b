"""``docs/checks.md``: generated from the check declarations, and kept in sync."""

from __future__ import annotations

import ast

from autograder.registry import discover
from autograder.release import checks_table, main
from tests.conftest import ROOT

DOCS = ROOT / "docs" / "checks.md"


def test_committed_checks_table_is_in_sync():
    assert DOCS.is_file(), f"missing; generate it with `{checks_table.DOCS_COMMAND}`"
    assert DOCS.read_text(encoding="utf-8") == checks_table.render(discover()), (
        f"docs/checks.md is stale; regenerate it with `{checks_table.DOCS_COMMAND}`")


def test_every_check_is_listed_once_and_the_points_add_up():
    for assignment in discover():
        rows = checks_table.collect(assignment)
        declared = _decorated_tests(assignment.checks_path.read_text())
        assert [row.spec.id.partition("/")[2] for row in rows] == [
            name.removeprefix("test_") for name in declared]
        assert sum(row.spec.points for row in rows) == assignment.points
        section = checks_table.render([assignment])
        assert f"| **total** | **{assignment.points:g}** | | |" in section
        for row in rows:
            assert f"| `{row.spec.id.partition('/')[2]}` | {row.spec.points:g} |" in section


def _decorated_tests(source: str) -> list[str]:
    """Names of the ``@check(...)`` functions, read from the source text independently."""
    return [node.name for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and getattr(d.func, "id", "") == "check"
                for d in node.decorator_list)]


def test_a_stale_table_fails_the_check_and_says_how_to_regenerate(tmp_path, capsys):
    path = tmp_path / "checks.md"
    assert main(docs=path, check=True) == 1
    assert "torchgrade release --docs" in capsys.readouterr().out
    assert main(docs=path) == 0 and path.read_text() == checks_table.render(discover())
    assert main(docs=path, check=True) == 0
    path.write_text(path.read_text().replace("| 2 |", "| 3 |", 1))
    assert main(docs=path, check=True) == 1


def test_table_cells_escape_pipes():
    assert checks_table._cell("a | b\nc") == "a \\| b c"
