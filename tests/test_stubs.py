"""Tests of the stub transform and the stub part of ``torchgrade release``.

The synthetic sources below are small on purpose: each shows one rule of
``make_stub``. The tests at the end run the real ``solutions/`` through it, so
a solution that cannot become a clean stub fails here, not in a student's
hands.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import pickle
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from autograder.registry import Assignment, discover
from autograder.release import main
from autograder.release.stubs import MarkerError, make_stub, render_stubs

REPO = Path(__file__).resolve().parents[1]
FILENAME = "solutions/99_demo/demo.py"
MARKERS = ("BEGIN SOLUTION", "END SOLUTION")

FUNCTION_HEAD = '''\
"""Module docstring."""

from __future__ import annotations

import math  # kept: imports are outside the blocks


def area(radius: float, *, scale: float = 1.0) -> float:
    """Computes the area of a disc.

    Args:
        radius: Its radius.
    """
'''
FUNCTION_BLOCK = '''\
    ### BEGIN SOLUTION
    return scale * math.pi * radius**2
    ### END SOLUTION
'''
FUNCTION_TAIL = '''

# A trailing comment, kept as is.
CONSTANT = 3
'''
FUNCTION_SOURCE = FUNCTION_HEAD + FUNCTION_BLOCK + FUNCTION_TAIL

CLASS_SOURCE = '''\
class Counter:
    """Counts things."""

    def __init__(self, start: int) -> None:
        """Stores the starting count.

        More detail that is not part of the summary.
        """
        ### BEGIN SOLUTION
        self.count = start
        ### END SOLUTION

    def bump(self) -> int:
        """Adds one and returns the new count."""
        ### BEGIN SOLUTION
        self.count += 1
        return self.count
        ### END SOLUTION
'''

NESTED_SOURCE = '''\
def outer():
    """Returns the inner function."""

    def inner(x):
        """Doubles x."""
        ### BEGIN SOLUTION
        return 2 * x
        ### END SOLUTION

    return inner
'''


def stub_of(source: str) -> str:
    return make_stub(textwrap.dedent(source), filename=FILENAME)


def load(path: Path, monkeypatch: pytest.MonkeyPatch, name: str = "stub_under_test") -> ModuleType:
    """Imports a file by path, as the sandbox does, under a throwaway name."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def load_text(text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "stub_under_test.py"
    path.write_text(text, encoding="utf-8")
    return load(path, monkeypatch)


def assert_clean(stub: str) -> None:
    ast.parse(stub)
    for marker in MARKERS:
        assert marker not in stub


# --- make_stub: what a stub looks like -------------------------------------------------


def test_function_block_becomes_todo_and_raise() -> None:
    stub = make_stub(FUNCTION_SOURCE, filename=FILENAME)
    assert stub == FUNCTION_HEAD + (
        "    # TODO: implement area (see the docstring above).\n"
        '    raise NotImplementedError("area is not implemented yet: '
        'Computes the area of a disc.")\n'
    ) + FUNCTION_TAIL
    assert_clean(stub)


def test_everything_outside_the_blocks_is_kept_byte_for_byte() -> None:
    source = FUNCTION_SOURCE.replace("\n", "\r\n")
    stub = make_stub(source, filename=FILENAME)
    head, tail = source.split("    ### BEGIN SOLUTION")[0], source.split("### END SOLUTION\r\n")[1]
    assert stub.startswith(head) and stub.endswith(tail)
    middle = stub[len(head) : len(stub) - len(tail)]
    assert middle.count("\r\n") == 2 and "\n" not in middle.replace("\r\n", "")
    tree, original = ast.parse(stub), ast.parse(source)
    assert ast.get_docstring(tree.body[-2]) == ast.get_docstring(original.body[-2]) != ""
    assert_clean(stub)


def test_calling_a_stubbed_function_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    solution = load_text(FUNCTION_SOURCE, tmp_path / "solution", monkeypatch)
    module = load_text(make_stub(FUNCTION_SOURCE, filename=FILENAME), tmp_path, monkeypatch)
    with pytest.raises(NotImplementedError, match=r"^area is not implemented yet: Computes"):
        module.area(1.0)
    assert inspect.signature(module.area) == inspect.signature(solution.area)
    assert module.area.__doc__ == solution.area.__doc__
    assert module.CONSTANT == 3


