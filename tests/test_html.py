"""HTML feedback and the class report: rendered from real grading runs, opened in Chromium.

The browser tests grade the example class once (the batch command, in a
temporary folder), open every page in headless Chromium with the network
pointed at a closed port, and check what a reader would: every check and
every picture is on the page, the pictures were drawn, and the page asked
for nothing from the network (Chromium's own net log says so). Chromium is
installed from Debian's packages when missing (as root, with apt-get);
elsewhere those tests are skipped with the reason.

``python -m tests.test_html docs`` regenerates ``docs/feedback.png`` and
``docs/report.png`` from the example class the same way.
"""

from __future__ import annotations

import base64
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import torch

from autograder.judge.compare import CheckFailure, assert_close
from autograder.judge.figures import (
    FIGURES,
    MAP_CELLS,
    MAX_POINTS,
    as_data,
    attach_curves,
    collecting,
)
from autograder.results import (
    AssignmentResult,
    CheckResult,
    SubmissionResult,
    from_json,
    to_json,
)
from autograder.results.html import render_feedback_html, value_pairs, write_feedback_pages
from autograder.results.plots import (
    ERROR_COLOURS,
    REFERENCE,
    YOURS,
    check_plots,
    rate_colour,
)
from autograder.results.report import render_report, summarise
from autograder.results.store import StoreError
from tests.conftest import ROOT

TORCHGRADE = [sys.executable, "-m", "autograder.cli"]
EXAMPLES = ROOT / "examples" / "submissions"
SEED = "3"


# -- building results by hand (for the tests that need no grading) -------------------------

def _check(check_id: str, status: str = "passed", feedback: str = "Passed.",
           points: float = 2.0, data: dict | None = None) -> CheckResult:
    return CheckResult(id=check_id, name=f"what {check_id} checks", max_points=2.0,
                       points=points if status == "passed" else 0.0, status=status,
                       visibility="public", feedback=feedback, data=data or {})


def _result(label: str, *checks: CheckResult, status: str = "graded") -> SubmissionResult:
    return SubmissionResult(
        submission=label, seed=11, version="9.9.9", isolation={"network_disabled": True},
        assignments=(AssignmentResult(name="01_a", status=status, checks=checks,
                                      max_score=2.0 * len(checks)),))


# -- unit tests: no browser, no grading ---------------------------------------------------

def test_feedback_escapes_student_text():
    evil = "<script>alert('x')</script>"
    result = _result(f"mallory{evil}", _check(
        "01_a/forward", "failed", f"Your code raised ValueError: {evil}; expected {evil}, "
        f"got <img src=x onerror=alert(1)>."))
    page = render_feedback_html(result)
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_result_without_data_renders_every_check():
    result = _result("alice", _check("01_a/forward"),
                     _check("01_a/loss", "failed", "The loss should be about 1.5 but is 2."))
    page = render_feedback_html(result)
    for check_id in ("01_a/forward", "01_a/loss"):
        assert f'data-check="{check_id}"' in page
    assert "<img" not in page
    assert "2 / 4 points" in page


def test_hidden_checks_show_their_feedback_and_pictures_only_when_asked():
    want = torch.eye(3)
    with collecting() as figures, pytest.raises(CheckFailure) as failure:
        assert_close(want * 2, want, what="the hidden matrix")
    hidden = CheckResult(id="01_a/secret", name="a hidden check", points=0.0, max_points=1.0,
                         status="failed", visibility="hidden", feedback=str(failure.value),
                         data=as_data(figures))
    result = _result("alice", hidden)
    student = render_feedback_html(result)
    assert "the hidden matrix" not in student and "<img" not in student
    assert 'data-check="01_a/secret"' in student and "This check is hidden" in student
    instructor = render_feedback_html(result, show_hidden=True)
    assert "the hidden matrix" in instructor and 'data-plot="error-map"' in instructor


def test_expected_and_got_values_are_picked_out_of_messages():
    assert value_pairs("x does not match: at index (0, 7): expected -0.27, got -0.047. "
                       "Hint: h.") == [("-0.27", "-0.047")]
    assert value_pairs("vocab['a'] should be 2 but is 8: ids follow the order.") == [("2", "8")]
    assert value_pairs("The loss should be about 3.3229 but is 3.88371. Hint: add.") == [
        ("3.3229", "3.88371")]
    assert value_pairs("Your code raised RuntimeError.") == []


