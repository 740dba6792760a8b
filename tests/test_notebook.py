"""Tests for turning a student's notebook into Python source.

The source must be importable, keep the student's code intact, trace back to
cells, and never run a magic or shell escape; a broken notebook must give a
message a beginner can act on.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

from autograder.intake.notebook import NotebookError, notebook_to_source


def _write(path: Path, *cells: nbformat.NotebookNode) -> Path:
    nbformat.write(new_notebook(cells=list(cells)), path)
    return path


def _run(source: str, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Compiles and runs converted source in ``cwd``; returns its namespace."""
    monkeypatch.chdir(cwd)
    namespace: dict[str, object] = {"__name__": "student"}
    exec(compile(source, "student.ipynb", "exec"), namespace)
    return namespace


def test_code_cells_in_order_with_cell_numbers(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "nb.ipynb",
        new_markdown_cell("# Title\nx = 'from markdown'"),
        new_code_cell("x = 1"),
        new_raw_cell("x = 'from raw'"),
        new_code_cell("y = x + 1"),
    )
    source = notebook_to_source(path)

    assert "from markdown" not in source and "from raw" not in source
    assert source.index("# --- notebook cell 2 ---") < source.index("x = 1")
    assert source.index("x = 1") < source.index("# --- notebook cell 4 ---")
    assert source.index("# --- notebook cell 4 ---") < source.index("y = x + 1")
    assert "notebook cell 1 " not in source and "notebook cell 3 " not in source
    namespace: dict[str, object] = {}
    exec(compile(source, "nb", "exec"), namespace)
    assert namespace["y"] == 2


def test_error_line_leads_back_to_its_cell(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "nb.ipynb", new_code_cell("a = 1"), new_code_cell("b = 2\nraise ValueError")
    )
    lines = notebook_to_source(path).splitlines()
    with pytest.raises(ValueError) as info:
        exec(compile("\n".join(lines), "nb", "exec"), {})
    failing = info.traceback[-1].lineno  # 0-based
    header = max(i for i in range(failing) if lines[i].startswith("# --- notebook cell"))
    assert lines[header] == "# --- notebook cell 2 ---"


