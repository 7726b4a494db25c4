"""The reports dashboard (/reports/) and its CSV exports, through HTTP.

The world: March 2025 (Paris time) as the period, February as the previous one. Acme (enterprise,
120,000) asks three requests and Globex (small business, 45,000) two in March, one more request
lands 30 minutes after the period's end (local midnight), and one in February. Every figure below
is counted by hand from that list.
"""

import csv
import datetime as dt
import io
import json
import re
import zoneinfo
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from feedback.models import Feedback, FeedbackEvent, ProductArea, Vote
from feedback.services import feedback_change_status, vote_cast
from reporting.dashboard import dashboard_window, trend_dates
from tests.factories import OrganizationFactory, client_user, feedback_for

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
PERIOD = {"from": "2025-03-03", "to": "2025-03-31"}
URL = reverse("reporting:index")


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=PARIS)


def _created(feedback: Feedback, when: dt.datetime, *, responded_after_hours: float | None = None) -> None:
    """Move a request (and its author's vote) to `when`; its first response after so many hours."""
    first = when + dt.timedelta(hours=responded_after_hours) if responded_after_hours is not None else None
    Feedback.objects.filter(pk=feedback.pk).update(created_at=when, first_response_at=first)
    Vote.objects.filter(feedback=feedback).update(created_at=when)


@pytest.fixture
def world(org_a, org_b, admin_a, member_a, admin_b, member_b, product_owner):
    org_a.segment, org_b.segment = "enterprise", "small_business"
    org_a.save(update_fields=["segment"])
    org_b.save(update_fields=["segment"])
    billing = ProductArea.objects.create(name="Billing", slug="billing")
    reports = ProductArea.objects.create(name="Reports", slug="reports")
    public = Feedback.Visibility.PUBLIC

    def ask(author, title, area, kind, when, **kwargs):
        feedback = feedback_for(author=author, title=title, product_area=area, kind=kind, visibility=public)
        _created(feedback, when, **kwargs)
        return feedback

    a1 = ask(admin_a, "Invoices in euros", billing, "idea", at("2025-03-05"), responded_after_hours=4)
    a2 = ask(member_a, "Payment fails on Safari", billing, "problem", at("2025-03-10"), responded_after_hours=10)
    a3 = ask(admin_a, "Weekly report by email", reports, "idea", at("2025-03-20"), responded_after_hours=2)
    b1 = ask(admin_b, '=HYPERLINK("http://evil.example","click")', billing, "idea", at("2025-03-12"))
    b2 = ask(member_b, "+cmd|' /C calc'!A0", None, "question", at("2025-03-30", 23, 30))  # last local hour
    after = ask(member_b, "Just after the period", billing, "idea", at("2025-03-31", 0, 30))
    before = ask(member_a, "In February", billing, "idea", at("2025-02-20"))
    # a1 gains two more votes in March: Acme's member and Globex's.
    for user in (member_a, member_b):
        vote = vote_cast(feedback=a1, user=user)
        Vote.objects.filter(pk=vote.pk).update(created_at=at("2025-03-15"))
    # Decisions: a2 declined (with its reason, and told), a3 planned silently (nobody told).
    feedback_change_status(feedback=a2, actor=product_owner, status="declined", public_message="Out of scope for now")
    feedback_change_status(feedback=a3, actor=product_owner, status="planned", notify=False)
    FeedbackEvent.objects.filter(feedback=a2, kind="status").update(
        created_at=at("2025-03-16"), fanned_out_at=at("2025-03-16", 11)
    )
    FeedbackEvent.objects.filter(feedback=a3, kind="status").update(created_at=at("2025-03-22"))
    # The status changes marked a first response now: put them back where the world says.
    _created(a2, at("2025-03-10"), responded_after_hours=10)
    _created(a3, at("2025-03-20"), responded_after_hours=2)
    return {
        "billing": billing,
        "reports": reports,
        "a1": a1,
        "a2": a2,
        "a3": a3,
        "b1": b1,
        "b2": b2,
        "after": after,
        "before": before,
    }


def page_data(response) -> dict:
    match = re.search(rb'<script id="dashboard-data" type="application/json">(.*?)</script>', response.content, re.S)
    assert match, "the chart data is passed with json_script"
    return json.loads(match.group(1))


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


# Access -----------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    for url in (URL, reverse("reporting:export", args=["incoming-area"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_client_users_get_404(login, admin_a, member_b):
    for user in (admin_a, member_b):
        client = login(user)
        assert client.get(URL).status_code == 404
        assert client.get(reverse("reporting:export", args=["incoming-area"])).status_code == 404


def test_contributor_reads_the_dashboard_and_exports(login, contributor, world):
    client = login(contributor)
    response = client.get(URL, PERIOD)
    assert response.status_code == 200
    assert b'data-testid="incoming-total">5<' in response.content
    assert client.get(reverse("reporting:export", args=["incoming-area"]), PERIOD).status_code == 200


