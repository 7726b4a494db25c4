"""The reporting dashboard (/reports/) and the CSV export of each of its tables.

Thin: the form and the window come from reporting.dashboard (shared with the summary API), the
figures from reporting.figures. Each table is built once, here, as plain rows: the page prints
them (text already formatted in the reader's language, no per-cell template logic) and the CSV
export writes the same rows with raw values, so the two never disagree.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_GET

from core.permissions import staff_required
from reporting.dashboard import (
    DashboardForm,
    DashboardQuery,
    Granularity,
    dashboard_figures,
    dashboard_form,
    dashboard_query,
    trend_dates,
)
from reporting.figures import figures_labelled
from reporting.models import Section
from reporting.policy import Action, reporting_require
from reporting.templatetags.reporting_tags import num, signed
from roadmap.views.staff import csv_cell

# Cell kinds: how a value is shown on the page (and aligned); the CSV always gets the raw value.
TEXT, INT, DELTA, HOURS, MONEY, DATE, DATETIME, BOOL = "text", "int", "delta", "hours", "money", "date", "dt", "bool"
NUMERIC = {INT, DELTA, HOURS, MONEY}


@dataclass
class Table:
    key: str  # the export's slug
    section: str
    title: str
    columns: list[tuple[str, str]]  # (header, kind)
    rows: list[dict] = field(default_factory=list)  # {"href": str | None, "values": [raw, ...]}
    empty: str = ""

    def add(self, href: str | None, *values) -> None:
        self.rows.append({"href": href, "values": list(values)})


# Which tables exist, in page order, with the section they belong to. An unknown slug is a 404.
TABLES: dict[str, str] = {
    "incoming-trend": Section.INCOMING,
    "incoming-area": Section.INCOMING,
    "incoming-kind": Section.INCOMING,
    "incoming-segment": Section.INCOMING,
    "rising-requests": Section.RISING,
    "rising-requests-revenue": Section.RISING,
    "rising-items": Section.RISING,
    "rising-items-revenue": Section.RISING,
    "decisions-status": Section.DECISIONS,
    "decisions-planned": Section.DECISIONS,
    "decisions-shipped": Section.DECISIONS,
    "decisions-declined": Section.DECISIONS,
    "decisions-not-told": Section.DECISIONS,
    "decisions-roadmap": Section.DECISIONS,
    "responsiveness-area": Section.RESPONSIVENESS,
    "responsiveness-assignee": Section.RESPONSIVENESS,
    "waiting": Section.RESPONSIVENESS,
    "roadmap-moved": Section.ROADMAP,
    "roadmap-releases": Section.ROADMAP,
    "roadmap-outcomes": Section.ROADMAP,
    "clubs-meetings": Section.CLUBS,
    "action-items": Section.CLUBS,
}


class _Urls:
    """URLs by id without a `reverse` per row: reverse once with a marker id, then substitute."""

    MARK = 987654321

    def __init__(self):
        self._patterns: dict[str, str] = {}

    def __call__(self, name: str, pk) -> str | None:
        if pk is None:
            return None
        if name not in self._patterns:
            self._patterns[name] = reverse(name, args=[self.MARK])
        return self._patterns[name].replace(str(self.MARK), str(int(pk)), 1)


def _local_date(value) -> dt.date | None:
    """An ISO instant of the figures as the reader's local date."""
    if not value:
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if parsed is None:
        return dt.date.fromisoformat(value)
    return timezone.localtime(parsed).date() if timezone.is_aware(parsed) else parsed.date()


def _local_datetime(value) -> dt.datetime | None:
    parsed = parse_datetime(value) if isinstance(value, str) and value else None
    return timezone.localtime(parsed) if parsed and timezone.is_aware(parsed) else parsed