def test_methods_are_named_by_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stub = stub_of(CLASS_SOURCE)
    assert_clean(stub)
    assert "        # TODO: implement Counter.__init__ (see the docstring above).\n" in stub
    assert "Counter.__init__ is not implemented yet: Stores the starting count." in stub
    assert "More detail" in stub  # the docstring is kept, only its summary is quoted
    module = load_text(stub, tmp_path, monkeypatch)
    with pytest.raises(NotImplementedError, match=r"^Counter\.__init__ is not implemented"):
        module.Counter(3)
    with pytest.raises(NotImplementedError, match=r"^Counter\.bump is not implemented yet: Adds"):
        module.Counter.bump(object.__new__(module.Counter))


def test_nested_function_uses_python_qualname(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = load_text(stub_of(NESTED_SOURCE), tmp_path, monkeypatch)
    inner = module.outer()  # the outer function is kept: only the inner block is stubbed
    with pytest.raises(NotImplementedError) as caught:
        inner(1)
    assert str(caught.value) == f"{inner.__qualname__} is not implemented yet: Doubles x."
    assert inner.__qualname__ == "outer.<locals>.inner"


def test_multiple_blocks_in_one_function_each_become_a_raise() -> None:
    stub = stub_of('''\
        def two(x):
            """Does two things."""
            if x:
                ### BEGIN SOLUTION
                y = 1
                ### END SOLUTION
            ### BEGIN SOLUTION
            return x
            ### END SOLUTION
        ''')
    assert_clean(stub)
    raised = 'raise NotImplementedError("two is not implemented yet: Does two things.")'
    assert stub.count(raised) == 2
    assert "        # TODO: implement two" in stub  # the block inside ``if`` keeps its indentation
    assert "y = 1" not in stub and "return x" not in stub


def test_missing_docstring_and_empty_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stub = stub_of('''\
        def bare(x):
            ### BEGIN SOLUTION
            return x
            ### END SOLUTION


        def empty():
            """Does nothing yet."""
            ### BEGIN SOLUTION
            ### END SOLUTION''')  # no newline at the end of the file
    assert 'raise NotImplementedError("bare is not implemented yet: see its docstring")\n' in stub
    assert stub.endswith(
        'raise NotImplementedError("empty is not implemented yet: Does nothing yet.")'
    )
    module = load_text(stub, tmp_path, monkeypatch)
    with pytest.raises(NotImplementedError, match="^bare is not implemented"):
        module.bare(1)
    with pytest.raises(NotImplementedError, match="^empty is not implemented"):
        module.empty()


def test_instruction_is_one_escaped_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = stub_of('''\
        def quoted(x):
            r"""Splits on "\\t" and ``'`` over a summary that
            wraps onto a second line. Second sentence is left out.
            """
            ### BEGIN SOLUTION
            return x
            ### END SOLUTION
        ''')
    with pytest.raises(NotImplementedError) as caught:
        load_text(stub, tmp_path, monkeypatch).quoted(1)
    assert str(caught.value) == (
        "quoted is not implemented yet: Splits on \"\\t\" and ``'`` over a summary that "
        "wraps onto a second line."
    )


def test_source_without_markers_is_unchanged_and_output_is_deterministic() -> None:
    plain = "def f():\n    return 1\n"
    assert make_stub(plain, filename=FILENAME) == plain
    twice = {make_stub(FUNCTION_SOURCE, filename=name) for name in ("a.py", "b.py")}
    assert len(twice) == 1
    stub = make_stub(FUNCTION_SOURCE, filename=FILENAME)
    assert make_stub(stub, filename=FILENAME) == stub  # a stub is a fixed point


def test_marker_lookalike_in_a_string_is_not_a_marker() -> None:
    source = 'def f():\n    """Doc."""\n    return """\n    ### BEGIN SOLUTION\n"""\n'
    with pytest.raises(MarkerError, match=rf"^{FILENAME}:4: a solution marker must be a comment"):
        make_stub(source, filename=FILENAME)


# --- make_stub: what it refuses ---------------------------------------------------------

BAD_SOURCES = {
    "end_without_begin": ('def f():\n    """D."""\n    return 1\n    ### END SOLUTION\n', 4,
                          "without a '### BEGIN SOLUTION'"),
    "begin_without_end": ('def f():\n    """D."""\n    ### BEGIN SOLUTION\n    return 1\n', 3,
                          "never closed"),
    "nested_begin": ('def f():\n    ### BEGIN SOLUTION\n    x = 1\n    ### BEGIN SOLUTION\n'
                     '    return x\n    ### END SOLUTION\n    ### END SOLUTION\n', 4, "nested"),
    "module_level": ("### BEGIN SOLUTION\nX = 1\n### END SOLUTION\n", 1, "not at module level"),
    "class_body": ("class C:\n    ### BEGIN SOLUTION\n    x = 1\n    ### END SOLUTION\n", 2,
                   "not at the body of class C"),
    "marker_after_code": ("def f():\n    return 1  ### BEGIN SOLUTION\n", 2, "alone on its line"),
    "marker_with_suffix": ("def f():\n    ### BEGIN SOLUTION here\n    return 1\n"
                           "    ### END SOLUTION\n", 2, "alone on its line"),
    "marker_misspelled": ("def f():\n    # BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n", 2,
                          "alone on its line"),
    "marker_in_docstring": ('def f():\n    """Delete BEGIN SOLUTION blocks."""\n', 2,
                            "alone on its line"),
    "does_not_parse": ("def f(:\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n", 1,
                       "does not parse"),
    "before_docstring": ('def f():\n    ### BEGIN SOLUTION\n    """D."""\n    ### END SOLUTION\n'
                         "    return 1\n", 2, "after the docstring of f"),
    "half_a_statement": ("def f():\n    return max(\n        ### BEGIN SOLUTION\n        1, 2\n"
                         "        ### END SOLUTION\n    )\n", 3, "whole statements"),
    "misaligned": ("def f():\n    x = 1\n        ### BEGIN SOLUTION\n    return x\n"
                   "    ### END SOLUTION\n", 3, "whole statements"),
}


@pytest.mark.parametrize("case", sorted(BAD_SOURCES))
def test_bad_markers_raise_marker_error_with_file_and_line(case: str) -> None:
    source, line, problem = BAD_SOURCES[case]
    with pytest.raises(MarkerError) as caught:
        make_stub(source, filename=FILENAME)
    error = caught.value
    assert isinstance(error, ValueError)
    assert str(error).startswith(f"{FILENAME}:{line}: ")
    assert problem in str(error)
    assert (error.filename, error.lineno) == (FILENAME, line)


def test_marker_error_survives_pickling() -> None:
    error = MarkerError(FILENAME, 7, "nested")
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


# --- render_stubs and main ------------------------------------------------------------

DEMO = Assignment(name="01_demo", module="demo", title="Demo", package="torchgrade_demo_01")
OTHER = Assignment(name="02_other", module="other", title="Other",
                   package="torchgrade_demo_02")
# main() also writes each assignment's README and notebook, which list its checks: so the
# two demo assignments get real (one-check) check packages, importable from tmp_path.
DEMO_CHECKS = {DEMO: "area", OTHER: "Counter"}


@pytest.fixture
def solutions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "solutions"
    for assignment, source in ((DEMO, FUNCTION_SOURCE), (OTHER, CLASS_SOURCE)):
        (root / assignment.name).mkdir(parents=True)
        (root / assignment.name / assignment.filename).write_text(source, encoding="utf-8")
        package = tmp_path / "packages" / assignment.package
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("", encoding="utf-8")
        (package / "checks.py").write_text(
            "from autograder.judge.declare import check\n\n\n"
            f"@check(points=20, part={DEMO_CHECKS[assignment]!r})\n"
            "def test_it():\n    \"\"\"It works.\"\"\"\n", encoding="utf-8")
        for name in (assignment.package, f"{assignment.package}.checks"):
            monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path / "packages"))
    return root