# Figures equal a hand count ---------------------------------------------------------------------


def test_figures_equal_a_hand_count(login, product_owner, world):
    response = login(product_owner).get(URL, PERIOD)
    assert response.status_code == 200
    ctx = response.context
    f = ctx["figures"]
    # Incoming: five in March (the one 30 minutes after local midnight is April's), one in February.
    assert f["incoming"]["total"] == {"current": 5, "previous": 1, "delta": 4}
    areas = {line["label"]: (line["current"], line["previous"]) for line in f["incoming"]["by_area"]}
    assert areas == {"Billing": (3, 1), "Reports": (1, 0), "No product area": (1, 0)}
    kinds = {line["key"]: line["current"] for line in f["incoming"]["by_kind"]}
    assert kinds == {"idea": 3, "problem": 1, "question": 1}
    segments = {line["key"]: (line["current"], line["previous"]) for line in f["incoming"]["by_segment"]}
    assert segments == {"enterprise": (3, 1), "small_business": (2, 0)}
    # 28 days: one bar per day; 5 March, 10, 12, 20 and 30 March hold one request each.
    trend = page_data(response)["trend"]
    assert len(trend["values"]) == 28
    assert sum(trend["values"]) == 5
    assert [i for i, n in enumerate(trend["values"]) if n] == [2, 7, 9, 17, 27]
    # Rising: the five authors' votes and two more on a1 in March; one vote in February.
    assert f["rising"]["votes"]["current"] == 7
    assert f["rising"]["votes"]["previous"] == 1
    top = f["rising"]["requests_by_votes"][0]
    assert (top["id"], top["votes"], top["organizations"], top["revenue"]) == (world["a1"].pk, 3, 2, 165000.0)
    # Decisions: a2 declined and told, a3 planned without telling anyone.
    dec = f["decisions"]
    assert (dec["decided"], dec["told"], dec["loop_closure_rate"]) == (2, 1, 0.5)
    assert [line["id"] for line in dec["not_told"]] == [world["a3"].pk]
    assert [(line["id"], line["public_message"]) for line in dec["declined"]] == [
        (world["a2"].pk, "Out of scope for now")
    ]
    # Responsiveness: first responses after 4, 10 and 2 hours in March: median 4 hours.
    assert f["responsiveness"]["median_hours"]["current"] == 4.0
    assert f["responsiveness"]["answered"] == 3
    html = response.content.decode()
    assert 'data-testid="loop-closure-rate">50' in html
    # Each line links to its item.
    assert reverse("feedback:triage_detail", args=[world["a1"].pk]) in html
    assert reverse("feedback:triage_detail", args=[world["a3"].pk]) in html


def test_scope_filters_by_area_segment_and_organization(login, product_owner, world, org_a, org_b):
    client = login(product_owner)
    by_area = client.get(URL, {**PERIOD, "areas": world["billing"].pk}).context["figures"]
    assert by_area["incoming"]["total"]["current"] == 3
    by_segment = client.get(URL, {**PERIOD, "segments": "small_business"}).context["figures"]
    assert by_segment["incoming"]["total"]["current"] == 2
    by_org = client.get(URL, {**PERIOD, "organizations": f"{org_a.pk}"}).context["figures"]
    assert by_org["incoming"]["total"] == {"current": 3, "previous": 1, "delta": 2}
    both = client.get(URL, {**PERIOD, "organizations": [org_a.pk, org_b.pk]})
    assert both.context["figures"]["incoming"]["total"]["current"] == 5
    assert b"Acme" in both.content and b"Globex" in both.content  # the chosen companies are named


def test_sections_can_be_chosen(login, product_owner, world):
    response = login(product_owner).get(URL, {**PERIOD, "sections": ["decisions"]})
    assert [s["key"] for s in response.context["sections"]] == ["decisions"]
    assert b'data-testid="section-incoming"' not in response.content
    assert b'data-testid="section-decisions"' in response.content


def test_default_period_is_the_last_twelve_weeks(login, product_owner):
    response = login(product_owner).get(URL)
    assert response.status_code == 200
    query = response.context["query"]
    assert (query.end_date - query.start_date).days == 84
    assert query.granularity == "week"
    assert len(page_data(response)["trend"]["values"]) == 12


# The window ---------------------------------------------------------------------------------------


