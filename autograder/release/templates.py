"""The jinja2 templates every generated file is rendered from.

They live in ``templates/`` at the top of the checkout, the one place an
instructor edits wording, and a built wheel ships them as
``autograder/templates`` (see ``setup.py``). Rendering is strict: an
undefined variable is an error, not an empty string, so a template and the
code that fills it cannot drift apart silently.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

from autograder.layout import ROOT


class TemplateError(Exception):
    """The templates folder is missing, or a template failed to render."""


def template_dir() -> Path:
    """The folder holding the templates: the installed copy, else the checkout's."""
    for candidate in (Path(__file__).resolve().parents[1] / "templates", ROOT / "templates"):
        if candidate.is_dir():
            return candidate
    raise TemplateError(f"no release templates beside the package or at {ROOT / 'templates'}; "
                        "reinstall torchgrade")


@functools.cache
def environment() -> jinja2.Environment:
    """The shared, strict environment: no autoescaping (the outputs are not HTML)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir()),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render(name: str, **context: Any) -> str:
    """Renders the template ``name`` (a path below ``templates/``) with ``context``.

    Raises:
        TemplateError: the template is missing or uses a name not in ``context``.
    """
    try:
        return environment().get_template(name).render(**context)
    except jinja2.TemplateNotFound as error:
        raise TemplateError(f"missing release template {error.name!r} in {template_dir()}"
                            ) from error
    except jinja2.UndefinedError as error:
        raise TemplateError(f"template {name}: {error.message}") from error
