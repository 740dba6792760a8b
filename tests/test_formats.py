"""Results for CI: ``--format md`` (Markdown step summaries), ``--junit-xml`` and ``--fail-under``.

JUnit XML is validated against the two schemas CI systems read, stored in
``tests/fixtures/junit/`` (see its README for their origin); Markdown is
parsed with markdown-it (CommonMark with GitHub's tables) and compared with
the result it renders.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from markdown_it import MarkdownIt
from markdown_it.token import Token

from autograder.cli import main as torchgrade
from autograder.registry import select
from autograder.release.checks_table import collect
from autograder.results import AssignmentResult, CheckResult, SubmissionResult
from autograder.results.junit import render_junit
from autograder.results.markdown import escape, render_markdown
from tests.conftest import SOLUTIONS, STUBS

SCHEMAS = Path(__file__).parent / "fixtures" / "junit"
WHEN = datetime(2025, 3, 4, 5, 6, 7, 890, tzinfo=timezone.utc)
NASTY = "expected <tensor> & got \"x\" 'y' ]]> | *a* _b_ [c](d) \x00\x1b[31m\ud800 end"
"""Feedback quoting what student code raised: markup, quotes and characters XML cannot hold."""
NASTY_SHOWN = ("expected <tensor> & got \"x\" 'y' ]]> | *a* _b_ [c](d) "
                "\\x00\\x1b[31m\\ud800 end")


@pytest.fixture(scope="module")
def schemas() -> list[xmlschema.XMLSchema]:
    return [xmlschema.XMLSchema(str(SCHEMAS / name)) for name in ("junit-10.xsd", "JUnit.xsd")]


def markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def plain(inline: Token) -> str:
    """What an inline token renders to, as text (code spans in backticks)."""
    parts = []
    for child in inline.children or []:
        if child.type == "text":
            parts.append(child.content)
        elif child.type == "code_inline":
            parts.append(f"`{child.content}`")
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type not in ("strong_open", "strong_close"):
            parts.append(f"<{child.type}>")  # a link, emphasis, HTML...: not plain text
    return "".join(parts)


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the first table in ``text``, each cell as plain text, no backticks."""
    rows: list[list[str]] = []
    in_body = False
    for token in markdown().parse(text):
        if token.type == "tbody_open":
            in_body = True
        elif token.type == "tbody_close":
            break
        elif in_body and token.type == "tr_open":
            rows.append([])
        elif in_body and token.type == "inline":
            rows[-1].append(plain(token).strip("`"))
    return rows


def sample() -> SubmissionResult:
    def check(name: str, status: str, visibility: str = "public",
              feedback: str = "") -> CheckResult:
        return CheckResult(id=f"02_my_linear/{name}", name=f"{name} works",
                           points=2.0 if status == "passed" else 0.0, max_points=2.0,
                           status=status, visibility=visibility,
                           feedback=feedback or f"{name}: what was expected, what came")

    return SubmissionResult(submission="alice", seed=7, version="0.1.0", assignments=(
        AssignmentResult(name="02_my_linear", status="graded", max_score=14.0, checks=(
            check("shape", "passed"), check("forward", "failed", feedback=NASTY),
            check("device", "error"), check("slow", "timeout"),
            check("bias", "not_implemented"), check("secret", "failed", "hidden"),
            check("init", "passed", "hidden"))),
        AssignmentResult(name="04_collate", status="missing", max_score=4.0,
                         message="No collate.py (or collate.ipynb) was found.",
                         checks=(CheckResult(
                             id="04_collate/pad", name="pad works", points=0.0,
                             max_points=4.0, status="missing", visibility="public",
                             feedback="Not graded: no collate.py."),))))


def test_junit_xml_validates_and_shows_each_status(schemas):
    document = render_junit(sample(), timestamp=WHEN, seconds=1.5, hostname="grader-1")
    for schema in schemas:
        schema.validate(document)
    root = ET.fromstring(document.encode("utf-8"))
    linear, collate = root.findall("testsuite")
    assert (linear.get("tests"), linear.get("failures"), linear.get("errors"),
            linear.get("skipped")) == ("7", "2", "2", "1")
    assert linear.get("timestamp") == "2025-03-04T05:06:07"
    properties = {p.get("name"): p.get("value") for p in linear.iter("property")}
    assert (properties["score"], properties["max_score"], properties["seed"]) == ("4", "14", "7")
    outcome = {case.get("name"): [child.tag for child in case]
               for case in linear.iter("testcase")}
    assert outcome == {"02_my_linear/shape": [], "02_my_linear/forward": ["failure"],
                       "02_my_linear/device": ["error"], "02_my_linear/slow": ["error"],
                       "02_my_linear/bias": ["skipped"], "02_my_linear/secret": ["failure"],
                       "02_my_linear/init": []}
    assert {case.get("classname") for case in root.iter("testcase")} == {"02_my_linear",
                                                                         "04_collate"}
    failure = linear.find("testcase[@name='02_my_linear/forward']/failure")
    assert failure is not None and failure.get("type") == "failed"
    assert failure.get("message") == NASTY_SHOWN  # escaped, and back intact
    assert failure.text == f"forward works\n{NASTY_SHOWN}\n(0/2 points, failed)"
    hidden = linear.find("testcase[@name='02_my_linear/secret']/failure")
    assert hidden is not None and "secret:" not in ET.tostring(hidden, encoding="unicode")
    assert [child.tag for case in collate.iter("testcase") for child in case] == ["skipped"]
    assert "No collate.py" in (collate.findtext("system-out") or "")


