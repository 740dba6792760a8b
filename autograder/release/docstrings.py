"""What a docstring says about its function, as Markdown for READMEs and notebooks."""

from __future__ import annotations

import ast
import re

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


def summary(node: Definition) -> str:
    """The docstring's first paragraph on one line, as Markdown.

    Solutions are documented in reStructuredText habits (````code````,
    ``:func:`name```); students read the summary rendered as Markdown, where
    both would show their punctuation, so they become single-backtick code.
    """
    docstring = ast.get_docstring(node) or ""
    paragraph = re.split(r"\n\s*\n", docstring.strip(), maxsplit=1)[0]
    text = " ".join(paragraph.split())
    text = re.sub(r":[a-z]+:`", "`", text)
    return re.sub(r"``(.+?)``", r"`\1`", text)