def dashboard_tables(figures: dict, query: DashboardQuery) -> dict[str, Table]:
    """Every table of the chosen sections, keyed by its export slug, from labelled figures."""
    url = _Urls()
    inbox = reverse("feedback:triage_inbox")
    last_day = query.end_date - dt.timedelta(days=1)
    period = {"created_from": query.start_date.isoformat(), "created_to": last_day.isoformat()}

    def inbox_link(**params) -> str:
        return f"{inbox}?{urlencode({**params, **period})}"

    change = [
        (_("This period"), INT),
        (_("Previous period"), INT),
        (pgettext("dashboard column: difference", "Change"), DELTA),
    ]
    tables: dict[str, Table] = {}

    if "incoming" in figures:
        inc = figures["incoming"]
        t = Table(
            "incoming-trend",
            Section.INCOMING,
            _("New requests over time"),
            [
                (pgettext("dashboard column: first day", "From"), DATE),
                (pgettext("dashboard column: last day", "To"), DATE),
                (_("New requests"), INT),
            ],
            empty=_("No request in this period."),
        )
        bounds = trend_dates(query.start_date, query.end_date)
        for i, bucket in enumerate(inc["trend"]):
            first, last = bounds[i], bounds[i + 1] - dt.timedelta(days=1)
            href = f"{inbox}?{urlencode({'created_from': first.isoformat(), 'created_to': last.isoformat()})}"
            t.add(href, first, last, bucket["count"])
        tables[t.key] = t
        t = Table(
            "incoming-area",
            Section.INCOMING,
            _("New requests by product area"),
            [(_("Product area"), TEXT), *change],
            empty=_("No request in this period."),
        )
        for line in inc["by_area"]:
            href = inbox_link(product_area=line["id"]) if line["id"] else None
            t.add(href, line["label"], line["current"], line["previous"], line["delta"])
        tables[t.key] = t
        t = Table(
            "incoming-kind",
            Section.INCOMING,
            _("New requests by kind"),
            [(_("Kind"), TEXT), *change],
            empty=_("No request in this period."),
        )
        for line in inc["by_kind"]:
            t.add(inbox_link(kind=line["key"]), line["label"], line["current"], line["previous"], line["delta"])
        tables[t.key] = t
        t = Table(
            "incoming-segment",
            Section.INCOMING,
            _("New requests by segment"),
            [(_("Segment"), TEXT), *change],
            empty=_("No request in this period."),
        )
        for line in inc["by_segment"]:
            href = inbox_link(segment=line["key"]) if line["key"] else None
            t.add(href, line["label"], line["current"], line["previous"], line["delta"])
        tables[t.key] = t

    if "rising" in figures:
        ris = figures["rising"]
        columns = [
            (_("Votes in the period"), INT),
            (_("Organizations"), INT),
            (_("Revenue"), MONEY),
            (_("Revenue at risk"), MONEY),
        ]
        for key, lines, title, name, what in (
            ("rising-requests", "requests_by_votes", _("Requests that gained the most votes"), "feedback:triage_detail", _("Request")),
            ("rising-requests-revenue", "requests_by_revenue", _("Requests that gained the most revenue"), "feedback:triage_detail", _("Request")),
            ("rising-items", "items_by_votes", _("Roadmap items that gained the most votes"), "roadmap:item", _("Roadmap item")),
            ("rising-items-revenue", "items_by_revenue", _("Roadmap items that gained the most revenue"), "roadmap:item", _("Roadmap item")),
        ):  # fmt: skip
            t = Table(key, Section.RISING, title, [(what, TEXT), *columns], empty=_("No vote in this period."))
            for line in ris[lines]:
                t.add(
                    url(name, line["id"]),
                    line.get("title", ""),
                    line["votes"],
                    line["organizations"],
                    line["revenue"],
                    line["revenue_at_risk"],
                )
            tables[key] = t

    if "decisions" in figures:
        dec = figures["decisions"]
        t = Table(
            "decisions-status",
            Section.DECISIONS,
            _("Status changes"),
            [(_("New status"), TEXT), *change],
            empty=_("No status change in this period."),
        )
        for line in dec["by_status"]:
            t.add(None, line["label"], line["current"], line["previous"], line["delta"])
        tables[t.key] = t
        decided_columns = [
            (_("Request"), TEXT),
            (_("Decided on"), DATE),
            (_("Public reason"), TEXT),
            (_("Requester and voters told"), BOOL),
        ]
        for key, title in (
            ("planned", _("Planned")),
            ("shipped", _("Shipped")),
            ("declined", _("Declined, with the reason given")),
        ):
            t = Table(f"decisions-{key}", Section.DECISIONS, title, decided_columns, empty=_("None in this period."))
            for line in dec[key]:
                t.add(
                    url("feedback:triage_detail", line["id"]),
                    line["title"],
                    _local_date(line["at"]),
                    line["public_message"],
                    line["told"],
                )
            tables[t.key] = t
        t = Table(
            "decisions-not-told",
            Section.DECISIONS,
            _("Decided, but the requester and voters were not told"),
            [(_("Request"), TEXT), (_("Decision"), TEXT), (_("Decided on"), DATE)],
            empty=_("Everyone was told."),
        )
        for line in dec["not_told"]:
            t.add(url("feedback:triage_detail", line["id"]), line["title"], line["label"], _local_date(line["at"]))
        tables[t.key] = t
        t = Table(
            "decisions-roadmap",
            Section.DECISIONS,
            _("Decisions recorded in the decision log"),
            [(_("Decision"), TEXT), (pgettext("dashboard column", "Count"), INT)],
            empty=_("None in this period."),
        )
        decisions_url = reverse("roadmap:decisions")
        for line in dec["roadmap_decisions"]:
            href = f"{decisions_url}?{urlencode({'kind': line['key'], 'date_from': query.start_date.isoformat(), 'date_to': last_day.isoformat()})}"
            t.add(href, line["label"], line["count"])
        tables[t.key] = t

    if "responsiveness" in figures:
        resp = figures["responsiveness"]
        waiting_header = _("Waiting longer than %(days)d days") % {"days": resp["waiting_days"]}
        columns = [
            (_("Answered in the period"), INT),
            (_("Median time to first response (hours)"), HOURS),
            (waiting_header, INT),
            (_("Waiting since"), DATE),
        ]
        for key, medians, waiting, what, title, param in (
            ("responsiveness-area", "by_area", "waiting_by_area", _("Product area"), _("By product area"), "product_area"),
            ("responsiveness-assignee", "by_assignee", "waiting_by_assignee", _("Assignee"), _("By assignee"), "assignee"),
        ):  # fmt: skip
            t = Table(key, Section.RESPONSIVENESS, title, [(what, TEXT), *columns], empty=_("Nothing to show."))
            merged: dict = {}
            for line in resp[medians]:
                merged.setdefault(line["id"], {"label": line["label"]})["median"] = line
            for line in resp[waiting]:
                merged.setdefault(line["id"], {"label": line["label"]})["waiting"] = line
            order = sorted(
                merged.items(),
                key=lambda kv: (-(kv[1].get("waiting") or {}).get("count", 0), -(kv[1].get("median") or {}).get("answered", 0), kv[1]["label"]),
            )  # fmt: skip
            for pk, m in order:
                median, wait = m.get("median") or {}, m.get("waiting") or {}
                if pk:
                    href = f"{inbox}?{urlencode({param: pk})}"
                elif param == "assignee":
                    href = f"{inbox}?unassigned=on"
                else:
                    href = None
                t.add(
                    href,
                    m["label"],
                    median.get("answered", 0),
                    median.get("median_hours"),
                    wait.get("count", 0),
                    _local_date(wait.get("oldest")),
                )
            tables[key] = t
        area_labels = {x["id"]: x["label"] for x in resp["waiting_by_area"]}
        people = {x["id"]: x["label"] for x in resp["waiting_by_assignee"]}
        t = Table(
            "waiting",
            Section.RESPONSIVENESS,
            _("The requests waiting longest for a first response"),
            [(_("Request"), TEXT), (_("Created"), DATE), (_("Product area"), TEXT), (_("Assignee"), TEXT)],
            empty=_("No request is waiting."),
        )
        for line in resp["oldest_waiting"]:
            t.add(
                url("feedback:triage_detail", line["id"]),
                line["title"],
                _local_date(line["created_at"]),
                area_labels.get(line["area_id"], "—"),
                people.get(line["assignee_id"], "—"),
            )
        tables[t.key] = t

    if "roadmap" in figures:
        rm = figures["roadmap"]
        t = Table(
            "roadmap-moved",
            Section.ROADMAP,
            _("Roadmap items that moved"),
            [
                (_("Roadmap item"), TEXT),
                (pgettext("roadmap status moved", "From"), TEXT),
                (pgettext("roadmap status moved", "To"), TEXT),
                (pgettext("dashboard column: date", "On"), DATE),
            ],
            empty=_("No item moved in this period."),
        )
        for line in rm["moved"]:
            t.add(
                url("roadmap:item", line["id"]),
                line["title"],
                line["old_label"],
                line["new_label"],
                _local_date(line["at"]),
            )
        tables[t.key] = t
        t = Table(
            "roadmap-releases",
            Section.ROADMAP,
            _("Releases published"),
            [(_("Release"), TEXT), (_("Published on"), DATE), (_("Items"), INT)],
            empty=_("No release in this period."),
        )
        for line in rm["releases"]:
            t.add(url("roadmap:release", line["id"]), line["title"], _local_date(line["published_at"]), line["items"])
        tables[t.key] = t
        t = Table(
            "roadmap-outcomes",
            Section.ROADMAP,
            _("Outcomes recorded"),
            [(_("Roadmap item"), TEXT), (_("Outcome"), TEXT), (_("Lesson"), TEXT), (_("Recorded on"), DATE)],
            empty=_("No outcome recorded in this period."),
        )
        for line in rm["outcomes"]:
            t.add(
                url("roadmap:item", line["id"]), line["title"], line["label"], line["lesson"], _local_date(line["at"])
            )
        tables[t.key] = t

    if "clubs" in figures:
        clubs = figures["clubs"]
        t = Table(
            "clubs-meetings",
            Section.CLUBS,
            _("Club meetings held and upcoming"),
            [
                (_("Meeting"), TEXT),
                (_("Club"), TEXT),
                (_("Starts"), DATETIME),
                (pgettext_lazy("meeting", "When"), TEXT),
                (_("Attended"), INT),
                (_("Invited"), INT),
                (pgettext("dashboard column: people who said yes", "Coming"), INT),
                (_("Top voted topics"), TEXT),
            ],
            empty=_("No meeting."),
        )
        for when, lines in (
            (pgettext("meeting", "Held"), clubs["held"]),
            (pgettext("meeting", "Upcoming"), clubs["upcoming"]),
        ):
            for line in lines:
                t.add(
                    url("clubs:meeting", line["id"]),
                    line["title"],
                    line["club"],
                    _local_datetime(line["starts_at"]),
                    when,
                    line["attended"],
                    line["invited"],
                    line["yes"],
                    "; ".join(line["top_topics"]),
                )
        tables[t.key] = t
        t = Table(
            "action-items",
            Section.CLUBS,
            _("Action items due within two weeks or late"),
            [
                (_("Action item"), TEXT),
                (_("Club"), TEXT),
                (pgettext("dashboard column: date", "Due"), DATE),
                (_("Owner"), TEXT),
                (pgettext("dashboard column: action item", "Late"), BOOL),
            ],
            empty=_("No action item due."),
        )
        for line in clubs["action_items"]:
            t.add(
                url("clubs:club", line["club_id"]),
                line["title"],
                line["club"],
                dt.date.fromisoformat(line["due_date"]) if line["due_date"] else None,
                line["owner"] or "—",
                line["late"],
            )
        tables[t.key] = t
    return tables