def test_junit_xml_of_a_submission_that_was_not_graded(schemas):
    failed = SubmissionResult(submission="bob", assignments=(), status="error",
                              message="The grader failed while grading this submission.")
    document = render_junit(failed, timestamp=WHEN)
    for schema in schemas:
        schema.validate(document)
    [suite] = ET.fromstring(document.encode("utf-8")).findall("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("errors")) == ("torchgrade", "1",
                                                                            "1")
    error = suite.find("testcase/error")
    assert error is not None and error.get("message") == failed.message


@pytest.mark.parametrize("text", [
    "a | b", "*not emphasis* and **not strong**", "<script>alert(1)</script>",
    "[link](http://example.com) ![image](x.png)", "# not a heading", "- not a list",
    "1. not a list", "2) nor this", "&amp; stays &amp;", "> not a quote", "~~not struck~~",
    "back\\slash \\* then `code | pipe` and _under_ snake_case", "an odd ` backtick",
    "title\n=====", "title\n-----", "line one\nline two", (NASTY, NASTY_SHOWN),
])
def test_markdown_escaping_renders_the_text_itself(text):
    text, shown = text if isinstance(text, tuple) else (text, text)
    tokens = markdown().parse(escape(text))
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    assert plain(tokens[1]) == shown


def test_markdown_rows_and_lines_match_the_result():
    result = sample()
    text = render_markdown(result)
    assert table_rows(text) == [["02_my_linear", "4/14", "2/7", "graded"],
                                ["04_collate", "0/4", "0/1", "missing"],
                                ["Total", "4/18", "2/8", ""]]
    quotes = [plain(t) for t in markdown().parse(text) if t.type == "inline"
              and t.map is not None and text.splitlines()[t.map[0]].startswith("  >")]
    assert NASTY_SHOWN in quotes  # a failed check's feedback, as written
    assert "Feedback on hidden checks is not shown." in quotes
    assert not any("secret:" in quote for quote in quotes)
    assert "secret: what was expected" in render_markdown(result, show_hidden=True)


def test_grade_prints_markdown_writes_junit_and_fails_under(tmp_path, capsys, schemas):
    junit, document = tmp_path / "report.xml", tmp_path / "result.json"
    code = torchgrade(["grade", str(STUBS), "--seed", "7", "--format", "md", "--junit-xml",
                       str(junit), "--json", str(document), "--fail-under", "50"])
    assert code == 1
    result: dict[str, Any] = json.loads(document.read_text())
    rows = table_rows(capsys.readouterr().out)
    assert rows[:-1] == [[a["name"], f"{a['score']:g}/{a['max_score']:g}",
                          f"0/{len(a['checks'])}", a["status"]]
                         for a in result["assignments"]]
    assert rows[-1][:2] == ["Total", "0/100"]
    xml = junit.read_text()
    for schema in schemas:
        schema.validate(xml)
    cases = ET.fromstring(xml.encode("utf-8")).findall("testsuite/testcase")
    assert len(cases) == sum(len(a["checks"]) for a in result["assignments"])
    assert {child.tag for case in cases for child in case} == {"skipped"}


def test_check_takes_the_same_outputs_and_fail_under(tmp_path, capsys, schemas):
    junit = tmp_path / "check.xml"
    assert torchgrade(["check", "02", "--path", str(SOLUTIONS), "--format", "md",
                       "--junit-xml", str(junit), "--fail-under", "100"]) == 0
    count = len(collect(select(["02"])[0]))
    assert table_rows(capsys.readouterr().out) == [
        ["02_my_linear", "20/20", f"{count}/{count}", "graded"],
        ["Total", "20/20", f"{count}/{count}", ""]]
    xml = junit.read_text()
    for schema in schemas:
        schema.validate(xml)
    [suite] = ET.fromstring(xml.encode("utf-8")).findall("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == (str(count), "0",
                                                                                "0")

    assert torchgrade(["check", "02", "--path", str(STUBS), "--fail-under", "1"]) == 1
    assert "02_my_linear  0/20" in capsys.readouterr().out


def test_ci_outputs_are_for_one_submission(tmp_path, capsys):
    code = torchgrade(["grade", str(SOLUTIONS), str(STUBS), "--out", str(tmp_path / "out"),
                       "--junit-xml", str(tmp_path / "x.xml")])
    assert code == 2
    assert "--junit-xml is for one submission" in capsys.readouterr().err
    assert not (tmp_path / "x.xml").exists()