def test_magics_and_shell_escapes_never_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(
        tmp_path / "nb.ipynb",
        new_code_cell("%%bash\ntouch made_by_cell_magic\n"),
        new_code_cell("\n\n%%time\nopen('made_by_timed_cell', 'w').close()"),
        new_code_cell("!touch made_by_shell\n%matplotlib inline"),
        new_code_cell("files = !ls\nt = %timeit -o sum([1])\na, b = !echo x"),
        new_code_cell("def f():\n    !touch made_in_function\n    %time g = 1\n    return 3"),
        new_code_cell("for i in range(2):\n    %sx touch made_in_loop_$i\ndone = f()"),
    )
    source = notebook_to_source(path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    namespace = _run(source, scratch, monkeypatch)

    assert list(scratch.iterdir()) == []
    assert namespace["files"] is None and namespace["t"] is None
    assert namespace["a"] is None and namespace["b"] is None
    assert namespace["done"] == 3


def test_cell_magic_cell_is_dropped_entirely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(
        tmp_path / "nb.ipynb", new_code_cell("%%capture\nvalue = 'ran'"), new_code_cell("x = 1")
    )
    namespace = _run(notebook_to_source(path), tmp_path, monkeypatch)
    assert "value" not in namespace
    assert namespace["x"] == 1


def _nbgrader(grade: bool, solution: bool) -> dict[str, object]:
    return {"nbgrader": {"grade": grade, "solution": solution, "locked": grade and not solution,
                         "grade_id": f"cell_{grade}_{solution}", "schema_version": 3,
                         **({"points": 2} if grade else {})}}


def test_test_cells_are_skipped_keeping_their_headers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test cells grade the notebook file: that must never start inside a sandbox."""
    path = _write(
        tmp_path / "nb.ipynb",
        new_code_cell("x = 1", metadata=_nbgrader(grade=False, solution=True)),
        new_code_cell("raise SystemExit('grade cell ran')",
                      metadata=_nbgrader(grade=True, solution=False)),
        new_code_cell("y = 2", metadata=_nbgrader(grade=True, solution=True)),
        new_code_cell("from autograder.cells import grade_part\ngrade_part('01', 'f')"),
        new_code_cell("import os, autograder.cells\nraise SystemExit('imported cells')"),
        new_code_cell("z = 3\nfrom autograder import cells as c\nraise SystemExit('c')"),
        new_code_cell("note = 'see autograder.cells'  # from autograder.cells import x"),
    )
    source = notebook_to_source(path)

    for number in range(1, 8):
        assert f"# --- notebook cell {number} ---\n" in source
    assert "raise SystemExit" not in source and "grade_part" not in source
    assert source.count("nbgrader test cell (grade only), so it was skipped.") == 1
    assert source.count("imports autograder.cells (a notebook test cell), so it was skipped.") == 3
    namespace = _run(source, tmp_path, monkeypatch)
    assert (namespace["x"], namespace["y"], namespace["note"]) == (1, 2, "see autograder.cells")
    assert "z" not in namespace  # a skipped cell is skipped whole


def test_malformed_nbgrader_metadata_is_not_a_test_cell(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {"nbgrader": "grade"}, "source": "a = 1",
         "outputs": [], "execution_count": None},
        {"cell_type": "code", "metadata": [], "source": "b = 2", "outputs": [],
         "execution_count": None},
    ]}))
    source = notebook_to_source(path)
    assert "a = 1" in source and "b = 2" in source


def test_python_operators_and_strings_are_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = (
        "a, b = 7, 2\n"
        "ne = a != b\n"
        "mod = a % b\n"
        "fmt = '!not a shell %s' % 'x'\n"
        'block = """\n!inside a string\n%also\nwhat?\n"""\n'
        "paren = (a\n"
        "         % b)\n"
        "slash = a \\\n"
        "    % b\n"
        "ask = 'why?'  # really?\n"
    )
    path = _write(tmp_path / "nb.ipynb", new_code_cell(code))
    namespace = _run(notebook_to_source(path), tmp_path, monkeypatch)
    assert namespace["ne"] is True and namespace["mod"] == 1
    assert namespace["fmt"] == "!not a shell x"
    assert namespace["block"] == "\n!inside a string\n%also\nwhat?\n"
    assert namespace["paren"] == 1 and namespace["slash"] == 1
    assert namespace["ask"] == "why?"


def test_help_requests_become_no_ops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = "import os\nos.getcwd?\n??len\nif True:\n    len?\nafter = 1"
    path = _write(tmp_path / "nb.ipynb", new_code_cell(code))
    assert _run(notebook_to_source(path), tmp_path, monkeypatch)["after"] == 1


def test_multiline_shell_command_is_skipped_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = "!touch one \\\n    two\nafter = 1"
    path = _write(tmp_path / "nb.ipynb", new_code_cell(code))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert _run(notebook_to_source(path), scratch, monkeypatch)["after"] == 1
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("source", [["x = 1\n", "y = x + 1\n"], "x = 1\r\ny = x + 1\r\n"])
def test_raw_source_as_list_or_string(tmp_path: Path, source: object) -> None:
    raw = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {
                "cell_type": "code",
                "id": "c1",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": source,
            }
        ],
    }
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(raw), encoding="utf-8")
    namespace: dict[str, object] = {}
    exec(compile(notebook_to_source(path), "nb", "exec"), namespace)
    assert namespace["y"] == 2


def test_output_is_deterministic_and_ends_with_newline(tmp_path: Path) -> None:
    path = _write(tmp_path / "nb.ipynb", new_code_cell("x = 1"), new_code_cell("!ls"))
    first = notebook_to_source(path)
    assert first == notebook_to_source(path)
    assert first.endswith("\n") and not first.endswith("\n\n")


def test_old_format_that_upgrades_is_read(tmp_path: Path) -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {
                "metadata": {},
                "cells": [
                    {
                        "cell_type": "code",
                        "input": "x = 41 + 1",
                        "language": "python",
                        "outputs": [],
                        "metadata": {},
                    },
                ],
            }
        ],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(v3), encoding="utf-8")
    namespace: dict[str, object] = {}
    exec(compile(notebook_to_source(path), "nb", "exec"), namespace)
    assert namespace["x"] == 42


def test_invalid_json_is_explained(tmp_path: Path) -> None:
    path = _write(tmp_path / "broken.ipynb", new_code_cell("x = 1"))
    path.write_text(path.read_text(encoding="utf-8")[:-20], encoding="utf-8")
    with pytest.raises(NotebookError) as info:
        notebook_to_source(path)
    message = str(info.value)
    assert "broken.ipynb" in message and "not valid JSON" in message
    assert "save it again" in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"nbformat": 3, "nbformat_minor": 0, "metadata": {}}, "old notebook format version 3"),
        ({"nbformat": 0, "cells": []}, "old notebook format version 0"),
        ({"nbformat": 9, "nbformat_minor": 0, "cells": []}, "newer than this grader reads"),
        ({"hello": "world"}, "not a Jupyter notebook"),
        ([1, 2, 3], "not a Jupyter notebook"),
        ({"nbformat": 4, "nbformat_minor": 5, "metadata": {}}, "not a Jupyter notebook"),
        (
            {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": {}},
            "not a Jupyter notebook",
        ),
        (
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {},
                "cells": [
                    {
                        "cell_type": "code",
                        "id": "a",
                        "metadata": {},
                        "outputs": [],
                        "execution_count": None,
                        "source": 7,
                    }
                ],
            },
            "not text",
        ),
    ],
)
def test_json_that_is_no_usable_notebook_is_explained(
    tmp_path: Path, content: object, expected: str
) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(NotebookError) as info:
        notebook_to_source(path)
    assert expected in str(info.value)
    assert "Traceback" not in str(info.value)


def test_unreadable_files_are_explained(tmp_path: Path) -> None:
    binary = tmp_path / "binary.ipynb"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    empty = tmp_path / "empty.ipynb"
    empty.write_text("", encoding="utf-8")
    for path, expected in [
        (binary, "not a UTF-8 text file"),
        (empty, "empty"),
        (tmp_path / "missing.ipynb", "Could not read missing.ipynb"),
        (tmp_path, "Could not read"),
    ]:
        with pytest.raises(NotebookError) as info:
            notebook_to_source(path)
        assert expected in str(info.value)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path / "nb.ipynb", new_code_cell("x = 1"))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert "x = 1" in notebook_to_source(path)
