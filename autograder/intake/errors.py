"""The one error of intake: an input that cannot be graded at all.

It lives in its own module because every stage of intake raises it (zip
extraction, the search of a submission, class-folder recognition) and the CLI
catches it in one place to exit with 2.
"""

from __future__ import annotations


class SubmissionError(Exception):
    """An input path that cannot be graded at all (the CLI exits with 2).

    Its ``str()`` says what was wrong and what was expected instead.
    """