def test_the_report_with_one_submission_renders():
    result = _result("alice", _check("01_a/forward"),
                     _check("01_a/loss", "failed", "The loss is wrong."))
    page = render_report([result])
    for kind in ("score-histogram", "pass-rates"):
        assert f'data-plot="{kind}"' in page
    assert 'data-check="01_a/forward"' in page and 'data-messages="01_a/loss"' in page
    assert ">11<" in page and "9.9.9" in page and "network_disabled=true" in page
    assert "1 submission;" in page


def test_the_report_sorts_checks_by_pass_rate_and_counts_messages():
    wrong, other = "The loss is 2, not 1.", "The loss is 3, not 1."
    results = [
        _result("a", _check("01_a/x"), _check("01_a/y", "failed", wrong)),
        _result("b", _check("01_a/x", "failed", "x is off."), _check("01_a/y", "failed",
                                                                      wrong)),
        _result("c", _check("01_a/x"), _check("01_a/y", "failed", other)),
        _result("d", _check("01_a/x", "missing", "No file."),
                _check("01_a/y", "missing", "No file."), status="missing"),
    ]
    summary = summarise(results)
    assert [c.id for c in summary.checks] == ["01_a/y", "01_a/x"]  # y: 0 of 3, x: 2 of 3
    y, x = summary.checks
    assert (y.attempted, y.passed, y.missing) == (3, 0, 1)
    assert (x.attempted, x.passed, x.rate) == (3, 2, 2 / 3)
    assert y.messages == ((wrong, "failed", 2), (other, "failed", 1))
    assert summary.percentages == (50.0, 0.0, 50.0, 0.0)


def test_check_data_round_trips_with_the_details_and_stays_out_of_the_contract():
    data = {FIGURES: [{"kind": "curves", "title": "t", "x_label": "epoch", "y_label": "loss",
                       "series": [{"name": "train", "source": "yours",
                                   "values": [1.0, None, 0.5]}]}]}
    result = _result("alice", _check("01_a/fit", "failed", "Wrong.", data=data))
    document = json.loads(json.dumps(to_json(result, details=True), allow_nan=False))
    assert from_json(document) == result
    assert from_json(document).assignments[0].checks[0].data == data
    assert "data" not in to_json(result)["assignments"][0]["checks"][0]


def test_curves_from_untrusted_values_become_few_plain_floats():
    want = {"train_loss": [1.0, 0.5, 0.25], "val_loss": [1.5, 1.0, 0.75]}
    got = {"train_loss": [2.0, math.nan, "a Tensor", True, torch.tensor(0.5), math.inf],
           "val_loss": list(range(10 * MAX_POINTS))}
    with collecting() as figures:
        attach_curves(title="fit", x_label="epoch", y_label="loss", got=got, want=want)
        attach_curves(title="fit", x_label="epoch", y_label="loss", got="a dict", want=want)
    attach_curves(title="outside", x_label="e", y_label="l", got=got, want=want)  # no session
    [yours, without] = figures
    series = {(s["name"], s["source"]): s["values"] for s in yours["series"]}
    assert series[("train_loss", "yours")] == [2.0, None, None, None, 0.5, None]
    assert len(series[("val_loss", "yours")]) == MAX_POINTS
    assert {s["source"] for s in without["series"]} == {"reference"}
    json.dumps(as_data(figures), allow_nan=False)  # plain JSON, no NaN or inf


def test_attaching_never_raises_into_the_judge():
    class Hostile(dict):  # what a patched scenario might hand over
        def get(self, *args):
            raise RuntimeError("boom")

    with collecting() as figures:
        attach_curves(title="fit", x_label="e", y_label="l", got=Hostile(),
                      want={"train_loss": [1.0]})
        attach_curves(title="fit", x_label="e", y_label="l", got={}, want={"a": object()})
    assert figures == []


