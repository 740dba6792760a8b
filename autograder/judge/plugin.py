"""The pytest plugin that turns check functions into graded results.

Registered by :func:`autograder.judge.session.run_checks` for one grading
session. It parametrizes every check over the session's targets (one per
submission and assignment), provides the fixtures checks use, orders items
so that each sandbox serves one target's checks back to back, and records
each item's outcome. A plain check (only these fixtures, no other mark) is
run by the plugin's own ``pytest_runtest_protocol``; any other goes through
pytest's, its outcome recorded by a ``wrapper`` around
``pytest_runtest_makereport``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import traceback
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import torch

from autograder.judge.causes import Causes, short
from autograder.judge.compare import CheckFailure, Spread, observing
from autograder.judge.declare import MARKER, MARKER_HELP, CheckSpec, parse_spec
from autograder.judge.figures import as_data, collecting
from autograder.judge.portable import PortableNormals
from autograder.judge.reference import GraderError
from autograder.judge.runtime import (
    AssignmentUnavailable,
    ReferenceHandle,
    Runtime,
    StudentHandle,
    Target,
    check_seed,
)
from autograder.registry import Assignment
from autograder.sandbox.errors import SandboxFailure

SPEC_KEY = pytest.StashKey[CheckSpec]()
TARGET_KEY = pytest.StashKey[Target]()


@dataclass(frozen=True)
class Outcome:
    """What happened to one check on one target."""

    status: str
    feedback: str
    detail: str = ""
    internal: bool = False  # the grader failed, not the student's code
    cause: str = ""  # the root cause, for referring back (CheckFailure, SandboxFailure)
    lead: str = ""  # how the feedback begins when it refers back to an earlier check
    summary: str = ""  # what a later check of the same cause quotes
    data: dict[str, Any] = field(default_factory=dict)  # pictures (autograder.judge.figures)


class GradingPlugin:
    """Fixtures and hooks of one grading session."""

    def __init__(self, *, runtime: Runtime, targets: Sequence[Target],
                 assignments: Sequence[Assignment]) -> None:
        self.runtime = runtime
        self.targets = tuple(targets)
        self.by_package = {a.package: a for a in assignments}
        self.specs: dict[str, list[CheckSpec]] = {a.name: [] for a in assignments}
        self.outcomes: dict[tuple[tuple[int, str], str], Outcome] = {}
        self.spreads: dict[tuple[tuple[int, str], str], Spread] = {}
        self.figures: dict[tuple[tuple[int, str], str], list[dict[str, Any]]] = {}
        self.internal: set[tuple[int, str]] = set()  # targets where the grader itself failed
        self.causes = Causes()  # later failures of a cause told above refer back to it
        self.on_released: Callable[[Target], None] | None = None
        self.through_pytest = False  # whether a check went through pytest's run protocol

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", MARKER_HELP)

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        assignment = self._assignment_of(metafunc.module.__name__)
        if "target" in metafunc.fixturenames and assignment is not None:
            targets = [t for t in self.targets if t.assignment == assignment]
            metafunc.parametrize("target", targets, ids=[str(t.submission) for t in targets])

    def _assignment_of(self, module: str) -> Assignment | None:
        return self.by_package.get(module.rpartition(".")[0])

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            assert isinstance(item, pytest.Function)
            assignment = self._assignment_of(item.module.__name__)
            marker = item.get_closest_marker(MARKER)
            if assignment is None or marker is None or "target" not in item.callspec.params:
                raise pytest.UsageError(f"{item.nodeid} is not a torchgrade check")
            spec = parse_spec(item.function, marker, assignment.name)
            item.stash[SPEC_KEY] = spec
            target = item.callspec.params["target"]
            assert isinstance(target, Target)
            item.stash[TARGET_KEY] = target
            if spec not in self.specs[assignment.name]:
                self.specs[assignment.name].append(spec)
        for assignment in self.by_package.values():
            total = sum(spec.points for spec in self.specs[assignment.name])
            if abs(total - assignment.points) > 1e-9:
                raise pytest.UsageError(f"the checks of {assignment.name} add up to {total} "
                                        f"points, not {assignment.points}")
        order = {t.key: i for i, t in enumerate(self.targets)}
        items.sort(key=lambda item: order[item.stash[TARGET_KEY].key])

    @pytest.fixture
    def submission(self, target: Target) -> StudentHandle:
        return StudentHandle(self.runtime, target)

    @pytest.fixture
    def reference(self, target: Target, request: pytest.FixtureRequest) -> ReferenceHandle:
        return ReferenceHandle(self.runtime, target.assignment,
                               request.node.stash[SPEC_KEY].id)

    @pytest.fixture
    def seed(self, request: pytest.FixtureRequest) -> int:
        return check_seed(self.runtime.seed, request.node.stash[SPEC_KEY].id)

    @pytest.fixture
    def rng(self, seed: int) -> torch.Generator:
        """A generator for building inputs: same inputs for every submission of a run."""
        return torch.Generator().manual_seed(seed)

    @pytest.fixture
    def device(self) -> torch.device:
        """Where the session's scenarios run: ``cpu``, or ``cuda`` when asked for."""
        return torch.device(self.runtime.device)

    def _own_fixtures(self, item: pytest.Item) -> dict[str, Any]:
        """The values of the fixtures above for ``item``, built as pytest would build them."""
        target, spec = item.stash[TARGET_KEY], item.stash[SPEC_KEY]
        seed = check_seed(self.runtime.seed, spec.id)
        return {"target": target, "submission": StudentHandle(self.runtime, target),
                "reference": ReferenceHandle(self.runtime, target.assignment, spec.id),
                "seed": seed, "rng": torch.Generator().manual_seed(seed),
                "device": torch.device(self.runtime.device)}

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None
                                ) -> bool | None:
        """Runs a plain check directly; any other goes through pytest's own protocol.

        A check that asks only for this plugin's fixtures and carries no mark
        but ``@check`` (nearly all: ``skip``, ``xfail``, ``usefixtures``,
        ``tmp_path``, ``monkeypatch`` or an autouse fixture make it not plain)
        needs none of the per-item machinery around it: the fixture
        resolution, three reports, their log lines and the output capture cost
        the judge more than the check's own work. Its outcome is recorded
        exactly as :meth:`pytest_runtest_makereport` records one.
        """
        if not _plain(item):
            self.through_pytest = True
            return None
        assert isinstance(item, pytest.Function)
        when, error = "setup", None
        try:
            item.funcargs = self._own_fixtures(item)
            when = "call"
            with self._watching(item):
                item.runtest()
        except (KeyboardInterrupt, pytest.exit.Exception):
            raise
        except BaseException as caught:  # noqa: BLE001 - as pytest's CallInfo.from_call
            error = caught
        self._record(item, when, error)
        # What pytest set up for an earlier check goes as pytest would take it down.
        teardown = (item.ihook.pytest_runtest_teardown if self.through_pytest
                    else self.pytest_runtest_teardown)
        with contextlib.suppress(Exception):  # as in pytest's protocol: never recorded
            teardown(item=item, nextitem=nextitem)
        item.funcargs = None  # type: ignore[assignment] # as pytest: the handles go now
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        with self._watching(item):
            return (yield)

    @contextlib.contextmanager
    def _watching(self, item: pytest.Item) -> Iterator[None]:
        """Runs a check with inputs every machine draws alike (:mod:`.portable`), noting
        the comparison that came closest to its tolerance (for the audit)."""
        key = (item.stash[TARGET_KEY].key, item.stash[SPEC_KEY].id)
        with observing() as seen, collecting() as figures, PortableNormals():
            try:
                yield
            finally:
                if seen:
                    self.spreads[key] = max(seen, key=lambda spread: spread.ratio)
                if figures:
                    self.figures[key] = figures

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]
                                  ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        self._record(item, call.when, None if call.excinfo is None else call.excinfo.value)
        return report

    def _record(self, item: pytest.Item, when: str, error: BaseException | None) -> None:
        """The outcome of one phase of a check: the first failure, or a passed call."""
        key = (item.stash[TARGET_KEY].key, item.stash[SPEC_KEY].id)
        data = as_data(self.figures.pop(key, [])) if when == "call" else {}
        if when == "call" and error is None:
            self.outcomes.setdefault(key, Outcome("passed", "Passed.", data=data))
        elif error is not None and when in ("setup", "call"):
            outcome = self._refer_back(item, self._classify(error, item))
            if outcome.internal:
                self.internal.add(item.stash[TARGET_KEY].key)
            self.outcomes.setdefault(key, replace(outcome, data=data))

    def _classify(self, error: BaseException, item: pytest.Item) -> Outcome:
        if isinstance(error, CheckFailure):
            return Outcome("failed", str(error), cause=error.cause, lead=error.statement,
                           summary=short(error.statement))
        if isinstance(error, SandboxFailure):
            return Outcome(error.status, error.feedback, error.detail, cause=error.cause,
                           lead=error.lead, summary=error.summary)
        if isinstance(error, AssignmentUnavailable):
            return Outcome(error.status, error.feedback)
        detail = "".join(traceback.format_exception(error))
        if isinstance(error, GraderError):
            self.runtime.internal_errors.append((str(error), detail))
            return Outcome("error", "The grader could not run this check (its reference "
                           "failed); this is not your fault, tell your instructor.", detail,
                           internal=True)
        if isinstance(error, AssertionError):
            return Outcome("failed", str(error).split("\n")[0] or "The check failed.", detail)
        if isinstance(error, pytest.skip.Exception):
            return Outcome("error", "This check was skipped, so it earns no points.", detail)
        handle = getattr(item, "funcargs", {}).get("submission")
        if isinstance(handle, StudentHandle) and handle.answered and isinstance(error, Exception):
            # The check was handling what the student's sandbox sent: whatever went wrong
            # there is this check's failure. (A grader bug here also fails the reference,
            # which `torchgrade validate` reports.)
            return Outcome("failed", "The grader could not use what your code gave back "
                           f"({_one_line(error)}), so this check earns no points.", detail)
        self.runtime.internal_errors.append((f"{type(error).__name__}: {error}", detail))
        return Outcome("error", "The grader hit an internal problem in this check; this is "
                       "not your fault, tell your instructor.", detail, internal=True)

    def _refer_back(self, item: pytest.Item, outcome: Outcome) -> Outcome:
        """A failure whose cause a check above reported says so briefly (:mod:`.causes`)."""
        spec = item.stash[SPEC_KEY]
        text = self.causes.refer_back(
            (item.stash[TARGET_KEY].key, spec.part), cause=outcome.cause,
            public=spec.visibility == "public", lead=outcome.lead, summary=outcome.summary)
        return outcome if text is None else replace(outcome, feedback=text)

    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        target = item.stash[TARGET_KEY]
        if nextitem is None or nextitem.stash[TARGET_KEY].key != target.key:
            self.runtime.release(target)
            if self.on_released is not None:
                self.on_released(target)


_OWN_FIXTURES = frozenset({"target", "submission", "reference", "seed", "rng", "device"})
_PLAIN_FIXTURENAMES = _OWN_FIXTURES | {"request"}  # two of them use it
_OWN_MARKS = frozenset({MARKER, "parametrize"})


def _plain(item: pytest.Item) -> bool:
    """Whether ``item`` needs nothing of pytest's run protocol (see ``pytest_runtest_protocol``).

    ``request`` is among the names because two fixtures above use it; a check
    that asks for it itself is not plain.
    """
    return (isinstance(item, pytest.Function)
            and _PLAIN_FIXTURENAMES.issuperset(item.fixturenames)
            and _OWN_FIXTURES.issuperset(_parameters(item.function))
            and all(mark.name in _OWN_MARKS for mark in item.iter_markers()))


@functools.cache
def _parameters(function: Callable[..., Any]) -> tuple[str, ...]:
    return tuple(inspect.signature(function).parameters)


def _one_line(error: BaseException) -> str:
    try:
        text = f"{type(error).__name__}: {error}".splitlines()[0]
    except Exception:  # noqa: BLE001 - a message that cannot even be printed
        text = type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."
