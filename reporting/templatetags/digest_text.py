"""Plain-text email helpers: a template's loops and conditions leave blank lines behind; the text a
reader gets has none in a row."""

import re

from django import template

register = template.Library()

_BLANK_RUNS = re.compile(r"\n{3,}")


@register.filter(is_safe=False)
def tidy_lines(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row, none at the start or end.

    The signature separator ("-- " on its own line) keeps its trailing space (RFC 3676).
    """
    lines = [line if line == "-- " else line.rstrip() for line in str(text).splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


@register.filter(is_safe=False)
def one_line(text: str) -> str:
    """A quoted text (a decision's public reason, a lesson) on one line, whatever its paragraphs."""
    return " ".join(str(text or "").split())
