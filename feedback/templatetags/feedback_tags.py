import markdown as md
import nh3
from django import template
from django.utils.safestring import mark_safe

from feedback.models import Feedback

register = template.Library()

ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4", "hr"}


@register.filter
def markdown(text: str) -> str:
    """Markdown to HTML, then sanitized by nh3: no script, no style, no event handler."""
    html = md.markdown(text or "", extensions=["fenced_code", "sane_lists"], output_format="html")
    return mark_safe(  # noqa: S308 - nh3 has just sanitized it
        nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}}, link_rel="noopener noreferrer nofollow")
    )


@register.filter
def status_label(value: str) -> str:
    """The reader's word for a stored status value ("declined" → "Declined" / "Refusée")."""
    try:
        return Feedback.Status(value).label
    except ValueError:
        return value  # an unknown value (history written before a status was renamed) is shown as stored


@register.filter
def is_merge_target_of(target, event) -> bool:
    """Whether `target` is the request a merge `event` pointed at (its new_value holds the target's pk)."""
    return target is not None and str(target.pk) == str(event.new_value)
