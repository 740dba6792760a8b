"""The student bundle's leak check: solution lines are caught wherever they hide.

A docstring that walks through the answer gives it away as surely as a
copied body, so the verifier reads every file of the real bundle, built in
memory from ``solutions/``, with leaks planted in a stub's docstring, in a
comment and in a notebook Markdown cell.
"""

from __future__ import annotations

import json

import pytest

from autograder.registry import discover
from autograder.release import bundles, leaks
from tests.conftest import SOLUTIONS

ASSIGNMENTS = discover()
# What the stub of 01 used to show in manual_gradients' docstring: three lines of
# the reference's body, quoted in reStructuredText code spans.
OLD_DOCSTRING = '''
    3. ``grad_w2 = h_relu.T @ grad_y_pred`` ``(H, D_out)``.
    4. ``grad_h_relu = grad_y_pred @ w2.T`` ``(N, H)``.
    6. ``grad_w1 = x.T @ grad_h`` ``(D_in, H)``.
'''


@pytest.fixture(scope="module")
def secrets() -> frozenset[str]:
    return leaks.solution_lines(solutions=SOLUTIONS, assignments=ASSIGNMENTS)


@pytest.fixture
def bundle() -> bundles.Files:
    """The student bundle as ``release --student`` builds it, before verification."""
    return bundles.run_steps(bundles.STUDENT_STEPS,
                             bundles.Sources(solutions=SOLUTIONS, assignments=ASSIGNMENTS))


def _problems(files: bundles.Files, secrets: frozenset[str]) -> list[str]:
    try:
        leaks.verify_student(files, secrets=secrets)
    except leaks.LeakError as error:
        return list(error.problems)
    return []


def test_the_real_student_bundle_leaks_nothing(bundle: bundles.Files,
                                               secrets: frozenset[str]) -> None:
    assert len(secrets) > 60, "every non-trivial line of a solution block is a secret"
    assert _problems(bundle, secrets) == []


def test_a_walkthrough_in_a_docstring_is_caught(bundle: bundles.Files,
                                                secrets: frozenset[str]) -> None:
    path = "01_manual_autograd/manual_autograd.py"
    stub = str(bundle[path])
    anchor = "with the chain rule only.\n"
    assert stub.count(anchor) == 1
    bundle[path] = stub.replace(anchor, anchor + OLD_DOCSTRING)
    problems = _problems(bundle, secrets)
    assert sorted(problems) == [
        f"{path}: a line of a solution block: 'grad_w1 = x.T @ grad_h'",
        f"{path}: a line of a solution block: 'grad_w2 = h_relu.T @ grad_y_pred'",
    ]  # grad_h_relu is no line of the reference: it inlines that product


def test_a_comment_with_other_spacing_and_quotes_is_caught(bundle: bundles.Files,
                                                           secrets: frozenset[str]) -> None:
    path = "03_custom_dataset/custom_dataset.py"
    bundle[path] = str(bundle[path]) + "\n# hint: vocab = {'<pad>' : 0,'<unk>': 1}\n"
    assert _problems(bundle, secrets) == [
        f"{path}: a line of a solution block: " + repr('vocab = {"<pad>": 0, "<unk>": 1}')]


def test_a_line_wrapped_in_a_notebook_markdown_cell_is_caught(
        bundle: bundles.Files, secrets: frozenset[str]) -> None:
    path = "04_collate/collate.ipynb"
    notebook = json.loads(bundle[path])
    notebook["cells"].insert(1, {
        "cell_type": "markdown", "id": "planted", "metadata": {},
        "source": ["Tip: `attention_mask = torch.arange(max_len, device=device)\n",
                   "< lengths.unsqueeze(1)` is all it takes.\n"]})
    bundle[path] = json.dumps(notebook, indent=1)
    [problem] = _problems(bundle, secrets)
    assert problem.startswith(f"{path}: a line of a solution block: 'attention_mask = ")


def test_trivial_and_prescribed_lines_and_longer_names_are_not_leaks(
        secrets: frozenset[str]) -> None:
    assert "out = x @ self.weight.T" in secrets
    assert leaks.is_trivial("return out") and leaks.is_trivial("model.train()")
    assert leaks.is_trivial(")") and leaks.is_trivial("pass")
    assert "g = torch.Generator().manual_seed(seed)" not in secrets  # SPEC §1 prescribes it
    readme = ("With `g = torch.Generator().manual_seed(seed)`, call `model.train()` and "
              "`return out`;\nlayer_out = x @ self.weight.T is not the reference's line.\n")
    assert _problems({"02_my_linear/README.md": readme}, secrets) == []
    assert _problems({"02_my_linear/README.md": "out = x @ self.weight.T\n"}, secrets)