def test_render_stubs_maps_release_paths_to_stubs(solutions: Path) -> None:
    rendered = render_stubs(solutions=solutions, assignments=[OTHER, DEMO])
    assert list(rendered) == ["02_other/other.py", "01_demo/demo.py"]
    assert rendered["01_demo/demo.py"] == make_stub(FUNCTION_SOURCE, filename="x")


def test_render_stubs_missing_solution_is_an_error(solutions: Path) -> None:
    (solutions / OTHER.name / OTHER.filename).unlink()
    with pytest.raises(FileNotFoundError, match=r"02_other.*02_other/other\.py"):
        render_stubs(solutions=solutions, assignments=[DEMO, OTHER])


def test_marker_error_names_the_solution_file(solutions: Path) -> None:
    (solutions / DEMO.name / DEMO.filename).write_text("### END SOLUTION\n", encoding="utf-8")
    with pytest.raises(MarkerError, match=r"01_demo/demo\.py:1: "):
        render_stubs(solutions=solutions, assignments=[DEMO])


def test_main_writes_then_check_passes(
    solutions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stubs = tmp_path / "assignments"
    assert main(solutions=solutions, stubs=stubs, check=True, assignments=[DEMO]) == 1
    assert not stubs.exists()  # check writes nothing
    assert main(solutions=solutions, stubs=stubs, assignments=[DEMO, OTHER]) == 0
    written = stubs / "01_demo" / "demo.py"
    assert written.read_text(encoding="utf-8") == make_stub(FUNCTION_SOURCE, filename="x")
    assert sorted(p.name for p in (stubs / "01_demo").iterdir()) == [
        "README.md", "demo.ipynb", "demo.py"]  # no temp file left
    capsys.readouterr()
    assert main(solutions=solutions, stubs=stubs, check=True, assignments=[DEMO, OTHER]) == 0


def test_check_names_stale_and_missing_files_and_the_fix(
    solutions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stubs = tmp_path / "assignments"
    main(solutions=solutions, stubs=stubs, assignments=[DEMO, OTHER])
    edited = stubs / "01_demo" / "demo.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "# hand edit\n", encoding="utf-8")
    (stubs / "02_other" / "other.py").unlink()
    capsys.readouterr()
    assert main(solutions=solutions, stubs=stubs, check=True, assignments=[DEMO, OTHER]) == 1
    out = capsys.readouterr().out
    assert f"{edited} (differs" in out
    assert f"{stubs / '02_other' / 'other.py'} (missing)" in out
    assert "torchgrade release --stubs " in out
    assert edited.read_text(encoding="utf-8").endswith("# hand edit\n")  # check fixed nothing


def test_main_keeps_unrelated_files_and_unchanged_stubs(solutions: Path, tmp_path: Path) -> None:
    stubs = tmp_path / "assignments"
    readme = stubs / "01_demo" / "notes.md"
    readme.parent.mkdir(parents=True)
    readme.write_text("generated elsewhere\n", encoding="utf-8")
    main(solutions=solutions, stubs=stubs, assignments=[DEMO])
    stub = stubs / "01_demo" / "demo.py"
    before = stub.stat()
    assert main(solutions=solutions, stubs=stubs, assignments=[DEMO]) == 0
    after = stub.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert readme.read_text(encoding="utf-8") == "generated elsewhere\n"
    assert stub.stat().st_mode & 0o777 == 0o644


# --- the real solutions ---------------------------------------------------------------


def test_committed_stubs_are_in_sync() -> None:
    """Fails until ``torchgrade release --stubs assignments`` has been run and committed."""
    assert main(solutions=REPO / "solutions", stubs=REPO / "assignments", check=True) == 0


def _placeholders(function: Any, skip_self: bool) -> list[None]:
    """One ``None`` per required positional parameter: the stub raises before using them."""
    parameters = list(inspect.signature(function).parameters.values())[int(skip_self):]
    return [None for p in parameters if p.default is p.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _public_callables(module: ModuleType) -> list[tuple[Any, Any]]:
    """(owner class or None, function) for every public function and method of the module."""
    found: list[tuple[Any, Any]] = []
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(value):
            found.append((None, value))
        elif inspect.isclass(value):
            found.extend((value, member) for attr, member in vars(value).items()
                         if inspect.isfunction(member)
                         and (not attr.startswith("_") or attr.startswith("__")))
    return found


@pytest.mark.parametrize("assignment", discover(), ids=lambda a: a.name)
def test_real_solution_stubs_import_and_raise(
    assignment: Assignment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    solution = REPO / "solutions" / assignment.name / assignment.filename
    stub = render_stubs(solutions=REPO / "solutions", assignments=[assignment])[
        f"{assignment.name}/{assignment.filename}"]
    assert_clean(stub)
    docstrings = {node.name: ast.get_docstring(node, clean=False)
                  for node in ast.walk(ast.parse(solution.read_text(encoding="utf-8")))
                  if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert docstrings == {node.name: ast.get_docstring(node, clean=False)
                          for node in ast.walk(ast.parse(stub))
                          if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    path = tmp_path / assignment.filename
    path.write_text(stub, encoding="utf-8")
    module = load(path, monkeypatch, name=f"stub_of_{assignment.module}")
    callables = _public_callables(module)
    assert callables, f"{assignment.name}'s stub defines no public function"
    for owner, function in callables:
        arguments = _placeholders(function, skip_self=owner is not None)
        if owner is not None:
            arguments.insert(0, owner.__new__(owner))
        with pytest.raises(NotImplementedError) as caught:
            function(*arguments)
        assert function.__qualname__ in str(caught.value)
