"""The dashboard's period and scope: one form and one window builder, shared by the page, its CSV
exports and the summary API.

A period is a range of local dates [from, to): `to` is the first day not counted, like a digest's
period end. The previous period has the same length and ends where this one starts. The trend has
one bar per day (up to 31 days), per week (up to 26 weeks) or per calendar month (longer), each
bounded by local midnights in the reader's time zone.
"""

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import Organization
from clubs.models import Club
from core.forms import FlatSelect
from feedback.models import ProductArea
from reporting import schedule
from reporting.figures import Scope, Window, figures_cache_key, figures_cached, figures_compute
from reporting.models import ALL_SECTIONS, Section

DEFAULT_DAYS = 12 * 7
MAX_DAYS = 2 * 366  # "at most two years", leap days included
DAILY_MAX_DAYS = 31
WEEKLY_MAX_DAYS = 26 * 7
MAX_IDS = 100
# Figures are computed over up to two years of requests, votes and events: a few seconds at full
# size. The page, its exports and the API reuse them for a few minutes (as digests do).
FIGURES_CACHE_SECONDS = 300
MAX_ID = 2**31 - 1
# Far enough from the calendar's ends that the previous period and the trend never overflow.
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


class Granularity:
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def trend_granularity(start: dt.date, end: dt.date) -> str:
    days = (end - start).days
    if days <= DAILY_MAX_DAYS:
        return Granularity.DAY
    if days <= WEEKLY_MAX_DAYS:
        return Granularity.WEEK
    return Granularity.MONTH


def trend_dates(start: dt.date, end: dt.date) -> list[dt.date]:
    """The local dates bounding the trend's buckets, `start` first and `end` last; the last bucket
    may be shorter (a week or month cut by the period's end). Months follow the calendar."""
    granularity = trend_granularity(start, end)
    bounds = [start]
    if granularity == Granularity.MONTH:
        day = start.replace(day=1)
        while True:
            day = (day + dt.timedelta(days=32)).replace(day=1)
            if day >= end:
                break
            bounds.append(day)
    else:
        step = dt.timedelta(days=1 if granularity == Granularity.DAY else 7)
        day = start + step
        while day < end:
            bounds.append(day)
            day += step
    bounds.append(end)
    return bounds


def dashboard_window(
    start_date: dt.date,
    end_date: dt.date,
    tz: zoneinfo.ZoneInfo | dt.tzinfo,
    *,
    waiting_days: int = 7,
    today: dt.date | None = None,
) -> Window:
    """The figures' Window for local dates [start_date, end_date) in `tz`: the previous period of
    the same length just before, and the trend's bucket bounds at local midnights."""
    if not start_date < end_date:
        raise ValueError("start_date must come before end_date")
    previous = start_date - (end_date - start_date)
    start, end = schedule.local_bounds(tz, start_date, end_date)
    previous_start, _ = schedule.local_bounds(tz, previous, start_date)
    bounds = [schedule.local_bounds(tz, day, day)[0] for day in trend_dates(start_date, end_date)]
    return Window(
        start=start,
        end=end,
        previous_start=previous_start,
        trend_bounds=bounds,
        waiting_days=waiting_days,
        # Revenue at risk is reckoned from today (renewals within 90 days), or from the period's
        # end when the whole period lies in the past.
        today=min(today or timezone.localdate(timezone=tz), end_date),
    )


def default_dates(tz) -> tuple[dt.date, dt.date]:
    """The last 12 weeks, today included."""
    end = timezone.localdate(timezone=tz) + dt.timedelta(days=1)
    return end - dt.timedelta(days=DEFAULT_DAYS), end


# The form ---------------------------------------------------------------------------------------


class FlatSelectMultiple(FlatSelect, forms.SelectMultiple):
    """FlatSelect's fast rendering, with several values."""

    def __init__(self, attrs=None, choices=()):
        super().__init__({**(attrs or {}), "multiple": True}, choices)