# Display ----------------------------------------------------------------------------------------


def _display(value, kind: str) -> str:
    if value is None or value == "":
        return "—"
    if kind == INT:
        return num(value)
    if kind == DELTA:
        return signed(value)
    if kind == HOURS:
        return num(value, 1)
    if kind == MONEY:
        return num(value)
    if kind == DATE:
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if kind == DATETIME:
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if kind == BOOL:
        return _("yes") if value else _("no")
    return str(value)


def _for_page(table: Table) -> dict:
    """The table for the page, its body written here from plain rows (escaped), not by a template
    loop per cell: up to a few hundred cells per page."""
    kinds = [kind for _header, kind in table.columns]
    classes = [' class="num"' if kind in NUMERIC else "" for kind in kinds]
    lines = []
    for row in table.rows:
        cells = [escape(_display(value, kind)) for value, kind in zip(row["values"], kinds, strict=True)]
        first = f'<a href="{escape(row["href"])}">{cells[0]}</a>' if row["href"] else cells[0]
        rest = "".join(f"<td{css}>{cell}</td>" for cell, css in zip(cells[1:], classes[1:], strict=True))
        lines.append(f'<tr><th scope="row">{first}</th>{rest}</tr>')
    return {
        "key": table.key,
        "title": table.title,
        "empty": table.empty,
        "headers": [(header, "num" if kind in NUMERIC else "") for header, kind in table.columns],
        "has_rows": bool(table.rows),
        "body": mark_safe("\n".join(lines)),  # noqa: S308 (every value escaped above)
    }