def test_assert_close_attaches_an_error_map_for_a_differing_matrix():
    want = torch.arange(54, dtype=torch.float32).reshape(6, 9) / 10
    got = want.clone()
    got[4, 7] += 3.0
    got[1, 2] = math.nan
    with collecting() as figures, pytest.raises(CheckFailure):
        assert_close(got, want, what="w1")
    [figure] = figures
    assert figure["kind"] == "error_map" and figure["title"] == "w1"
    assert figure["shape"] == [6, 9] and figure["block"] == [1, 1]
    assert figure["differ"] == 2 and figure["worst"] == [1, 2]  # NaN counts as the worst
    assert figure["values"][1][2] is None and abs(figure["values"][4][7] - 3.0) < 1e-5
    excerpt = figure["excerpt"]
    assert excerpt["got"][1 - excerpt["row"]][2 - excerpt["col"]] == "nan"
    [plot] = check_plots(as_data(figures))
    assert plot.kind == "error-map" and plot.uri.startswith("data:image/svg+xml;base64,")


def test_error_maps_only_for_modest_matrices_and_pooled_beyond_the_cell_limit():
    with collecting() as figures:
        for shape in [(7,), (3, 4, 5), (1, 30), (300, 300)]:
            with pytest.raises(CheckFailure):
                assert_close(torch.ones(shape), torch.zeros(shape), what="t")
        big = torch.zeros(40, 50)
        wrong = big.clone()
        wrong[39, 0] = 5.0
        with pytest.raises(CheckFailure):
            assert_close(wrong, big, what="big")
        with pytest.raises(CheckFailure):  # integers and booleans get a map as well
            assert_close(torch.tensor([[True, False], [True, True]]),
                         torch.tensor([[True, True], [True, True]]), what="mask")
    pooled, mask = figures
    assert pooled["shape"] == [40, 50] and len(pooled["values"]) == MAP_CELLS
    assert {len(row) for row in pooled["values"]} == {MAP_CELLS}
    assert pooled["values"][-1][0] == 5.0 and pooled["worst"] == [39, 0]
    assert mask["differ"] == 1 and mask["excerpt"]["got"][0] == ["True", "False"]