def test_window_buckets_and_previous_period():
    march = dashboard_window(dt.date(2025, 3, 3), dt.date(2025, 3, 31), PARIS)
    assert march.start == at("2025-03-03", 0)
    assert march.end == at("2025-03-31", 0)  # summer time began on 30 March: still local midnight
    assert march.previous_start == at("2025-02-03", 0)
    assert len(march.trend_bounds) == 29 and march.trend_bounds[-1] == march.end
    assert len(trend_dates(dt.date(2025, 1, 1), dt.date(2025, 7, 2))) - 1 == 26  # 182 days: weekly
    months = trend_dates(dt.date(2025, 1, 15), dt.date(2025, 8, 1))
    assert months[:3] == [dt.date(2025, 1, 15), dt.date(2025, 2, 1), dt.date(2025, 3, 1)]
    assert months[-1] == dt.date(2025, 8, 1) and len(months) == 8


# Bad input: a clear error and the default figures, never a 500 ----------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2025-13-45", "to": "2025-03-31"}, "Enter a valid date."),
        ({"from": "2025-03-31", "to": "2025-03-03"}, "The start date must come before the end date."),
        ({"from": "2025-03-03", "to": "2025-03-03"}, "The start date must come before the end date."),
        ({"from": "2021-01-01", "to": "2025-03-03"}, "Choose a period of at most two years."),
        ({"from": "0001-01-01", "to": "0001-02-01"}, "Choose dates between"),
        ({"areas": "999999"}, "Unknown product area: 999999."),
        ({"clubs": "424242"}, "Unknown club: 424242."),
        ({"organizations": "7777777, 8888888"}, "Unknown organization ids: 7777777, 8888888."),
        ({"organizations": "99999999999999999999999999"}, "is not an id"),
        ({"areas": "-1"}, "is not an id"),
        ({"segments": "galactic"}, "Select a valid choice."),
        ({"sections": "gossip"}, "Select a valid choice."),
        ({"waiting_days": "9" * 5000}, "Enter a whole number."),
        ({"waiting_days": "0"}, "greater than or equal to 1"),
    ],
)
def test_bad_input_shows_an_error_and_the_default_figures(login, product_owner, params, message):
    response = login(product_owner).get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert b'data-testid="dashboard-errors"' in response.content
    query = response.context["query"]
    assert (query.end_date - query.start_date).days == 84  # the default period
    assert len(query.sections) == 6


@pytest.mark.parametrize("params", [{"from": "2025-03-03\x00"}, {"organizations": "1\x00"}, {"areas\x00": "1"}])
def test_nul_bytes_are_a_400_not_a_500(login, product_owner, params):
    assert login(product_owner).get(URL, params).status_code == 400
    assert login(product_owner).get(reverse("reporting:export", args=["waiting"]), params).status_code == 400


def test_errors_are_translated(login, contributor):
    response = login(contributor).get(URL, {"from": "2025-03-31", "to": "2025-03-03"})  # reads French
    assert response.status_code == 400
    with translation.override("fr"):
        expected = translation.gettext("The start date must come before the end date.")
    assert expected in response.content.decode()
    assert response.context["LANGUAGE_CODE"] == "fr"


# CSV exports ------------------------------------------------------------------------------------


def test_export_matches_the_page_and_neutralizes_formulas(login, product_owner, world):
    client = login(product_owner)
    response = client.get(reverse("reporting:export", args=["rising-requests"]), PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="retour-rising-requests-2025-03-03-2025-03-30.csv"'
    )
    rows = csv_rows(response)
    assert rows[0] == ["Request", "Votes in the period", "Organizations", "Revenue", "Revenue at risk", "Link"]
    by_title = {row[0]: row for row in rows[1:]}
    assert by_title["Invoices in euros"][1:4] == ["3", "2", "165000.0"]
    assert by_title["Invoices in euros"][5].endswith(reverse("feedback:triage_detail", args=[world["a1"].pk]))
    # A title that a spreadsheet would run is written as text.
    assert '\'=HYPERLINK("http://evil.example","click")' in by_title
    assert "'+cmd|' /C calc'!A0" in by_title
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def test_export_of_every_table(login, product_owner, world):
    from reporting.views.dashboard import TABLES

    client = login(product_owner)
    for table in TABLES:
        response = client.get(reverse("reporting:export", args=[table]), PERIOD)
        assert response.status_code == 200, table
        rows = csv_rows(response)
        assert rows[0][-1] == "Link", table


def test_export_numbers_stay_numbers_and_headers_are_translated(login, product_owner, contributor, world):
    rows = csv_rows(login(product_owner).get(reverse("reporting:export", args=["incoming-area"]), PERIOD))
    assert rows[0] == ["Product area", "This period", "Previous period", "Change", "Link"]
    assert rows[1][:4] == ["Billing", "3", "1", "2"]
    french = csv_rows(login(contributor).get(reverse("reporting:export", args=["incoming-area"]), PERIOD))
    with translation.override("fr"):  # the contributor reads French
        assert french[0][:2] == [translation.gettext("Product area"), translation.gettext("This period")]
    # A negative change is a number, not a neutralized formula.
    rows = csv_rows(
        login(product_owner).get(
            reverse("reporting:export", args=["incoming-segment"]), {"from": "2025-03-31", "to": "2025-04-28"}
        )
    )
    enterprise = next(row for row in rows if row[0] == "Enterprise")
    assert enterprise[1:4] == ["0", "3", "-3"]