def _trend_label(day: dt.date, granularity: str) -> str:
    if granularity == Granularity.MONTH:
        return formats.date_format(day, "YEAR_MONTH_FORMAT")
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _chart_data(figures: dict, query: DashboardQuery) -> dict:
    """What the charts draw (the same numbers as the tables below them)."""
    data: dict = {}
    if "incoming" in figures:
        inc = figures["incoming"]
        bounds = trend_dates(query.start_date, query.end_date)
        data["trend"] = {
            "label": _("New requests"),
            "labels": [_trend_label(bounds[i], query.granularity) for i in range(len(inc["trend"]))],
            "values": [bucket["count"] for bucket in inc["trend"]],
        }
        data["areas"] = {
            "labels": [line["label"] for line in inc["by_area"]],
            "current": [line["current"] for line in inc["by_area"]],
            "previous": [line["previous"] for line in inc["by_area"]],
            "current_label": _("This period"),
            "previous_label": _("Previous period"),
        }
    return data


def _canonical_params(query: DashboardQuery) -> dict:
    """The query as parameters, dates included, so an export link means the same period later."""
    params: dict = {"from": query.start_date.isoformat(), "to": query.end_date.isoformat()}
    scope = query.scope
    if scope.area_ids:
        params["areas"] = ",".join(map(str, scope.area_ids))
    if scope.segments:
        params["segments"] = list(scope.segments)
    if scope.organization_ids:
        params["organizations"] = ",".join(map(str, scope.organization_ids))
    if scope.club_ids:
        params["clubs"] = ",".join(map(str, scope.club_ids))
    if len(query.sections) != len(Section.values):
        params["sections"] = list(query.sections)
    if query.window.waiting_days != 7:
        params["waiting_days"] = query.window.waiting_days
    return params