def test_a_folder_that_cannot_hold_the_pages_is_a_usage_error(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(StoreError, match="--html .*cannot write alice.html"):
        write_feedback_pages([_result("alice", _check("01_a/x"))], tmp_path / "taken" / "html")


def test_malformed_data_is_left_out_of_the_page():
    data = {FIGURES: [{"kind": "curves"}, "junk", {"kind": "error_map", "shape": "x"},
                      {"kind": "unknown"}]}
    page = render_feedback_html(_result("alice", _check("01_a/x", "failed", "No.", data=data)))
    assert 'data-check="01_a/x"' in page and "<img" not in page


# -- real grading runs --------------------------------------------------------------------

def torchgrade(*args: str) -> subprocess.CompletedProcess[str]:
    run = subprocess.run([*TORCHGRADE, *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example class graded once, with feedback pages: ``out/`` and ``out/html/``."""
    out = tmp_path_factory.mktemp("class") / "out"
    torchgrade("grade", str(EXAMPLES), "--out", str(out), "--html", str(out / "html"),
               "--seed", SEED, "--details")
    return out


def _saved(out: Path) -> dict[str, SubmissionResult]:
    results = [from_json(json.loads(p.read_text())) for p in (out / "results").glob("*.json")]
    return {r.submission: r for r in results}


def _check_data(result: SubmissionResult, check_id: str) -> dict:
    return next(c.data for a in result.assignments for c in a.checks if c.id == check_id)


def test_a_batch_writes_a_page_per_submission_and_the_class_report(graded):
    saved = _saved(graded)
    assert sorted(saved) == ["alice", "bob", "carol"]
    assert sorted(p.name for p in (graded / "html").iterdir()) == [
        "alice.html", "bob.html", "carol.html"]
    assert (graded / "report.html").is_file() and (graded / "gradebook.csv").is_file()
    [curves] = _check_data(saved["bob"], "05_training_loop/fit_history")[FIGURES]
    sources = {(s["name"], s["source"]) for s in curves["series"]}
    assert sources == {(name, source) for name in ("train_loss", "val_loss")
                       for source in ("yours", "reference")}
    [heat] = _check_data(saved["alice"], "01_manual_autograd/train")[FIGURES]
    assert heat["kind"] == "error_map" and heat["differ"] > 0


def test_merge_writes_the_report_and_grade_writes_one_page(graded, tmp_path):
    torchgrade("merge", str(graded), "--out", str(tmp_path / "merged"))
    report = (tmp_path / "merged" / "report.html").read_text()
    for check_id in _check_ids(_saved(graded).values()):
        assert f'data-check="{check_id}"' in report
    single = EXAMPLES / "bob" / "05_training_loop" / "training_loop.py"
    torchgrade("grade", str(single), "--assignment", "05", "--html", str(tmp_path / "one"),
               "--seed", SEED)
    page = (tmp_path / "one" / "training_loop.html").read_text()
    assert 'data-plot="loss-curves"' in page and "10 / 20 points" in page


def _check_ids(results) -> set[str]:
    return {c.id for r in results for a in r.assignments for c in a.checks}


# -- in a real browser --------------------------------------------------------------------

@pytest.fixture(scope="session")
def chromium() -> str:
    """Chromium's command; installed from Debian's packages when missing and we may."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("Chromium is not installed, and installing it (apt-get install chromium) "
                    "needs root")
    if shutil.which("apt-get") is None:
        pytest.skip("Chromium is not installed, and there is no apt-get to install it with")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        run = subprocess.run(command, capture_output=True, text=True, env=environment,
                             timeout=1200)
        if run.returncode != 0:
            pytest.skip(f"Chromium could not be installed: {' '.join(command)} failed: "
                        f"{run.stderr.strip()[-300:]}")
    found = shutil.which("chromium")
    if found is None:
        pytest.skip("apt-get installed chromium, but there is no chromium command")
    return found


def browse(chromium: str, page: Path, work: Path, *, height: int = 6000
           ) -> tuple[str, Path, list[str]]:
    """Opens ``page`` headless: its DOM, a screenshot, and every URL the page requested.

    The network goes to a proxy on a closed port and no name resolves, so
    nothing leaves the machine even if a page asked; the net log still
    records what was asked for. Requests of the browser itself (updates,
    time) carry no page as initiator and are left out.
    """
    work.mkdir(parents=True, exist_ok=True)
    screenshot, net_log = work / "screenshot.png", work / "net-log.json"
    run = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-extensions", "--user-data-dir=" + str(work / "profile"),
         "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
         f"--log-net-log={net_log}", f"--window-size=1100,{height}",
         f"--screenshot={screenshot}", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "<html" in run.stdout, run.stderr[-2000:]
    return run.stdout, screenshot, page_requests(net_log)


def page_requests(net_log: Path) -> list[str]:
    """The URLs that pages asked for, from a Chromium net log."""
    text = net_log.read_text()
    try:
        log = json.loads(text)
    except ValueError:  # a log whose writer was cut short has no closing brackets
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [event["params"]["url"] for event in log["events"]
            if event["type"] == start and "url" in event.get("params", {})
            and event["params"].get("initiator") != "not an origin"]


class Page(HTMLParser):
    """What the tests look for in a DOM: checks, plots, images and the CSP."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.checks: set[str] = set()
        self.plots: list[str] = []
        self.images: list[str] = []
        self.csp = ""
        self.feed(dom)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if "data-check" in found:
            self.checks.add(found["data-check"])
        if "data-plot" in found:
            self.plots.append(found["data-plot"])
        if tag == "img":
            self.images.append(found.get("src", ""))
        if tag == "meta" and found.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = found.get("content", "")


def _pixels(screenshot: Path, colour: str) -> int:
    """How many pixels of the screenshot have exactly ``colour`` (one only plots use)."""
    from PIL import Image

    wanted = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    with Image.open(screenshot) as image:
        rgb = image.convert("RGB")
        return sum(count for count, pixel in rgb.getcolors(rgb.width * rgb.height)
                   if pixel == wanted)


KINDS = {"curves": "loss-curves", "error_map": "error-map"}
COLOURS = {"loss-curves": YOURS, "error-map": ERROR_COLOURS[-1], "score-histogram": REFERENCE}


def _attached_plots(result: SubmissionResult) -> list[str]:
    """The pictures a result's checks carry, by the kind of plot they become."""
    return [KINDS[figure["kind"]] for a in result.assignments for c in a.checks
            for figure in c.data.get(FIGURES, [])]


def _assert_shown(chromium: str, page: Path, work: Path, checks: set[str], plots: list[str],
                  colours: list[str]) -> None:
    """``page`` in Chromium: exactly these checks and plots, drawn, and no request made."""
    dom, screenshot, requests = browse(chromium, page, work)
    shown = Page(dom)
    assert shown.checks == checks
    assert sorted(shown.plots) == sorted(plots) and len(shown.images) == len(plots)
    for uri in shown.images:
        assert uri.startswith("data:image/svg+xml;base64,")
        assert base64.b64decode(uri.split(",", 1)[1]).startswith(b"<svg")
    for colour in colours:  # the browser drew the pictures
        assert _pixels(screenshot, colour) > 50, colour
    assert "default-src 'none'" in shown.csp
    assert requests == []


@pytest.mark.parametrize("label", ["alice", "bob", "carol"])
def test_feedback_pages_show_every_check_and_plot_in_chromium_and_load_nothing(
        chromium, graded, tmp_path, label):
    result = _saved(graded)[label]
    plots = _attached_plots(result)
    if label == "bob":  # fit ran and failed: the loss curves were attached by real grading
        assert "loss-curves" in plots
    _assert_shown(chromium, graded / "html" / f"{label}.html", tmp_path, _check_ids([result]),
                  plots, [COLOURS[kind] for kind in set(plots)])


def test_the_class_report_shows_every_check_and_plot_in_chromium_and_loads_nothing(
        chromium, graded, tmp_path):
    results = list(_saved(graded).values())
    best = max(check.rate for check in summarise(results).checks)  # a bar of 0 % is not drawn
    assert best > 0
    _assert_shown(chromium, graded / "report.html", tmp_path, _check_ids(results),
                  ["score-histogram", "pass-rates"],
                  [COLOURS["score-histogram"], rate_colour(best)])


def test_an_error_map_of_a_real_comparison_is_drawn_in_chromium(chromium, tmp_path):
    want = torch.linspace(-1, 1, 48).reshape(6, 8)
    with collecting() as figures, pytest.raises(CheckFailure) as failure:
        assert_close(want.flip(1), want, what="grad_w1")
    result = _result("dora", _check("01_a/grad", "failed", str(failure.value),
                                    data=as_data(figures)))
    page = tmp_path / "dora.html"
    page.write_text(render_feedback_html(result))
    _assert_shown(chromium, page, tmp_path / "browser", {"01_a/grad"}, ["error-map"],
                  [ERROR_COLOURS[-1]])
    assert 'class="differs worst"' in page.read_text()  # the excerpt marks the largest error


def test_the_request_detector_sees_a_page_that_loads_from_the_network(chromium, tmp_path):
    page = tmp_path / "remote.html"
    page.write_text('<!DOCTYPE html><html><body><img src="http://example.invalid/x.png">'
                    '<link rel="stylesheet" href="https://cdn.example.invalid/a.css">'
                    "</body></html>")
    _, _, requests = browse(chromium, page, tmp_path / "browser", height=600)
    assert "http://example.invalid/x.png" in requests
    assert "https://cdn.example.invalid/a.css" in requests


# -- regenerating the screenshots in docs/ ------------------------------------------------

def _docs_screenshots(chromium: str, docs: Path) -> None:
    """Grades the example class and photographs alice's feedback and the class report."""
    with tempfile.TemporaryDirectory(prefix="torchgrade-docs-") as folder:
        out = Path(folder) / "out"
        torchgrade("grade", str(EXAMPLES), "--out", str(out), "--html", str(out / "html"),
                   "--seed", SEED)
        for page, target, height in ((out / "html" / "alice.html", "feedback.png", 2100),
                                     (out / "report.html", "report.png", 2600)):
            _, screenshot, requests = browse(chromium, page, Path(folder) / target,
                                             height=height)
            assert requests == []
            shutil.copyfile(screenshot, docs / target)


def _main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.test_html DOCS_FOLDER", file=sys.stderr)
        return 2
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no chromium command: install it (apt-get install chromium)", file=sys.stderr)
        return 2
    _docs_screenshots(chromium, Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
