"""The inbox's exact counts: the rollup the triggers keep equals a count of the requests, whoever writes."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction
from django.db.models import Count
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Organization
from feedback import selectors, services
from feedback.models import Feedback, ProductArea, StatusCount
from tests.factories import OrganizationFactory, StaffFactory, client_user, feedback_for

SEGMENTS = Organization.Segment.values
STATUSES = [s for s in Feedback.Status.values if s != Feedback.Status.MERGED]


def _counted(**filters) -> dict[str, int]:
    """The truth: a plain count over the requests."""
    rows = Feedback.objects.all()
    if "segment" in filters:
        rows = rows.filter(organization__segment=filters["segment"])
    if "product_area" in filters:
        rows = rows.filter(product_area=filters["product_area"])
    if "assignee" in filters:
        rows = rows.filter(assignee=filters["assignee"])
    if filters.get("unassigned"):
        rows = rows.filter(assignee__isnull=True)
    if "organization" in filters:
        rows = rows.filter(organization=filters["organization"])
    counts = dict.fromkeys(Feedback.Status.values, 0)
    counts.update(dict(rows.values_list("status").annotate(n=Count("id")).order_by()))
    return counts


def _assert_exact(world) -> None:
    combos = [{}, {"unassigned": True}]
    combos += [{"segment": s} for s in SEGMENTS]
    combos += [{"product_area": a} for a in world["areas"]]
    combos += [{"assignee": u} for u in world["staff"]]
    combos += [{"organization": o} for o in world["orgs"]]
    combos += [
        {"segment": s, "product_area": a, "assignee": u}
        for s in SEGMENTS[:2]
        for a in world["areas"]
        for u in world["staff"]
    ]
    combos += [{"organization": o, "product_area": a} for o in world["orgs"] for a in world["areas"]]
    for filters in combos:
        assert selectors.feedback_status_counts_exact(filters=filters) == _counted(**filters), filters


@pytest.fixture
def world(db):
    orgs = [OrganizationFactory(segment=segment) for segment in SEGMENTS[:3]]
    authors = [client_user(organization=org) for org in orgs]
    staff = [StaffFactory(), StaffFactory(staff_role="contributor")]
    areas = [ProductArea.objects.create(name=f"Area {i}", slug=f"area-{i}") for i in range(2)]
    for i in range(12):
        feedback_for(author=authors[i % 3], title=f"Request number {i}", product_area=areas[i % 2] if i % 3 else None)
    return {"orgs": orgs, "authors": authors, "staff": staff, "areas": areas}


def test_every_write_path_keeps_the_counts_exact(world):
    po, contributor = world["staff"]
    items = list(Feedback.objects.order_by("pk"))
    _assert_exact(world)
    services.feedback_change_status(feedback=items[0], actor=po, status="planned")
    services.feedback_change_status(feedback=items[1], actor=po, status="declined", public_message="Not for us.")
    services.feedback_assign(feedback=items[2], actor=po, assignee=contributor)
    services.feedback_set_product_area(feedback=items[3], actor=po, product_area=world["areas"][1])
    services.feedback_bulk_apply(actor=po, ids=[i.pk for i in items[4:8]], action="assign", assignee=po)
    services.feedback_merge(source=items[8], target=items[2], actor=po)  # same company
    Feedback.objects.filter(pk__in=[i.pk for i in items[9:11]]).update(status="shipped")  # a raw bulk update
    _assert_exact(world)
    # A company moves to another segment: its requests move with it.
    Organization.objects.filter(pk=world["orgs"][0].pk).update(segment=SEGMENTS[3])
    world["areas"].pop(0).delete()  # SET_NULL on its requests
    items[11].delete()
    _assert_exact(world)
    rows_before = StatusCount.objects.count()
    assert services.status_counts_compact() < rows_before
    _assert_exact(world)
    assert not StatusCount.objects.filter(n=0).exists()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["status", "assign", "unassign", "area", "segment", "submit", "delete", "compact"]),
            st.integers(min_value=0, max_value=50),
        ),
        max_size=12,
    )
)
def test_counts_stay_exact_under_any_sequence_of_writes(world, steps):
    po = world["staff"][0]
    for op, k in steps:
        items = list(Feedback.objects.order_by("pk"))
        item = items[k % len(items)] if items else None
        if op == "status" and item and item.status != "merged":
            Feedback.objects.filter(pk=item.pk).update(status=STATUSES[k % len(STATUSES)])
        elif op == "assign" and item:
            Feedback.objects.filter(pk=item.pk).update(assignee=world["staff"][k % 2])
        elif op == "unassign" and item:
            Feedback.objects.filter(pk=item.pk).update(assignee=None)
        elif op == "area" and item:
            Feedback.objects.filter(pk=item.pk).update(product_area=world["areas"][k % 2])
        elif op == "segment":
            Organization.objects.filter(pk=world["orgs"][k % 3].pk).update(segment=SEGMENTS[k % 4])
        elif op == "submit":
            feedback_for(author=world["authors"][k % 3], title=f"Another request {k}")
        elif op == "delete" and item and len(items) > 3:
            item.delete()
        elif op == "compact":
            services.status_counts_compact()
    _assert_exact(world)
    assert po.pk  # the staff fixture stays usable across examples


@pytest.mark.django_db(transaction=True)
def test_a_segment_change_racing_a_submission_loses_no_count():
    """The company row is read FOR SHARE by the triggers: the submission waits for the segment change
    to commit and counts its request under the new segment (without the lock it kept the old one)."""
    org = OrganizationFactory(segment="enterprise")
    author = client_user(organization=org)
    feedback_for(author=author, title="Before the move")
    changed, errors = threading.Event(), []

    def move():
        try:
            with transaction.atomic():
                Organization.objects.filter(pk=org.pk).update(segment="public_sector")
                changed.set()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_sleep(0.5)")  # the submission starts meanwhile
        except Exception as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    def submit():
        try:
            changed.wait(5)
            feedback_for(author=author, title="During the move")
        except Exception as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=move), threading.Thread(target=submit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for segment in ("enterprise", "public_sector"):
        assert selectors.feedback_status_counts_exact(filters={"segment": segment}) == _counted(segment=segment)
    assert selectors.feedback_status_counts_exact(filters={"segment": "public_sector"})["new"] == 2


def test_the_counts_endpoint_is_exact_for_rollup_filters_and_bounded_for_others(login, world, monkeypatch):
    monkeypatch.setattr(selectors, "STATUS_COUNT_CAP", 3)
    client = login(world["staff"][0])
    exact = client.get(reverse("feedback:triage_counts"), {"segment": SEGMENTS[0]})
    assert {v: n for v, _label, n, _qs in exact.context["status_links"]}["new"] == 4
    everything = client.get(reverse("feedback:triage_counts"))
    assert {v: n for v, _label, n, _qs in everything.context["status_links"]}["new"] == 12
    bounded = client.get(reverse("feedback:triage_counts"), {"kind": "idea"})
    assert {v: n for v, _label, n, _qs in bounded.context["status_links"]}["new"] == "3+"


def test_the_compaction_task_runs_from_the_beat_schedule(settings):
    assert settings.CELERY_BEAT_SCHEDULE["feedback-status-counts-compact"]["task"] == "feedback.status_counts_compact"
    from feedback.tasks import status_counts_compact_task

    assert status_counts_compact_task.name == "feedback.status_counts_compact"


def test_the_counts_endpoint_query_count_is_pinned(login, world, django_assert_num_queries):
    client = login(world["staff"][0])
    client.get(reverse("feedback:triage_counts"))
    area, assignee = world["areas"][0], world["staff"][1]
    # Session and user (with company), then the filter form's lookups and one sum over the rollup.
    with django_assert_num_queries(5):
        client.get(
            reverse("feedback:triage_counts"),
            {"product_area": area.pk, "assignee": assignee.pk, "segment": "enterprise"},
        )
    with django_assert_num_queries(3):
        client.get(reverse("feedback:triage_counts"), {"segment": "enterprise"})
