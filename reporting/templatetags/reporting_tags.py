"""Formatting for digests and the dashboard: changes, shares, money and bars, in the active language."""

import datetime as dt

from django import template
from django.utils import formats
from django.utils.dateparse import parse_datetime

register = template.Library()


@register.filter
def signed(value) -> str:
    """+3, minus 2 or plus-minus 0, with the language's number format."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    shown = formats.number_format(
        abs(number), decimal_pos=0 if number == int(number) else 1, use_l10n=True, force_grouping=True
    )
    if number > 0:
        return f"+{shown}"
    if number < 0:
        return f"\u2212{shown}"
    return f"\u00b1{shown}"


@register.filter
def num(value, decimals=0) -> str:
    if value is None or value == "":
        return "—"
    try:
        return formats.number_format(float(value), decimal_pos=int(decimals), use_l10n=True, force_grouping=True)
    except (TypeError, ValueError):
        return str(value)


@register.filter
def percent(value) -> str:
    if value is None:
        return "—"
    return formats.number_format(float(value) * 100, decimal_pos=0, use_l10n=True) + "\u00a0%"


@register.filter
def bar(value, maximum) -> int:
    """Width in percent (1 to 100) of a bar for `value` out of `maximum`; 0 when nothing."""
    try:
        value, maximum = float(value), float(maximum)
    except (TypeError, ValueError):
        return 0
    if value <= 0 or maximum <= 0:
        return 0
    return max(1, min(100, round(value * 100 / maximum)))


@register.filter
def max_of(lines, key="count") -> float:
    return max((float(line.get(key) or 0) for line in lines or []), default=0)


@register.filter
def iso_date(value):
    """An ISO datetime string from the stored figures, as an aware datetime for |date."""
    if not value:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value
    parsed = parse_datetime(value)
    return parsed if parsed is not None else dt.date.fromisoformat(value)


@register.filter
def remaining(value) -> int:
    """100 minus a bar width: the empty cell beside it."""
    try:
        return max(0, 100 - int(value))
    except (TypeError, ValueError):
        return 100