def test_export_declined_lists_the_reason(login, product_owner, world):
    rows = csv_rows(login(product_owner).get(reverse("reporting:export", args=["decisions-declined"]), PERIOD))
    assert rows[1][0] == "Payment fails on Safari"
    assert rows[1][1] == "2025-03-16"
    assert rows[1][2] == "Out of scope for now"
    not_told = csv_rows(login(product_owner).get(reverse("reporting:export", args=["decisions-not-told"]), PERIOD))
    assert [row[0] for row in not_told[1:]] == ["Weekly report by email"]


def test_unknown_table_is_404(login, product_owner):
    client = login(product_owner)
    assert client.get(reverse("reporting:export", args=["passwords"])).status_code == 404
    assert client.get("/reports/export/incoming-area.xlsx").status_code == 404


def test_export_with_bad_input_goes_back_to_the_page_with_the_error(login, product_owner):
    response = login(product_owner).get(
        reverse("reporting:export", args=["incoming-area"]), {"from": "2025-03-31", "to": "2025-03-03"}, follow=True
    )
    assert response.redirect_chain[0][0].startswith(URL)
    assert b"The start date must come before the end date." in response.content


# Charts -----------------------------------------------------------------------------------------


def test_charts_read_json_script_data_from_static_files(login, product_owner, world):
    response = login(product_owner).get(URL, PERIOD)
    html = response.content.decode()
    data = page_data(response)
    assert data["areas"]["labels"][0] == "Billing"
    assert data["areas"]["current"][0] == 3
    assert '<canvas id="chart-trend"' in html
    # No inline script but the JSON data block; the chart code is a static file.
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert "/static/js/reporting-dashboard.js" in html
    assert " style=" not in html
    # Both are found by the static files finders (chart.js from node_modules, collected as static).
    chart = finders.find("vendor/chartjs/chart.umd.min.js")
    ours = finders.find("js/reporting-dashboard.js")
    assert chart and "Chart" in Path(chart).read_text(encoding="utf-8")[:4000]
    assert ours and 'getElementById("dashboard-data")' in Path(ours).read_text(encoding="utf-8")


def test_csp_header_stays_strict(login, product_owner):
    response = login(product_owner).get(URL)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_subnav_links_every_reports_page(login, product_owner):
    html = login(product_owner).get(URL).content.decode()
    for name in ("index", "subscriptions", "teams", "digests", "organizations"):
        assert f'href="{reverse(f"reporting:{name}")}"' in html


# Speed: a fixed number of queries ----------------------------------------------------------------


def _count(client, params) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(queries)


def _grow(world, org_b, n: int) -> None:
    voters = [client_user(organization=org_b, email=f"grow{n}-{i}@globex.test") for i in range(n)]
    for i in range(n):
        feedback = feedback_for(
            author=voters[i], title=f"Grown {n}-{i}", product_area=world["reports"], visibility="public"
        )
        _created(feedback, at("2025-03-07"), responded_after_hours=i + 1)
    for voter in voters:
        vote = vote_cast(feedback=world["a1"], user=voter)
        Vote.objects.filter(pk=vote.pk).update(created_at=at("2025-03-08"))


# Session and user (2); the area and club choices (2); incoming 2, rising 3, decisions 3,
# responsiveness 3, roadmap 3, clubs 2; the area labels (1). (The first request of a session also
# checks MFA and saves the session: `_count` is called after one request.)
PINNED_QUERIES = 24


def test_query_count_is_pinned_and_does_not_grow(login, product_owner, world, org_b):
    client = login(product_owner)
    client.get(URL, PERIOD)
    first = _count(client, PERIOD)
    assert first == PINNED_QUERIES
    _grow(world, org_b, 8)
    assert _count(client, PERIOD) == first
    # With companies chosen: one more (their names).
    OrganizationFactory(name="Initech")
    assert _count(client, {**PERIOD, "organizations": world["a1"].organization_id}) == first + 1


def test_figures_are_reused_for_a_few_minutes(login, product_owner, world):
    client = login(product_owner)
    client.get(URL, PERIOD)
    cold = _count(client, PERIOD)
    with CaptureQueriesContext(connection) as warm:
        client.get(URL, PERIOD)
    assert len(warm) < cold - 10  # only the session, the choices and the labels


# Phone width --------------------------------------------------------------------------------------


def test_every_table_scrolls_inside_its_box(login, product_owner, world):
    html = login(product_owner).get(URL, PERIOD).content.decode()
    tables = html.count('<table class="data"')
    assert tables > 10
    assert html.count('<div class="table-wrap">\n    <table class="data"') == tables
