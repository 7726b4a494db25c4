"""The figures of a period equal a count made by hand over data made for it: requests in and out of
the period and of the scope (area, segment, organization), votes from companies of known contract
value and renewal, decisions told, silenced and not yet fanned out, first responses and waiting
requests, roadmap moves, releases and outcomes, club meetings and action items. The number of
queries does not grow with the data; over the demo data, figures match an independent ORM count."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization
from clubs.models import ActionItem, AgendaItem, Club, Invitation, Meeting, MeetingVote, VoteResult
from feedback.models import Feedback, FeedbackEvent, ProductArea, Vote
from reporting.figures import Scope, Window, figures_compute, figures_labelled
from roadmap.models import Decision, Release, RoadmapEvent, RoadmapItem, RoadmapLink
from tests.factories import OrganizationFactory, StaffFactory, client_user

UTC = dt.UTC
START, END = dt.datetime(2026, 3, 2, tzinfo=UTC), dt.datetime(2026, 3, 9, tzinfo=UTC)
PREVIOUS = dt.datetime(2026, 2, 23, tzinfo=UTC)
TODAY = dt.date(2026, 3, 9)
WEEK = dt.timedelta(days=7)


def at(month, day, hour=12, minute=0, second=0, year=2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def window(waiting_days=7) -> Window:
    return Window(
        start=START,
        end=END,
        previous_start=PREVIOUS,
        trend_bounds=[END - WEEK * (12 - i) for i in range(13)],
        waiting_days=waiting_days,
        today=TODAY,
    )


def compute(section: str, **scope) -> dict:
    return figures_compute(scope=Scope(**scope), window=window(), sections=[section])[section]


def request(author, created, *, area=None, kind="idea", status="new", title="", **fields) -> Feedback:
    feedback = Feedback.objects.create(
        title=title or f"Request {Feedback.objects.count() + 1}",
        author=author,
        organization=author.organization,
        product_area=area,
        kind=kind,
        status=status,
        **fields,
    )
    Feedback.objects.filter(pk=feedback.pk).update(created_at=created)
    return feedback


def vote(feedback, user, created) -> Vote:
    row = Vote.objects.create(feedback=feedback, user=user, organization=user.organization)
    Vote.objects.filter(pk=row.pk).update(created_at=created)
    return row


def status_event(feedback, new, created, *, told=True, silent=False, message="") -> FeedbackEvent:
    event = FeedbackEvent.objects.create(
        feedback=feedback,
        kind=FeedbackEvent.Kind.STATUS,
        old_value="under_review",
        new_value=new,
        public_message=message,
        is_public=True,
        silent=silent,
        fanned_out_at=created if (told or silent) else None,
    )
    FeedbackEvent.objects.filter(pk=event.pk).update(created_at=created)
    return event


def by(lines, key="id"):
    return {line[key]: line for line in lines}


@pytest.fixture
def areas(db):
    return (
        ProductArea.objects.create(name="Reports", slug="reports"),
        ProductArea.objects.create(name="Billing", slug="billing"),
    )


@pytest.fixture
def companies(org_a, org_b):
    """Acme (enterprise, 120,000, renews in 30 days), Globex (small business, 45,000, renews in 200
    days), Initech (public sector, no contract value, no renewal date); two or three people each."""
    Organization.objects.filter(pk=org_a.pk).update(segment="enterprise", renewal_date=TODAY + dt.timedelta(days=30))
    Organization.objects.filter(pk=org_b.pk).update(
        segment="small_business", renewal_date=TODAY + dt.timedelta(days=200)
    )
    initech = OrganizationFactory(name="Initech", slug="initech", segment="public_sector", annual_contract_value=0)
    people = {}
    for org, key in ((org_a, "acme"), (org_b, "globex"), (initech, "initech")):
        org.refresh_from_db()
        people[key] = [client_user(organization=org, email=f"p{i}@{key}.example") for i in range(3)]
    return people


# Incoming -----------------------------------------------------------------------------------------


def test_incoming_counts_the_requests_of_the_period_and_the_previous_one(areas, companies):
    reports, billing = areas
    acme, globex, initech = companies["acme"][0], companies["globex"][0], companies["initech"][0]
    # In the period (both edges included: the first instant and the last second).
    request(acme, at(3, 3), area=reports, kind="idea")
    request(acme, at(3, 8, 23, 59, 59), area=reports, kind="problem")
    request(globex, START, area=reports, kind="idea")
    request(globex, at(3, 5), area=billing, kind="question")
    request(initech, at(3, 6), area=None, kind="idea")
    # The previous period.
    request(acme, at(2, 25), area=reports, kind="idea")
    request(globex, at(3, 1, 23, 59, 59), area=billing, kind="problem")
    # Outside: the end instant itself, the trend's ninth week, before the trend.
    request(acme, END, area=reports)
    request(acme, at(2, 10), area=reports)
    request(globex, at(11, 1, year=2025), area=reports)

    incoming = compute("incoming")
    assert incoming["total"] == {"current": 5, "previous": 2, "delta": 3}
    assert {(x["id"], x["current"], x["previous"]) for x in incoming["by_area"]} == {
        (reports.pk, 3, 1),
        (billing.pk, 1, 1),
        (None, 1, 0),
    }
    assert incoming["by_area"][0]["id"] == reports.pk  # most first
    assert {(x["key"], x["current"], x["previous"]) for x in incoming["by_kind"]} == {
        ("idea", 3, 1),
        ("problem", 1, 1),
        ("question", 1, 0),
    }
    assert {(x["key"], x["current"], x["previous"]) for x in incoming["by_segment"]} == {
        ("enterprise", 2, 1),
        ("small_business", 2, 1),
        ("public_sector", 1, 0),
    }
    trend = incoming["trend"]
    assert len(trend) == 12
    assert trend[0]["start"] == at(12, 15, 0, year=2025).isoformat()
    assert [p["count"] for p in trend] == [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 5]

    assert compute("incoming", area_ids=(reports.pk,))["total"] == {"current": 3, "previous": 1, "delta": 2}
    assert compute("incoming", segments=("enterprise",))["total"] == {"current": 2, "previous": 1, "delta": 1}
    globex_only = compute("incoming", organization_ids=(globex.organization.pk,))
    assert globex_only["total"] == {"current": 2, "previous": 1, "delta": 1}
    assert [p["count"] for p in globex_only["trend"]][-2:] == [1, 2]
    both = compute("incoming", area_ids=(reports.pk,), organization_ids=(acme.organization.pk,))
    assert both["total"]["current"] == 2
    assert compute("incoming", segments=("mid_market",))["total"] == {"current": 0, "previous": 0, "delta": 0}


# Rising -------------------------------------------------------------------------------------------


def test_rising_counts_the_votes_of_the_period_their_revenue_and_the_revenue_at_risk(areas, companies, product_owner):
    reports, billing = areas
    acme, globex, initech = companies["acme"], companies["globex"], companies["initech"]
    q1 = request(acme[0], at(2, 1), area=reports, title="Scheduled exports")
    q2 = request(globex[0], at(2, 1), area=billing, title="Invoice PDF")
    q3 = request(initech[0], at(2, 1), area=reports, title="Accessibility")
    item = RoadmapItem.objects.create(title="Exports 2.0", product_area=reports)
    RoadmapLink.objects.create(item=item, feedback=q1)
    RoadmapLink.objects.create(item=item, feedback=q3)
    # The period: q1 three votes from two companies, q2 two from Globex, q3 one from Initech.
    vote(q1, acme[1], at(3, 3))
    vote(q1, acme[2], START)
    vote(q1, globex[1], at(3, 8, 23, 59, 59))
    vote(q2, globex[1], at(3, 4))
    vote(q2, globex[2], at(3, 5))
    vote(q3, initech[1], at(3, 6))
    # The previous period, and after the end.
    vote(q2, acme[1], at(2, 24))
    vote(q1, initech[2], END)

    rising = compute("rising")
    assert rising["votes"] == {"current": 6, "previous": 1, "delta": 5}
    assert rising["organizations"] == 3
    assert rising["revenue"] == 165000.0  # Acme + Globex (+ Initech's 0)
    assert rising["revenue_at_risk"] == 120000.0  # Acme renews within 90 days, Globex does not
    assert [(x["id"], x["votes"], x["organizations"]) for x in rising["requests_by_votes"]] == [
        (q1.pk, 3, 2),
        (q2.pk, 2, 1),
        (q3.pk, 1, 1),
    ]
    assert by(rising["requests_by_votes"])[q1.pk]["title"] == "Scheduled exports"
    assert [(x["id"], x["revenue"], x["revenue_at_risk"]) for x in rising["requests_by_revenue"]] == [
        (q1.pk, 165000.0, 120000.0),
        (q2.pk, 45000.0, 0.0),
    ]  # Initech's request brings no revenue: not ranked by it
    (line,) = rising["items_by_votes"]
    assert (line["id"], line["title"], line["votes"], line["organizations"]) == (item.pk, "Exports 2.0", 4, 3)
    assert (line["revenue"], line["revenue_at_risk"]) == (165000.0, 120000.0)
    assert rising["items_by_revenue"] == rising["items_by_votes"]

    billing_only = compute("rising", area_ids=(billing.pk,))
    assert billing_only["votes"] == {"current": 2, "previous": 1, "delta": 1}
    assert (billing_only["revenue"], billing_only["revenue_at_risk"]) == (45000.0, 0.0)
    assert billing_only["items_by_votes"] == []
    # Segments filter the asking company, not the voters: Globex's vote on Acme's request counts.
    enterprise = compute("rising", segments=("enterprise",))
    assert enterprise["votes"]["current"] == 3 and enterprise["organizations"] == 2
    assert enterprise["revenue"] == 165000.0


def test_a_top_list_keeps_ten_lines_and_the_totals_count_everything(areas, companies):
    reports, _billing = areas
    voters = companies["acme"] + companies["globex"]
    requests = [request(companies["acme"][0], at(2, 1), area=reports) for _ in range(12)]
    for i, feedback in enumerate(requests):
        for voter in voters[: 1 + i % 6]:
            vote(feedback, voter, at(3, 4))
    rising = compute("rising")
    assert rising["votes"]["current"] == sum(1 + i % 6 for i in range(12))
    assert len(rising["requests_by_votes"]) == 10
    assert [x["votes"] for x in rising["requests_by_votes"]][:4] == [6, 6, 5, 5]


# Decisions ----------------------------------------------------------------------------------------


def test_decisions_and_the_loop_closure_rate(areas, companies):
    reports, billing = areas
    author = companies["acme"][0]
    told = request(author, at(1, 5), area=reports, status="planned", title="Told")
    silenced = request(author, at(1, 5), area=reports, status="declined", title="Silenced")
    pending = request(author, at(1, 5), area=billing, status="shipped", title="Not yet fanned out")
    reviewed = request(author, at(1, 5), area=reports, status="under_review")
    earlier = request(author, at(1, 5), area=reports, status="planned")
    twice = request(author, at(1, 5), area=reports, status="shipped", title="Planned then shipped")
    later = request(author, at(1, 5), area=reports, status="declined")
    status_event(told, "planned", at(3, 3))
    status_event(silenced, "declined", at(3, 4), silent=True, message="Out of scope for us.")
    status_event(pending, "shipped", at(3, 5), told=False)
    status_event(reviewed, "under_review", at(3, 5))
    status_event(earlier, "planned", at(2, 25))
    status_event(twice, "planned", at(3, 3, 9))
    status_event(twice, "shipped", at(3, 6))
    status_event(later, "declined", END, message="Later.")

    decisions = compute("decisions")
    assert {(x["key"], x["current"], x["previous"]) for x in decisions["by_status"]} == {
        ("planned", 2, 1),
        ("declined", 1, 0),
        ("shipped", 2, 0),
        ("under_review", 1, 0),
    }
    assert (decisions["decided"], decisions["told"]) == (4, 2)
    assert decisions["loop_closure_rate"] == 0.5
    assert [x["id"] for x in decisions["not_told"]] == [pending.pk, silenced.pk]  # latest first
    assert [x["id"] for x in decisions["planned"]] == [told.pk]
    assert [x["id"] for x in decisions["shipped"]] == [twice.pk, pending.pk]
    (declined,) = decisions["declined"]
    assert (declined["id"], declined["public_message"], declined["told"]) == (
        silenced.pk,
        "Out of scope for us.",
        False,
    )
    billing_only = compute("decisions", area_ids=(billing.pk,))
    assert (billing_only["decided"], billing_only["told"], billing_only["loop_closure_rate"]) == (1, 0, 0.0)
    assert compute("decisions", area_ids=(areas[1].pk + 1000,))["loop_closure_rate"] is None


def test_roadmap_decisions_of_the_period_by_kind_and_area(areas, product_owner):
    reports, billing = areas
    item = RoadmapItem.objects.create(title="Exports", product_area=reports)
    invoice = request(client_user(organization=OrganizationFactory()), at(1, 5), area=billing)
    rows = [
        Decision.objects.create(item=item, kind="accepted"),
        Decision.objects.create(feedback=invoice, kind="accepted", product_area=billing),
        Decision.objects.create(item=item, kind="declined"),
        Decision.objects.create(item=item, kind="deferred"),
    ]
    when = [at(3, 3), at(3, 4), at(3, 5), at(2, 20)]
    for decision, moment in zip(rows, when, strict=True):
        Decision.objects.filter(pk=decision.pk).update(decided_at=moment)
    assert compute("decisions")["roadmap_decisions"] == [
        {"key": "accepted", "count": 2},
        {"key": "declined", "count": 1},
    ]
    assert compute("decisions", area_ids=(reports.pk,))["roadmap_decisions"] == [
        {"key": "accepted", "count": 1},
        {"key": "declined", "count": 1},
    ]


# Responsiveness -----------------------------------------------------------------------------------


def test_median_first_response_and_requests_waiting(areas, companies):
    reports, billing = areas
    author = companies["acme"][0]
    first, second = StaffFactory(email="one@retour.test"), StaffFactory(email="two@retour.test")

    def answered(created, hours, area, assignee):
        return request(
            author, created, area=area, assignee=assignee, first_response_at=created + dt.timedelta(hours=hours)
        )

    answered(at(3, 3, 0), 10, reports, first)
    answered(at(3, 2, 12), 20, reports, second)
    answered(at(3, 1, 0), 40, billing, first)  # asked in the previous period, answered in this one
    answered(at(2, 24, 0), 5, reports, first)  # the previous period
    answered(at(3, 8, 0), 30, reports, first)  # answered after the end
    oldest = request(author, at(2, 20), area=reports, assignee=first, title="Oldest waiting")
    planned = request(author, at(2, 25), area=billing, status="planned", title="Planned, never answered")
    request(author, at(3, 5), area=reports)  # not waiting long enough
    request(author, at(2, 1), area=reports, status="declined")  # closed
    request(author, at(2, 10), area=reports, status="merged")  # closed

    resp = compute("responsiveness")
    assert resp["median_hours"] == {"current": 20.0, "previous": 5.0}
    assert resp["answered"] == 3
    assert {(x["id"], x["median_hours"], x["answered"]) for x in resp["by_area"]} == {
        (reports.pk, 15.0, 2),
        (billing.pk, 40.0, 1),
    }
    assert {(x["id"], x["median_hours"], x["answered"]) for x in resp["by_assignee"]} == {
        (first.pk, 25.0, 2),
        (second.pk, 20.0, 1),
    }
    assert resp["waiting"] == 2
    assert {(x["id"], x["count"]) for x in resp["waiting_by_area"]} == {(reports.pk, 1), (billing.pk, 1)}
    assert {(x["id"], x["count"]) for x in resp["waiting_by_assignee"]} == {(first.pk, 1), (None, 1)}
    assert [x["id"] for x in resp["oldest_waiting"]] == [oldest.pk, planned.pk]
    assert resp["waiting_days"] == 7
    # Waiting longer than 15 days: the cut-off moves back to 22 February.
    longer = figures_compute(scope=Scope(), window=window(waiting_days=15), sections=["responsiveness"])
    assert longer["responsiveness"]["waiting"] == 1
    labelled = figures_labelled(figures_compute(scope=Scope(), window=window(), sections=["responsiveness"]))
    assert {x["label"] for x in labelled["responsiveness"]["waiting_by_assignee"]} == {first.name, "Unassigned"}


# Roadmap ------------------------------------------------------------------------------------------


def test_roadmap_moves_releases_and_outcomes(areas, product_owner):
    reports, billing = areas
    exports = RoadmapItem.objects.create(title="Exports", product_area=reports)
    invoices = RoadmapItem.objects.create(title="Invoices", product_area=billing)

    def event(item, kind, old, new, moment):
        row = RoadmapEvent.objects.create(item=item, kind=kind, old_value=old, new_value=new)
        RoadmapEvent.objects.filter(pk=row.pk).update(created_at=moment)

    event(exports, "status", "candidate", "next", at(3, 3))
    event(invoices, "status", "next", "now", at(3, 4))
    event(exports, "status", "next", "now", END)
    event(exports, "edited", "", "", at(3, 4))
    published = Release.objects.create(
        title="March release", release_date=dt.date(2026, 3, 5), status="published", published_at=at(3, 5)
    )
    published.items.set([exports, invoices])
    Release.objects.create(title="Draft", release_date=dt.date(2026, 3, 6))
    Release.objects.create(
        title="February", release_date=dt.date(2026, 2, 20), status="published", published_at=at(2, 20)
    )

    def outcome(item, result, moment, lesson=""):
        return Decision.objects.create(
            item=item, kind="accepted", outcome=result, outcome_recorded_at=moment, lesson=lesson
        )

    reached = outcome(exports, "reached", at(3, 6), lesson="Ship smaller")
    missed = outcome(invoices, "missed", at(3, 7))
    outcome(exports, "unknown", at(3, 7))
    outcome(exports, "reached", at(2, 1))

    roadmap = compute("roadmap")
    assert roadmap["moved_count"] == 2
    assert [(x["id"], x["old"], x["new"]) for x in roadmap["moved"]] == [
        (invoices.pk, "next", "now"),
        (exports.pk, "candidate", "next"),
    ]
    assert [(x["id"], x["title"], x["items"]) for x in roadmap["releases"]] == [(published.pk, "March release", 2)]
    assert [(x["decision_id"], x["outcome"]) for x in roadmap["outcomes"]] == [
        (missed.pk, "missed"),
        (reached.pk, "reached"),
    ]
    assert (roadmap["reached"], roadmap["missed"]) == (1, 1)
    reports_only = compute("roadmap", area_ids=(reports.pk,))
    assert reports_only["moved_count"] == 1
    assert [x["decision_id"] for x in reports_only["outcomes"]] == [reached.pk]
    assert (reports_only["reached"], reports_only["missed"]) == (1, 0)
    assert len(reports_only["releases"]) == 1  # a release is not one area's


def test_outcome_counts_are_not_capped_by_the_list(areas):
    item = RoadmapItem.objects.create(title="Many", product_area=areas[0])
    for i in range(25):
        Decision.objects.create(
            item=item, kind="accepted", outcome="reached" if i % 5 else "missed", outcome_recorded_at=at(3, 4)
        )
    roadmap = compute("roadmap")
    assert len(roadmap["outcomes"]) == 20
    assert (roadmap["reached"], roadmap["missed"]) == (20, 5)


# Clubs --------------------------------------------------------------------------------------------


@pytest.fixture
def clubs_world(companies, product_owner):
    finance = Club.objects.create(name="Finance")
    hr = Club.objects.create(name="HR")

    def meeting(club, starts, status="planned", title=""):
        return Meeting.objects.create(
            club=club,
            title=title or f"{club.name} {starts:%d %b}",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            status=status,
        )

    held = meeting(finance, at(3, 4), status="held", title="Finance March")
    people = companies["acme"] + companies["globex"][:1]
    for person, attended, rsvp in zip(people, (True, True, False, False), ("yes", "pending", "yes", "no"), strict=True):
        Invitation.objects.create(
            meeting=held, user=person, organization=person.organization, attended=attended, rsvp=rsvp
        )
    vote_row = MeetingVote.objects.create(meeting=held, title="Priorities", status="closed")
    topics = [AgendaItem.objects.create(meeting=held, title=name, position=i) for i, name in enumerate("ABCD")]
    acme, globex = companies["acme"][0].organization, companies["globex"][0].organization
    for topic, org, points in [
        (topics[0], acme, 5),
        (topics[0], globex, 3),
        (topics[1], acme, 6),
        (topics[2], None, 2),
        (topics[3], globex, 1),
    ]:
        VoteResult.objects.create(vote=vote_row, topic=topic, organization=org, points=points, voters=1)
    meeting(hr, at(3, 6), status="held", title="HR March")
    meeting(finance, at(3, 5), status="cancelled")
    upcoming = meeting(finance, at(3, 12), title="Finance next")
    meeting(finance, at(4, 30))
    meeting(finance, at(2, 27))

    def action(club, due, status="open", title=""):
        return ActionItem.objects.create(club=club, title=title or f"{club.name} {due}", due_date=due, status=status)

    actions = {
        "late": action(finance, dt.date(2026, 3, 1)),
        "last_day": action(finance, dt.date(2026, 3, 8)),
        "today": action(hr, TODAY),
        "soon": action(finance, dt.date(2026, 3, 20)),
    }
    action(finance, dt.date(2026, 3, 1), status="done")
    action(finance, dt.date(2026, 4, 30))
    action(finance, None)
    return {"finance": finance, "hr": hr, "held": held, "upcoming": upcoming, "actions": actions}


def test_clubs_meetings_held_upcoming_and_action_items(clubs_world):
    world = clubs_world
    clubs = compute("clubs")
    assert [x["title"] for x in clubs["held"]] == ["Finance March", "HR March"]
    held = clubs["held"][0]
    assert (held["club"], held["attended"], held["invited"], held["yes"]) == ("Finance", 2, 4, 2)
    assert held["top_topics"] == ["A (8)", "B (6)", "C (2)"]
    assert clubs["held"][1]["top_topics"] == []
    assert [x["id"] for x in clubs["upcoming"]] == [world["upcoming"].pk]
    actions = world["actions"]
    assert [(x["id"], x["late"]) for x in clubs["action_items"]] == [
        (actions["late"].pk, True),
        (actions["last_day"].pk, True),  # due on the period's last day: late when the digest goes out
        (actions["today"].pk, False),
        (actions["soon"].pk, False),
    ]
    assert (clubs["action_items_due"], clubs["action_items_late"]) == (4, 2)

    finance = compute("clubs", club_ids=(world["finance"].pk,))
    assert [x["title"] for x in finance["held"]] == ["Finance March"]
    assert [x["id"] for x in finance["upcoming"]] == [world["upcoming"].pk]
    assert (finance["action_items_due"], finance["action_items_late"]) == (3, 2)


def test_late_action_items_are_reckoned_on_the_digests_local_date_in_any_time_zone(clubs_world):
    """A week ending at midnight in New York ends at 05:00 UTC the next day: the same items are late."""
    new_york = Window(
        start=START + dt.timedelta(hours=5),
        end=END + dt.timedelta(hours=5),
        previous_start=PREVIOUS + dt.timedelta(hours=5),
        today=TODAY,
    )
    clubs = figures_compute(scope=Scope(), window=new_york, sections=["clubs"])["clubs"]
    assert (clubs["action_items_due"], clubs["action_items_late"]) == (4, 2)


def test_many_meetings_held_do_not_push_the_upcoming_ones_out(clubs_world):
    finance = clubs_world["finance"]
    for i in range(45):
        Meeting.objects.create(
            club=finance, title=f"Busy {i}", starts_at=at(3, 7, 8) + dt.timedelta(minutes=i), ends_at=at(3, 7, 20)
        )
    clubs = compute("clubs")
    assert [x["id"] for x in clubs["upcoming"]] == [clubs_world["upcoming"].pk]
    assert clubs["held_count"] == 47 and len(clubs["held"]) <= 40
    assert clubs["upcoming_count"] == 1


# Activity -----------------------------------------------------------------------------------------


def test_a_scope_with_nothing_in_the_period_has_no_activity(areas, companies):
    reports, billing = areas
    request(companies["acme"][0], at(3, 4), area=reports)
    quiet = figures_compute(scope=Scope(area_ids=(billing.pk,)), window=window())
    assert quiet["had_activity"] is False
    assert not any(quiet["activity"].values())
    busy = figures_compute(scope=Scope(area_ids=(reports.pk,)), window=window())
    assert busy["had_activity"] is True and busy["activity"]["incoming"] is True


# Query count --------------------------------------------------------------------------------------


def _world(areas, companies, size: int) -> None:
    """`size` requests, votes, decisions, answers, moves and meetings in the period."""
    reports, billing = areas
    voters = companies["acme"] + companies["globex"] + companies["initech"]
    item = RoadmapItem.objects.create(title=f"Item {size}", product_area=reports)
    club = Club.objects.create(name=f"Club {size}")
    for i in range(size):
        area = reports if i % 2 else billing
        feedback = request(voters[i % 9], at(3, 2 + i % 6), area=area, first_response_at=at(3, 8))
        if i < 5:
            RoadmapLink.objects.create(item=item, feedback=feedback)
        for voter in voters[: 1 + i % 9]:
            if voter != voters[i % 9]:
                vote(feedback, voter, at(3, 3 + i % 5))
        status_event(feedback, ("planned", "shipped", "declined")[i % 3], at(3, 4), told=bool(i % 2))
        RoadmapEvent.objects.create(item=item, kind="status", old_value="next", new_value="now")
        Decision.objects.create(item=item, kind="accepted", outcome="reached", outcome_recorded_at=at(3, 5))
        meeting = Meeting.objects.create(club=club, title=f"M{i}", starts_at=at(3, 4), ends_at=at(3, 5), status="held")
        Invitation.objects.create(meeting=meeting, user=voters[i % 9], attended=True)
        ActionItem.objects.create(club=club, title=f"A{i}", due_date=TODAY - dt.timedelta(days=i % 3))
    RoadmapEvent.objects.filter(item=item).update(created_at=at(3, 4))
    release = Release.objects.create(title=f"R{size}", release_date=TODAY, status="published", published_at=at(3, 6))
    release.items.add(item)


# Each section is a fixed number of queries (two for incoming, rising's two plus the titles of its
# requests and items, three for decisions, responsiveness and roadmap, two for clubs), inside one
# transaction that turns JIT off.
QUERIES = 20


@pytest.mark.parametrize("scope", [Scope(), Scope(segments=("enterprise", "small_business"))])
def test_the_query_count_does_not_grow_with_the_data(areas, companies, scope):
    _world(areas, companies, 3)
    with CaptureQueriesContext(connection) as small:
        figures_compute(scope=scope, window=window())
    _world(areas, companies, 30)
    with CaptureQueriesContext(connection) as large:
        figures = figures_compute(scope=scope, window=window())
    assert figures["incoming"]["total"]["current"] > 10 and figures["rising"]["votes"]["current"] > 50
    assert len(small) == len(large) == QUERIES, [q["sql"][:80] for q in large.captured_queries]


# The figures' queries, plus the digest's row lock, the subscription's scope (three), the labels
# (areas and people), the saved digest and the savepoints around the figures.
BUILD_QUERIES = 30


def test_building_a_digest_takes_as_many_queries_with_ten_times_the_data(
    areas, companies, product_owner, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from reporting.digests import digest_build
    from reporting.models import Digest, DigestSubscription

    counts = []
    for size in (3, 30):
        _world(areas, companies, size)
        subscription = DigestSubscription.objects.create(name=f"Mine {size}", user=product_owner, timezone="UTC")
        digest = Digest.objects.create(
            subscription=subscription, period_start=START.date(), period_end=END.date(), due_at=END
        )
        cache.clear()
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks():
            digest_build(digest_id=digest.pk)
        assert Digest.objects.get(pk=digest.pk).status == Digest.Status.BUILT
        counts.append(len(queries))
    assert counts == [BUILD_QUERIES, BUILD_QUERIES], counts


# Over the demo data -------------------------------------------------------------------------------


def test_figures_over_the_demo_data_match_an_independent_count(db):
    from accounts import demo as accounts_demo
    from clubs import demo as clubs_demo
    from feedback import demo as feedback_demo
    from roadmap import demo as roadmap_demo

    for module in (accounts_demo, feedback_demo, roadmap_demo, clubs_demo):
        module.seed(password="demo-password-123")
    end = dt.datetime.now(UTC) + dt.timedelta(hours=1)
    start = end - dt.timedelta(days=30)
    demo_window = Window(
        start=start,
        end=end,
        previous_start=start - dt.timedelta(days=30),
        trend_bounds=[end - dt.timedelta(days=30) * (12 - i) for i in range(13)],
        today=end.date(),
    )
    figures = figures_compute(scope=Scope(), window=demo_window)
    in_period = {"created_at__gte": start, "created_at__lt": end}
    assert Feedback.objects.filter(**in_period).exists()
    assert figures["incoming"]["total"]["current"] == Feedback.objects.filter(**in_period).count()
    assert figures["rising"]["votes"]["current"] == Vote.objects.filter(**in_period).count()
    assert figures["rising"]["organizations"] == (
        Vote.objects.filter(**in_period).values("organization").distinct().count()
    )
    decided = (
        FeedbackEvent.objects.filter(kind="status", new_value__in=["planned", "shipped", "declined"], **in_period)
        .values("feedback")
        .distinct()
        .count()
    )
    assert figures["decisions"]["decided"] == decided
    area = ProductArea.objects.filter(feedback__created_at__gte=start).order_by("name").first()
    scoped = figures_compute(scope=Scope(area_ids=(area.pk,)), window=demo_window, sections=["incoming"])
    assert scoped["incoming"]["total"]["current"] == Feedback.objects.filter(product_area=area, **in_period).count()
    revenue = sum(
        (
            org.annual_contract_value
            for org in Organization.objects.filter(pk__in=Vote.objects.filter(**in_period).values("organization"))
        ),
        Decimal(0),
    )
    assert Decimal(str(figures["rising"]["revenue"])) == revenue


# Computed once: workers wanting the same figures at the same time -----------------------------


def test_a_second_reader_waits_for_the_figures_another_worker_is_computing():
    """While one worker holds the compute lock, another reader gets that worker's figures, not its own."""
    import threading

    from django.core.cache import cache

    from reporting.figures import figures_cached

    key = "reporting:test:figures-lock"
    cache.delete_many([key, key + ":computing"])
    started, release, calls = threading.Event(), threading.Event(), []

    def slow():
        calls.append("first")
        started.set()
        release.wait(10)
        return {"who": "first"}

    first = threading.Thread(target=lambda: figures_cached(key, slow, timeout=60))
    first.start()
    assert started.wait(10)
    result = {}
    second = threading.Thread(
        target=lambda: result.update(
            figures_cached(key, lambda: calls.append("second") or {"who": "second"}, timeout=60)
        )
    )
    second.start()
    second.join(0.5)
    assert second.is_alive(), "the second reader did not wait"
    release.set()
    first.join(10)
    second.join(10)
    assert result == {"who": "first"}
    assert calls == ["first"]
    assert cache.get(key + ":computing") is None
    cache.delete(key)


def test_a_reader_computes_itself_when_the_lock_holder_failed():
    from django.core.cache import cache

    from reporting.figures import figures_cached

    key = "reporting:test:figures-failed"
    cache.delete_many([key, key + ":computing"])

    def failing():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        figures_cached(key, failing, timeout=60)
    assert cache.get(key + ":computing") is None  # the lock does not outlive the failure
    assert figures_cached(key, lambda: {"n": 1}, timeout=60) == {"n": 1}
    assert figures_cached(key, lambda: {"n": 2}, timeout=60) == {"n": 1}  # cached
    cache.delete(key)