SECTION_TITLES = {
    Section.INCOMING: gettext_lazy("Incoming requests"),
    Section.RISING: gettext_lazy("Rising demand"),
    Section.DECISIONS: gettext_lazy("Decisions"),
    Section.RESPONSIVENESS: gettext_lazy("Responsiveness"),
    Section.ROADMAP: pgettext_lazy("digest section", "Roadmap"),
    Section.CLUBS: pgettext_lazy("digest section", "Clubs"),
}


def _load(request) -> tuple[DashboardForm, DashboardQuery, dict]:
    reporting_require(user=request.user, action=Action.VIEW)
    form = dashboard_form(request.GET, tz=timezone.get_current_timezone())
    form.is_valid()
    query = dashboard_query(form)
    return form, query, figures_labelled(dashboard_figures(query))


@staff_required
@require_GET
def index(request):
    form, query, figures = _load(request)
    tables = dashboard_tables(figures, query)
    export_query = urlencode(_canonical_params(query), doseq=True)
    sections = [
        {
            "key": section,
            "title": SECTION_TITLES[section],
            "figures": figures[section],
            "tables": [_for_page(t) for t in tables.values() if t.section == section],
        }
        for section in query.sections
    ]
    last_day = query.end_date - dt.timedelta(days=1)
    previous_start = query.start_date - (query.end_date - query.start_date)
    return render(
        request,
        "reporting/dashboard.html",
        {
            "form": form,
            "query": query,
            "last_day": last_day,
            "previous_start": previous_start,
            "previous_last_day": query.start_date - dt.timedelta(days=1),
            "days": (query.end_date - query.start_date).days,
            "figures": figures,
            "sections": sections,
            "export_query": export_query,
            "computed_at": _local_datetime(figures.get("computed_at")),
            "data": _chart_data(figures, query),
            "organizations": sorted(form.organization_names.items()) if form.is_valid() else [],
        },
        status=200 if form.is_valid() else 400,
    )


@staff_required
@require_GET
def export(request, table):
    if table not in TABLES:
        raise Http404
    reporting_require(user=request.user, action=Action.VIEW)
    form = dashboard_form(request.GET, tz=timezone.get_current_timezone())
    if not form.is_valid():
        messages.error(request, _("Fix the period and scope before exporting."))
        return redirect(f"{reverse('reporting:index')}?{request.GET.urlencode()}")
    query = dashboard_query(form)
    if TABLES[table] not in query.sections:
        # The section is not part of this query: export it anyway, for the same period and scope.
        query = dashboard_query(dashboard_form({**_canonical_params(query), "sections": [TABLES[table]]}, tz=form.tz))
    figures = figures_labelled(dashboard_figures(query))
    data = dashboard_tables(figures, query)[table]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [csv_cell(header) for header, _kind in data.columns] + [pgettext("dashboard column: web address", "Link")]
    )
    base = request.build_absolute_uri("/")[:-1]
    for row in data.rows:
        writer.writerow([_csv_value(v) for v in row["values"]] + [base + row["href"] if row["href"] else ""])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    # The name is ASCII only (the slug and ISO dates), so the plain quoted form is RFC 6266's.
    last_day = query.end_date - dt.timedelta(days=1)
    name = f"retour-{table}-{query.start_date.isoformat()}-{last_day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _csv_value(value) -> str | int | float:
    """Numbers stay numbers (a negative change is not a formula); text is neutralized."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return csv_cell(value)
