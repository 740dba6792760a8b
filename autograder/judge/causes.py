"""One root cause, one full message: later failures of the same cause refer back.

A student who stores ``MyLinear``'s weight transposed fails five checks, and
four of them fail only because of that. Telling the whole story five times
buries it, and the later checks' own hints (written for other mistakes) may
contradict the code. So a failure may name its cause (``CheckFailure.cause``,
``SandboxFailure.cause``: the student's quantity at fault, or the raising
line), and within one part of one submission (the checks of one function or
class, which a notebook shows together) the first failure with that cause
keeps its full message; each later one says what failed here and points to
it: "The grader's call to `load_state_dict` failed, for the reason given in
the check above: weight has shape (7, 4); ...". Nothing here names an
assignment; verdicts never change, only wording.
"""

from __future__ import annotations

import os
from collections.abc import Hashable


class Causes:
    """The causes reported so far in one grading session, by submission part."""

    def __init__(self) -> None:
        self._first: dict[tuple[Hashable, str | None, str], tuple[str, str]] = {}

    def refer_back(self, where: tuple[Hashable, str | None], *, cause: str, public: bool,
                   lead: str, summary: str) -> str | None:
        """The feedback of a failure whose cause was reported above, or None.

        Args:
            where: The target (submission and assignment) and the check's part.
            cause: The failure's cause; "" never refers back.
            public: Whether students read this check's feedback: only a public
                check can be the one that "the check above" points to.
            lead: What failed in this check, in short, with who raised.
            summary: What a later check quotes when this one came first.

        Returns:
            None when this failure keeps its own message (no cause, or the first
            of its cause); else the short message that refers back.
        """
        if not cause:
            return None
        key = (*where, cause)
        if key not in self._first:
            if public:
                self._first[key] = (lead, summary)
            return None
        first_lead, first_summary = self._first[key]
        own, quoted = lead.strip(), _in_sentence(first_summary.strip().rstrip(". "))
        if lead == first_lead:  # the same failure again
            return f"{own.rstrip('.')}, as in the check above."
        if own.endswith("."):  # a check's own sentence: what is wrong here, then why
            said = quoted.lower() in own.lower() or _same_ending(own, quoted) >= 30
            return f"{own} See the check above" + ("." if said else f": {quoted}.")
        return f"{own}, for the reason given in the check above: {quoted}."


def short(statement: str) -> str:
    """A statement short enough to quote: when it is long, what comes before its first colon
    (checks that expect to be quoted put the cause there: "The labels came out sorted: ...")."""
    return statement if len(statement) <= 100 else statement.split(": ")[0].rstrip(".") + "."


def _same_ending(a: str, b: str) -> int:
    """How many characters two statements share at their end ("... without the ReLU mask")."""
    return len(os.path.commonprefix([a.rstrip(". ")[::-1], b.rstrip(". ")[::-1]]))


def _in_sentence(text: str) -> str:
    """``text`` continuing a sentence: a capitalised first word ("The") in lower case."""
    first = text.split(" ", 1)[0]
    return text[0].lower() + text[1:] if first[1:].islower() and first.isalpha() else text
