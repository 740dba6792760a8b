"""torchgrade's own processes start fast: the compiler stack deferred, the collector paused.

Nothing computes differently meanwhile, and a process that is not
torchgrade's own (a notebook, this test run) keeps its settings.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from autograder.sandbox.client import Budget, Limits, Zygote
from autograder.sandbox.generic import call
from tests.conftest import SOLUTIONS

# Every optimizer path a training loop goes through, printed to the last bit.
TRAINING = textwrap.dedent("""
    import io, json, sys
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset
    from autograder.sandbox import compiler

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(),
                          nn.Linear(4, 1))
    loader = DataLoader(TensorDataset(torch.randn(16, 3), torch.randn(16, 1)),
                        batch_size=4, shuffle=True)
    sums = []
    for make in (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), torch.optim.Adam,
                 torch.optim.AdamW, torch.optim.RMSprop, torch.optim.LBFGS):
        optimizer = make(model.parameters())
        lbfgs = isinstance(optimizer, torch.optim.LBFGS)
        schedule = None if lbfgs else torch.optim.lr_scheduler.StepLR(optimizer, 1)
        for inputs, targets in loader:
            def closure():
                optimizer.zero_grad()
                loss = nn.functional.mse_loss(model(inputs), targets)
                loss.backward()
                return loss
            if lbfgs:
                optimizer.step(closure)
            else:
                closure()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
        buffer = io.BytesIO()
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, buffer)
        buffer.seek(0)
        saved = torch.load(buffer, weights_only=True)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        sums.append(float(sum(p.double().sum() for p in model.parameters())))
    for module in list(sys.modules.values()):  # as the warnings machinery sweeps them
        hasattr(module, "__warningregistry__")
    print(json.dumps({"sums": [s.hex() for s in sums], "loaded": compiler.loaded()}))
""")


def _python(code: str) -> str:
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_training_never_loads_the_compiler_and_computes_exactly_as_with_it():
    deferred = json.loads(_python("from autograder.sandbox import compiler\n"
                                  "assert compiler.defer()\n" + TRAINING))
    eager = json.loads(_python(TRAINING))
    assert deferred["loaded"] is False
    assert eager["loaded"] is True  # what every optimizer costs without the stand-in
    assert deferred["sums"] == eager["sums"]


def test_a_real_use_loads_the_real_compiler_into_the_same_module():
    out = _python(textwrap.dedent("""
        import sys
        from autograder.sandbox import compiler
        assert compiler.defer()
        assert not compiler.defer()  # once is enough
        import torch
        stand_in = sys.modules["torch._dynamo"]
        model = torch.nn.Linear(2, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)  # before the real one
        assert not compiler.loaded()
        import torch._dynamo.config  # a submodule runs the package first
        assert compiler.loaded()
        assert torch._dynamo is stand_in and sys.modules["torch._dynamo"] is stand_in
        assert torch._dynamo.graph_break.__module__ == "torch._dynamo.decorators"
        doubled = torch.compile(lambda x: x * 2 + 1, backend="eager")(torch.ones(2))
        model(torch.ones(3, 2)).sum().backward()
        optimizer.step()
        optimizer.zero_grad()
        print(doubled.tolist(), model.weight.grad)
    """))
    assert out.split("\n")[0] == "[3.0, 3.0] None"


def test_a_sandbox_collects_garbage_and_gets_the_compiler_when_a_student_compiles(tmp_path):
    student = tmp_path / "student.py"
    student.write_text(textwrap.dedent("""
        import gc
        import sys
        import torch

        def plain():
            optimizer = torch.optim.Adam(torch.nn.Linear(2, 1).parameters())
            optimizer.zero_grad()
            return type(sys.modules["torch._dynamo"]).__name__, gc.isenabled()

        def compiled():
            square = torch.compile(lambda x: x * x, backend="eager")
            return square(torch.arange(3.0)), type(sys.modules["torch._dynamo"]).__name__
    """))
    (tmp_path / "zygote").mkdir()
    limits = Limits(call_seconds=60.0, load_seconds=10.0)
    with Zygote(workdir=tmp_path / "zygote") as zygote:
        answers = []
        for function in ("plain", "compiled"):
            box = zygote.sandbox(path=student, module="student", limits=limits,
                                 budget=Budget(120), label=function)
            try:
                answers.append(box.run(call, function=function))
            finally:
                box.discard()
    # The zygote's forks start without the compiler, and collect garbage as anywhere.
    assert answers[0] == ("_Deferred", True)
    squares, kind = answers[1]
    assert squares.tolist() == [0.0, 1.0, 4.0] and kind == "module"


def test_a_whole_grading_run_needs_no_compiler_and_resumes_the_paused_collector(tmp_path):
    code = textwrap.dedent(f"""
        import gc, sys
        from autograder import cli, startup
        from autograder.sandbox import compiler
        startup.own()
        assert not gc.isenabled()
        sys.argv = ["torchgrade", "grade", {str(SOLUTIONS)!r},
                    "--json", {str(tmp_path / "result.json")!r}]
        code = cli.main()
        print(code, compiler.loaded(), gc.isenabled(), gc.get_freeze_count() > 100_000)
    """)
    assert _python(code).split()[-4:] == ["0", "False", "True", "True"]
    assert json.loads((tmp_path / "result.json").read_text())["score"] == 100.0


def test_grading_in_a_process_torchgrade_does_not_own_leaves_its_collector_alone():
    code = textwrap.dedent(f"""
        import gc, sys
        from autograder import cli
        sys.argv = ["torchgrade", "grade", {str(SOLUTIONS)!r}]
        frozen = gc.get_freeze_count()
        code = cli.main()
        print(code, gc.isenabled(), gc.get_freeze_count() == frozen)
    """)
    assert _python(code).split()[-3:] == ["0", "True", "True"]


def test_gradescopes_run_imports_torch_as_a_process_torchgrade_owns(tmp_path):
    """``python -m autograder.platforms.gradescope.run``: torch arrives after startup.own()."""
    code = textwrap.dedent(f"""
        import gc, os, runpy, sys
        class Watch:  # says whether the collector runs while torch is imported
            def find_spec(self, name, path=None, target=None):
                if name == "torch._C":  # looked for only by torch's own import
                    print("torch imported, collector enabled:", gc.isenabled(), flush=True)
                    sys.meta_path.remove(self)
                return None
        sys.meta_path.insert(0, Watch())
        os.environ["TORCHGRADE_AUTOGRADER_ROOT"] = {str(tmp_path)!r}
        sys.argv = ["run"]
        runpy.run_module("autograder.platforms.gradescope.run", run_name="__main__")
    """)
    assert "torch imported, collector enabled: False" in _python(code)
    assert (tmp_path / "results" / "results.json").exists()
