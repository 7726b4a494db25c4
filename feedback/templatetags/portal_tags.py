"""What a portal card shows: a plain-text excerpt of a request and, when the policy allows, who asked."""

import html
import re

import markdown as md
import nh3
from django import template
from django.utils.text import Truncator

from feedback.models import Feedback
from feedback.policy import feedback_is_own_company

register = template.Library()

_SPACES = re.compile(r"\s+")


@register.filter
def plain_excerpt(text: str, length: int = 160) -> str:
    """Markdown to plain text (no markup, no link targets), on one line, cut at `length` characters.
    The template escapes the result as any other text."""
    rendered = md.markdown(text or "", extensions=["fenced_code", "sane_lists"], output_format="html")
    plain = html.unescape(nh3.clean(rendered, tags=set()))
    return Truncator(_SPACES.sub(" ", plain).strip()).chars(int(length))


@register.filter
def author_shown_to(feedback, user):
    """The request's author for staff and for the company that asked; None for any other company,
    which never learns who asked (feedback.policy: the detail page and the API hide it the same way)."""
    return feedback.author if feedback_is_own_company(user=user, feedback=feedback) else None


@register.simple_tag
def importance_choices() -> list[tuple[str, str]]:
    """The importances a client may give a vote, in the reader's language."""
    return list(Feedback.Importance.choices)