class IdListField(forms.Field):
    """Ids typed as "12, 345 678" or sent as repeated parameters; at most MAX_IDS, each a
    positive 32-bit integer."""

    widget = forms.TextInput

    def to_python(self, value) -> list[int]:
        if value in (None, "", []):
            return []
        parts = value if isinstance(value, list | tuple) else [value]
        tokens = [t for part in parts for t in re.split(r"[\s,;]+", str(part)) if t]
        if len(tokens) > MAX_IDS:
            raise ValidationError(
                ngettext("Give at most %(max)d id.", "Give at most %(max)d ids.", MAX_IDS) % {"max": MAX_IDS},
                code="too_many",
            )
        ids = []
        for token in tokens:
            if not (token.isascii() and token.isdigit() and len(token) <= 10 and 0 < int(token) <= MAX_ID):
                raise ValidationError(
                    _("“%(value)s” is not an id: give whole numbers separated by commas."),
                    params={"value": token[:20]},
                    code="invalid",
                )
            ids.append(int(token))
        return sorted(set(ids))


class IdListInput(forms.TextInput):
    """Accepts both `?organizations=1,2` and `?organizations=1&organizations=2`."""

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):
            values = data.getlist(name)
            return ",".join(str(v) for v in values) if values else None
        value = data.get(name)
        return ",".join(str(v) for v in value) if isinstance(value, list | tuple) else value

    def format_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return super().format_value(value)


class DashboardForm(forms.Form):
    """The dashboard's GET parameters: from, to, areas, segments, organizations, clubs, sections,
    waiting_days. Every parameter is optional; missing dates mean the last 12 weeks."""

    to = forms.DateField(
        label=_("To (not included)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The period ends the day before this date."),
    )
    areas = IdListField(label=_("Product areas"), required=False, widget=FlatSelectMultiple)
    segments = forms.MultipleChoiceField(
        label=_("Segments"), required=False, choices=Organization.Segment.choices, widget=FlatSelectMultiple
    )
    organizations = IdListField(
        label=_("Organizations (ids)"),
        required=False,
        widget=IdListInput(attrs={"inputmode": "numeric", "placeholder": "12, 345", "autocomplete": "off"}),
        help_text=_("Organization ids separated by commas; the company dossier shows each one's id."),
    )
    clubs = IdListField(label=_("Clubs"), required=False, widget=FlatSelectMultiple)
    sections = forms.MultipleChoiceField(
        label=_("Sections"), required=False, choices=Section.choices, widget=forms.CheckboxSelectMultiple
    )
    waiting_days = forms.IntegerField(
        label=_("Waiting longer than (days)"),
        required=False,
        min_value=1,
        max_value=365,
        initial=7,
        widget=forms.NumberInput(attrs={"placeholder": "7"}),
    )

    def __init__(self, data=None, *, tz=None, areas=None, clubs=None, **kwargs):
        """`areas` and `clubs`: (id, name) pairs already read, to offer and check against (one
        query each otherwise)."""
        super().__init__(data, **kwargs)
        self.tz = tz or timezone.get_current_timezone()
        start, end = default_dates(self.tz)
        self.fields = {
            "from": forms.DateField(
                label=_("From"),
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                initial=start,
            ),
            **self.fields,
        }
        self.fields["to"].initial = end
        self.area_choices = list(areas) if areas is not None else _area_choices()
        self.club_choices = list(clubs) if clubs is not None else _club_choices()
        self.fields["areas"].widget.choices = self.area_choices
        self.fields["clubs"].widget.choices = self.club_choices
        self.organization_names: dict[int, str] = {}

    def clean_areas(self):
        unknown = self._unknown(self.cleaned_data["areas"], {pk for pk, _name in self.area_choices})
        if unknown:
            raise ValidationError(
                ngettext("Unknown product area: %(ids)s.", "Unknown product areas: %(ids)s.", len(unknown))
                % {"ids": ", ".join(map(str, unknown))},
                code="unknown",
            )
        return self.cleaned_data["areas"]

    def clean_clubs(self):
        unknown = self._unknown(self.cleaned_data["clubs"], {pk for pk, _name in self.club_choices})
        if unknown:
            raise ValidationError(
                ngettext("Unknown club: %(ids)s.", "Unknown clubs: %(ids)s.", len(unknown))
                % {"ids": ", ".join(map(str, unknown))},
                code="unknown",
            )
        return self.cleaned_data["clubs"]

    def clean_organizations(self):
        ids = self.cleaned_data["organizations"]
        if ids:
            self.organization_names = dict(Organization.objects.filter(pk__in=ids).values_list("pk", "name"))
        unknown = self._unknown(ids, set(self.organization_names))
        if unknown:
            raise ValidationError(
                ngettext("Unknown organization id: %(ids)s.", "Unknown organization ids: %(ids)s.", len(unknown))
                % {"ids": ", ".join(map(str, unknown))},
                code="unknown",
            )
        return ids

    @staticmethod
    def _unknown(ids: list[int], known: set[int]) -> list[int]:
        return [pk for pk in ids if pk not in known]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        default_start, default_end = default_dates(self.tz)
        start, end = data.get("from"), data.get("to")
        if start is None and end is None:
            start, end = default_start, default_end
        elif start is None:
            start = end - dt.timedelta(days=DEFAULT_DAYS)
        elif end is None:
            end = min(start + dt.timedelta(days=DEFAULT_DAYS), max(default_end, start + dt.timedelta(days=1)))
        if not (FIRST_DAY <= start <= LAST_DAY and FIRST_DAY <= end <= LAST_DAY):
            raise ValidationError(
                _("Choose dates between %(first)s and %(last)s."),
                params={"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
                code="out_of_range",
            )
        if start >= end:
            raise ValidationError(_("The start date must come before the end date."), code="order")
        if (end - start).days > MAX_DAYS:
            raise ValidationError(_("Choose a period of at most two years."), code="too_long")
        data["from"], data["to"] = start, end
        return data


def _area_choices() -> list[tuple[int, str]]:
    return list(ProductArea.objects.order_by("name", "pk").values_list("pk", "name"))


def _club_choices() -> list[tuple[int, str]]:
    return list(Club.objects.order_by("is_archived", "name", "pk").values_list("pk", "name"))


def dashboard_form(data, *, tz=None, areas=None, clubs=None) -> DashboardForm:
    """The bound form for a query string (a QueryDict, or a plain dict for the API).

    Without dates it is filled with the default period, so the page shows the dates it uses."""
    data = data if data is not None else {}
    if not data.get("from") and not data.get("to"):
        start, end = default_dates(tz or timezone.get_current_timezone())
        data = data.copy()
        data["from"], data["to"] = start.isoformat(), end.isoformat()
    return DashboardForm(data, tz=tz, areas=areas, clubs=clubs)


@dataclass(frozen=True)
class DashboardQuery:
    start_date: dt.date
    end_date: dt.date  # not included
    granularity: str
    scope: Scope
    window: Window
    sections: tuple[str, ...]


def dashboard_query(form: DashboardForm) -> DashboardQuery:
    """What to compute: the form's choices when valid, otherwise the defaults (last 12 weeks,
    everything). Call `form.is_valid()` first."""
    valid = form.is_bound and form.is_valid()
    data = form.cleaned_data if valid else {}
    if valid:
        start, end = data["from"], data["to"]
    else:
        start, end = default_dates(form.tz)
    scope = Scope(
        area_ids=tuple(data.get("areas") or ()),
        segments=tuple(sorted(data.get("segments") or ())),
        organization_ids=tuple(data.get("organizations") or ()),
        club_ids=tuple(data.get("clubs") or ()),
    )
    sections = tuple(s for s in ALL_SECTIONS if s in (data.get("sections") or ALL_SECTIONS))
    window = dashboard_window(start, end, form.tz, waiting_days=data.get("waiting_days") or 7)
    return DashboardQuery(start, end, trend_granularity(start, end), scope, window, sections)


def dashboard_figures(query: DashboardQuery) -> dict:
    """`figures_compute` for the query, cached for FIGURES_CACHE_SECONDS under a key made of the
    scope, window and sections. Adds `computed_at` (ISO instant) to say how fresh they are."""
    return figures_cached(_cache_key(query), lambda: _compute(query), timeout=FIGURES_CACHE_SECONDS)


def dashboard_warm() -> str:
    """Recompute the default dashboard (the last 12 weeks, every scope) into the cache.

    Run by beat more often than the cache expires, so the page everyone opens first never waits
    for the figures; any other period or scope is computed on demand and then cached.
    """
    query = dashboard_query(dashboard_form({}, tz=timezone.get_current_timezone()))
    figures = _compute(query)
    cache.set(_cache_key(query), figures, FIGURES_CACHE_SECONDS)
    return figures["computed_at"]


def _compute(query: DashboardQuery) -> dict:
    figures = figures_compute(scope=query.scope, window=query.window, sections=query.sections)
    figures["computed_at"] = timezone.now().isoformat()
    return figures


def _cache_key(query: DashboardQuery) -> str:
    return figures_cache_key("dashboard", scope=query.scope, window=query.window, sections=query.sections)
