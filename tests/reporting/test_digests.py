"""Building and sending digests exactly once: the beat run twice (and at the same time), the send task
retried, the sweep, failed builds and their rebuild, digests of a quiet period, who receives them, the
one-click unsubscribe (headers and per-recipient links), the subscription's language, and the
send_digests command. Tasks run in-process (eager) when their transaction's on_commit fires."""

import datetime as dt
import threading
from email import message_from_bytes, policy
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import Http404

from accounts.models import Team
from core.delivery import email_deliver
from core.models import OutboundEmail
from feedback.models import ProductArea, Vote
from reporting import digests, services, tasks
from reporting.digests import (
    MAX_AUTOMATIC_ATTEMPTS,
    UNSUBSCRIBE_PLACEHOLDER,
    archive_html,
    archive_text,
    digest_build,
    digest_send,
    digests_due_create,
    digests_sweep,
    unsubscribe_read,
)
from reporting.models import Digest, DigestDelivery, DigestSubscription
from reporting.policy import digest_recipients
from tests.factories import StaffFactory, feedback_for
from tests.reporting.conftest import OUTSIDE

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 16, 7, 5, tzinfo=UTC)  # Monday 08:05 in Paris (winter time)
WEEK = dt.date(2026, 3, 9)  # the weekly digest's period: 9 to 15 March
DAY = dt.date(2026, 3, 15)  # the daily digest's period
NO_ACTIVITY = "No activity in this scope during the period."


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`committed(fn, ...)` runs fn and then its on_commit callbacks (the tasks, eagerly), as a commit would.
    With execute=False the callbacks are dropped: a task lost with its broker."""

    def _run(fn, *args, execute=True, **kwargs):
        with django_capture_on_commit_callbacks(execute=execute):
            return fn(*args, **kwargs)

    return _run


@pytest.fixture
def beat(committed):
    """The beat task at `now`, for subscriptions made well before."""

    def _beat(now=NOW, execute=True):
        DigestSubscription.objects.update(created_at=utc(2026, 1, 1))
        return committed(digests_due_create, now=now, execute=execute)

    return _beat


def built(committed, subscription, *, period_start=WEEK) -> Digest:
    """A digest built but whose send task was lost."""
    DigestSubscription.objects.update(created_at=utc(2026, 1, 1))
    ids = committed(digests_due_create, now=NOW, execute=False)
    digest = Digest.objects.get(subscription=subscription, period_start=period_start)
    assert digest.pk in ids
    committed(digest_build, digest_id=digest.pk, execute=False)
    digest.refresh_from_db()
    assert digest.status == Digest.Status.BUILT
    return digest


def recipients_of(digest: Digest) -> set[str]:
    return set(
        OutboundEmail.objects.filter(idempotency_key__startswith=f"digest:{digest.subscription_id}:").values_list(
            "to_email", flat=True
        )
    )


# Exactly once ------------------------------------------------------------------------------------


def test_the_beat_run_twice_builds_and_sends_one_digest_per_subscription_and_period(
    beat, subscription, person_subscription, contributor, reader, product_owner, mailoutbox
):
    first = beat()
    assert len(first) == 2
    assert beat() == []  # the second beat finds both periods there
    assert beat(now=NOW + dt.timedelta(minutes=5)) == []
    weekly = Digest.objects.get(subscription=subscription)
    daily = Digest.objects.get(subscription=person_subscription)
    assert (weekly.period_start, weekly.period_end) == (WEEK, dt.date(2026, 3, 16))
    assert (daily.period_start, daily.period_end) == (DAY, dt.date(2026, 3, 16))
    assert {weekly.status, daily.status} == {Digest.Status.SENT}
    assert weekly.attempts == 1 and weekly.built_at and weekly.sent_at
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [contributor.email, reader.email, OUTSIDE, product_owner.email]
    )
    assert OutboundEmail.objects.filter(status="sent").count() == 4
    assert DigestDelivery.objects.filter(digest=weekly).count() == 3
    assert set(DigestDelivery.objects.filter(digest=weekly).values_list("email", flat=True)) == {
        contributor.email,
        reader.email,
        OUTSIDE,
    }


def test_the_beat_reports_only_the_digests_it_created(beat, subscription):
    """A second beat while the first one's build is still queued (or lost) does not claim it again;
    a beat at any instant, past or future, reports what it inserted."""
    (first,) = beat(execute=False)
    assert beat(execute=False) == []
    assert Digest.objects.get(pk=first).status == Digest.Status.PENDING
    (later,) = beat(now=utc(2027, 3, 15, 7, 5), execute=False)
    assert Digest.objects.get(pk=later).period_start == dt.date(2027, 3, 8)
    assert beat(now=utc(2027, 3, 15, 7, 10), execute=False) == []


def test_the_beat_task_creates_and_reports_the_digests_due(subscription, committed, monkeypatch):
    DigestSubscription.objects.update(created_at=utc(2026, 1, 1))
    monkeypatch.setattr(digests.timezone, "now", lambda: NOW)
    assert committed(lambda: tasks.digests_due.apply().get(), execute=False) == 1
    assert committed(lambda: tasks.digests_due.apply().get(), execute=False) == 0
    assert Digest.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_the_same_time_create_each_digest_once(subscription, person_subscription, mailoutbox):
    DigestSubscription.objects.update(created_at=utc(2026, 1, 1))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def one_beat():
        try:
            barrier.wait(timeout=10)
            results.append(digests_due_create(now=NOW))  # commits, then builds and sends (eager tasks)
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(len(ids) for ids in results) in ([0, 2], [1, 1])
    assert len({pk for ids in results for pk in ids}) == 2
    assert Digest.objects.count() == 2
    assert set(Digest.objects.values_list("status", flat=True)) == {Digest.Status.SENT}
    assert OutboundEmail.objects.count() == 4
    assert len(mailoutbox) == 4


@pytest.mark.django_db(transaction=True)
def test_two_send_tasks_at_the_same_time_write_one_email_per_recipient(subscription, monkeypatch):
    DigestSubscription.objects.update(created_at=utc(2026, 1, 1))
    # Autocommit here: on_commit runs at once. The build and send tasks are not published (lost).
    monkeypatch.setattr(digests, "enqueue_on_commit", lambda *args: None)
    (pk,) = digests_due_create(now=NOW)
    digest_build(digest_id=pk)
    assert Digest.objects.get(pk=pk).status == Digest.Status.BUILT
    barrier = threading.Barrier(2)
    written, errors = [], []

    def one_send():
        try:
            barrier.wait(timeout=10)
            written.append(digest_send(digest_id=pk))
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(written) == [0, 3]
    assert OutboundEmail.objects.count() == 3
    assert DigestDelivery.objects.count() == 3


def test_a_retried_send_task_writes_one_outbox_row_per_recipient(committed, subscription, contributor, reader):
    digest = built(committed, subscription)
    assert committed(tasks.digest_send.apply, args=[digest.pk], execute=False).get() == 3
    assert committed(tasks.digest_send.apply, args=[digest.pk], execute=False).get() == 0
    assert committed(digest_send, digest_id=digest.pk) == 0
    keys = set(OutboundEmail.objects.values_list("idempotency_key", flat=True))
    assert keys == {
        f"digest:{subscription.pk}:2026-03-09:{contributor.email}",
        f"digest:{subscription.pk}:2026-03-09:{reader.email}",
        f"digest:{subscription.pk}:2026-03-09:{OUTSIDE}",
    }
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT
    assert DigestDelivery.objects.filter(digest=digest, outbound__isnull=False).count() == 3


def test_a_send_that_fails_half_way_writes_nothing_and_its_retry_writes_every_email(
    committed, subscription, monkeypatch
):
    digest = built(committed, subscription)
    real = digests.email_enqueue_rendered
    calls = []

    def second_one_fails(**kwargs):
        calls.append(kwargs["to"])
        if len(calls) == 2:
            raise ConnectionError("database went away")
        return real(**kwargs)

    monkeypatch.setattr(digests, "email_enqueue_rendered", second_one_fails)
    with pytest.raises(ConnectionError):
        committed(digest_send, digest_id=digest.pk)
    digest.refresh_from_db()
    assert digest.status == Digest.Status.BUILT
    assert not OutboundEmail.objects.exists()
    assert not DigestDelivery.objects.exists()
    monkeypatch.setattr(digests, "email_enqueue_rendered", real)
    assert committed(digest_send, digest_id=digest.pk) == 3
    assert OutboundEmail.objects.count() == 3


def test_a_digest_already_in_the_outbox_is_linked_not_sent_again(committed, subscription):
    """A digest deleted by hand and built again: the idempotency key keeps the emails single."""
    digest = built(committed, subscription)
    committed(digest_send, digest_id=digest.pk, execute=False)
    Digest.objects.all().delete()
    digest = built(committed, subscription)
    assert committed(digest_send, digest_id=digest.pk, execute=False) == 0
    assert OutboundEmail.objects.count() == 3
    assert DigestDelivery.objects.filter(digest=digest, outbound__isnull=False).count() == 3


def test_building_a_built_or_sent_digest_again_builds_nothing(committed, subscription, monkeypatch):
    computed = []
    real = digests.figures_compute
    monkeypatch.setattr(digests, "figures_compute", lambda **kw: computed.append(1) or real(**kw))
    digest = built(committed, subscription)
    html = digest.html_body
    assert computed == [1]
    again = committed(digest_build, digest_id=digest.pk, execute=False)
    assert again.status == Digest.Status.BUILT and again.attempts == 1
    committed(digest_send, digest_id=digest.pk)
    assert committed(digest_build, digest_id=digest.pk).status == Digest.Status.SENT
    assert committed(tasks.digest_build.apply, args=[digest.pk]).get() == "sent"
    assert computed == [1]
    digest.refresh_from_db()
    assert digest.html_body == html and digest.attempts == 1
    assert OutboundEmail.objects.count() == 3


def test_the_sweep_requeues_digests_left_pending_or_built(committed, subscription, person_subscription):
    DigestSubscription.objects.update(created_at=utc(2026, 1, 1))
    weekly_id, daily_id = committed(digests_due_create, now=NOW, execute=False)  # builds lost
    committed(digest_build, digest_id=daily_id, execute=False)  # built, its send lost
    fresh = Digest.objects.create(
        subscription=subscription, period_start=dt.date(2026, 3, 2), period_end=WEEK, due_at=NOW
    )
    now = dt.datetime.now(UTC)
    # Nothing is stale yet: the tasks may still be on their way.
    assert committed(digests_sweep, now=now) == 0
    Digest.objects.exclude(pk=fresh.pk).update(updated_at=now - dt.timedelta(minutes=5))
    assert committed(digests_sweep, now=now) == 2
    statuses = dict(Digest.objects.values_list("pk", "status"))
    assert statuses == {weekly_id: "sent", daily_id: "sent", fresh.pk: "pending"}
    assert OutboundEmail.objects.count() == 4
    Digest.objects.update(updated_at=now - dt.timedelta(minutes=5))
    assert committed(digests_sweep, now=now) == 1  # the fresh one, now stale; the sent ones stay sent
    assert OutboundEmail.objects.count() == 7


def test_a_failed_build_shows_its_error_is_retried_by_the_sweep_and_can_be_rebuilt(
    committed, beat, subscription, product_owner, contributor, member_a, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("figures exploded")

    monkeypatch.setattr(digests, "figures_compute", broken)
    (pk,) = beat()
    digest = Digest.objects.get(pk=pk)
    assert digest.status == Digest.Status.FAILED
    assert digest.error == "RuntimeError: figures exploded"
    assert digest.attempts == 1
    assert not OutboundEmail.objects.exists()
    now = dt.datetime.now(UTC)
    for attempt in range(2, MAX_AUTOMATIC_ATTEMPTS + 1):
        Digest.objects.filter(pk=pk).update(updated_at=now - dt.timedelta(minutes=5))
        assert committed(digests_sweep, now=now) == 1
        assert Digest.objects.get(pk=pk).attempts == attempt
    Digest.objects.filter(pk=pk).update(updated_at=now - dt.timedelta(minutes=5))
    assert committed(digests_sweep, now=now) == 0  # given up: a person rebuilds it
    digest.refresh_from_db()
    assert (digest.status, digest.attempts) == (Digest.Status.FAILED, MAX_AUTOMATIC_ATTEMPTS)
    # Readers may not rebuild; clients do not even see it.
    with pytest.raises(PermissionDenied):
        services.digest_rebuild(actor=contributor, digest=digest)
    with pytest.raises(Http404):
        services.digest_rebuild(actor=member_a, digest=digest)
    monkeypatch.undo()
    rebuilt = committed(services.digest_rebuild, actor=product_owner, digest=digest)
    assert rebuilt.requested_by == product_owner
    digest.refresh_from_db()
    assert (digest.status, digest.error, digest.attempts) == (Digest.Status.SENT, "", 1)
    assert OutboundEmail.objects.count() == 3
    with pytest.raises(ValidationError):
        services.digest_rebuild(actor=product_owner, digest=digest)


def test_send_now_builds_and_sends_the_period_once(committed, subscription, product_owner, contributor):
    with pytest.raises(PermissionDenied):
        services.digest_send_now(actor=contributor, subscription=subscription, now=NOW)
    digest = committed(services.digest_send_now, actor=product_owner, subscription=subscription, now=NOW)
    digest.refresh_from_db()
    assert (digest.period_start, digest.status, digest.requested_by) == (WEEK, Digest.Status.SENT, product_owner)
    assert OutboundEmail.objects.count() == 3
    with pytest.raises(ValidationError):
        services.digest_send_now(actor=product_owner, subscription=subscription, now=NOW)
    # The scheduled send of the same period finds it done.
    DigestSubscription.objects.update(created_at=utc(2026, 1, 1))
    assert committed(digests_due_create, now=NOW) == []
    assert OutboundEmail.objects.count() == 3


# Content -----------------------------------------------------------------------------------------


def test_a_digest_of_a_quiet_scope_says_so_in_one_line_and_is_still_sent(beat, subscription, product_owner):
    quiet = ProductArea.objects.create(name="Billing", slug="billing")
    services.subscription_save(actor=product_owner, subscription=subscription, data={"product_areas": [quiet]})
    (pk,) = beat()
    digest = Digest.objects.get(pk=pk)
    assert digest.status == Digest.Status.SENT
    assert digest.had_activity is False
    assert digest.text_body.count(NO_ACTIVITY) == 1
    assert NO_ACTIVITY in digest.html_body
    assert "nothing new" in digest.subject
    assert OutboundEmail.objects.filter(status="sent").count() == 3


def test_a_digest_with_activity_has_no_quiet_line(beat, subscription, member_a):
    request = feedback_for(author=member_a, title="Bulk edit of invoices")
    type(request).objects.filter(pk=request.pk).update(created_at=utc(2026, 3, 11, 9))
    (pk,) = beat()
    digest = Digest.objects.get(pk=pk)
    assert digest.had_activity is True
    assert digest.figures["incoming"]["total"]["current"] == 1
    assert NO_ACTIVITY not in digest.text_body
    assert "Bulk edit of invoices" not in digest.subject
    assert "your digest for" in digest.subject


def test_the_email_is_in_the_subscriptions_language(beat, subscription, person_subscription, member_a, admin_a):
    request = feedback_for(author=member_a, title="Export to Excel")
    type(request).objects.filter(pk=request.pk).update(created_at=utc(2026, 3, 15, 9))
    Vote.objects.filter(feedback=request).update(created_at=utc(2026, 3, 15, 9))  # Acme: 120,000 a year
    beat()
    french = Digest.objects.get(subscription=person_subscription)
    english = Digest.objects.get(subscription=subscription)
    assert french.language == "fr" and english.language == "en"
    # Dates: "15 mars 2026" against "March 9, 2026 to March 15, 2026".
    assert "15 mars 2026" in french.subject and "15 mars 2026" in french.text_body
    assert "March 9, 2026 \u2013 March 15, 2026" in english.subject
    assert "mars" not in english.text_body
    # Numbers: a non-breaking space groups thousands in French, a comma in English.
    assert "120\xa0000" in french.text_body and "120,000" not in french.text_body
    assert "120,000" in english.text_body
    email = OutboundEmail.objects.get(to_email=person_subscription.user.email)
    assert email.language == "fr" and "15 mars 2026" in email.subject


def test_the_archive_copy_carries_no_personal_unsubscribe_link(committed, subscription):
    digest = built(committed, subscription)
    assert UNSUBSCRIBE_PLACEHOLDER in digest.text_body and UNSUBSCRIBE_PLACEHOLDER in digest.html_body
    assert UNSUBSCRIBE_PLACEHOLDER not in archive_html(digest)
    assert UNSUBSCRIBE_PLACEHOLDER not in archive_text(digest)
    assert "/reports/unsubscribe/" not in archive_html(digest) + archive_text(digest)


# Subscriptions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"hour": 24}, "hour"),
        ({"minute": 60}, "minute"),
        ({"day_of_month": 29}, "day_of_month"),
        ({"weekday": 7}, "weekday"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"language": "xx"}, "language"),
        ({"frequency": "hourly"}, "frequency"),
        ({"segments": ["galactic"]}, "segments"),
        ({"sections": []}, "sections"),
        ({"sections": ["incoming", "gossip"]}, "sections"),
        ({"name": ""}, "name"),
        ({"team": None, "user": None}, "team"),
    ],
)
def test_a_subscription_with_bad_input_is_refused_field_by_field_and_nothing_is_written(product_owner, data, field):
    with pytest.raises(ValidationError) as caught:
        services.subscription_save(actor=product_owner, data={"name": "Mine", "user": product_owner, **data})
    assert list(caught.value.message_dict) == [field]
    assert len(caught.value.message_dict[field]) == 1
    assert "Constraint" not in str(caught.value)
    assert not DigestSubscription.objects.exists()


def test_only_product_owners_manage_subscriptions(subscription, contributor, member_a):
    with pytest.raises(PermissionDenied):
        services.subscription_save(actor=contributor, subscription=subscription, data={"hour": 9})
    with pytest.raises(Http404):
        services.subscription_save(actor=member_a, subscription=subscription, data={"hour": 9})
    with pytest.raises(PermissionDenied):
        services.subscription_delete(actor=contributor, subscription=subscription)
    subscription.refresh_from_db()
    assert subscription.hour == 8


# Recipients ---------------------------------------------------------------------------------------


def test_a_team_refuses_client_users_and_client_addresses(product_owner, contributor, member_a, org_a):
    before = Team.objects.count()
    cases = [
        ({"members": [contributor, member_a]}, "members"),
        ({"extra_emails": ["buyer@acme.example"]}, "extra_emails"),  # Acme's email domain
        ({"extra_emails": ["BUYER@Acme.Example"]}, "extra_emails"),
        ({"extra_emails": [member_a.email]}, "extra_emails"),  # a client user's address
    ]
    for data, field in cases:
        with pytest.raises(ValidationError) as caught:
            services.team_save(actor=product_owner, data={"name": "Leaky", **data})
        assert field in caught.value.message_dict
    assert Team.objects.count() == before
    with pytest.raises(PermissionDenied):
        services.team_save(actor=contributor, data={"name": "Readers"})


def test_a_subscription_refuses_a_team_with_a_client_address_and_a_client_person(product_owner, team, member_a, org_a):
    Team.objects.filter(pk=team.pk).update(extra_emails=["buyer@acme.example"])  # written around team_save
    team.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.subscription_save(actor=product_owner, data={"name": "Leaky", "team": team})
    assert "team" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.subscription_save(actor=product_owner, data={"name": "Client", "user": member_a})
    assert "user" in caught.value.message_dict
    assert not DigestSubscription.objects.exists()


def test_recipients_are_the_teams_staff_and_outside_addresses_minus_clients_and_unsubscribed(
    beat, subscription, team, contributor, reader, member_a, org_a
):
    # Written around team_save (the admin, an old row): the send still keeps clients out.
    team.members.add(member_a)
    gone = StaffFactory(email="gone@retour.test", is_active=False)
    team.members.add(gone)
    Team.objects.filter(pk=team.pk).update(
        extra_emails=[OUTSIDE, "buyer@acme.example", member_a.email, reader.email.upper(), "left@partner.example"]
    )
    DigestSubscription.objects.filter(pk=subscription.pk).update(unsubscribed=["LEFT@partner.example"])
    subscription.refresh_from_db()
    assert sorted(address for address, _user in digest_recipients(subscription)) == sorted(
        [contributor.email, reader.email, OUTSIDE]
    )
    beat()
    assert sorted(OutboundEmail.objects.values_list("to_email", flat=True)) == sorted(
        [contributor.email, reader.email, OUTSIDE]
    )
    assert OutboundEmail.objects.get(to_email=reader.email).recipient == reader
    assert OutboundEmail.objects.get(to_email=OUTSIDE).recipient is None


def test_a_person_subscription_goes_to_that_person_only_while_on_staff(beat, person_subscription, product_owner):
    assert digest_recipients(person_subscription) == [(product_owner.email, product_owner)]
    type(product_owner).objects.filter(pk=product_owner.pk).update(staff_role="")
    person_subscription.refresh_from_db()
    assert digest_recipients(person_subscription) == []


# Unsubscribe --------------------------------------------------------------------------------------


def test_each_email_has_one_click_unsubscribe_headers_and_its_own_link(beat, subscription, contributor, reader):
    beat()
    emails = list(OutboundEmail.objects.order_by("to_email"))
    assert len(emails) == 3
    links = set()
    for email in emails:
        link = email.headers["List-Unsubscribe"].strip("<>")
        assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert email.headers["List-Unsubscribe"] == f"<{link}>"
        assert link.startswith("http") and "/reports/unsubscribe/" in link
        assert link in email.text_body and link in email.html_body
        assert UNSUBSCRIBE_PLACEHOLDER not in email.text_body + email.html_body
        token = link.rstrip("/").rsplit("/", 1)[1]
        assert unsubscribe_read(token) == (subscription.pk, email.to_email.lower())
        links.add(link)
    assert len(links) == 3
    for other in emails[1:]:
        assert emails[0].headers["List-Unsubscribe"].strip("<>") not in other.text_body


def test_an_unsubscribe_link_stops_that_address_for_that_subscription_only(
    beat, product_owner, subscription, team, contributor, reader
):
    other = services.subscription_save(
        actor=product_owner, data={"name": "Sales daily", "team": team, "frequency": "daily", "hour": 7}
    )
    beat()
    email = OutboundEmail.objects.get(to_email=reader.email, idempotency_key__startswith=f"digest:{subscription.pk}:")
    token = email.headers["List-Unsubscribe"].strip("<>").rstrip("/").rsplit("/", 1)[1]
    unsubscribed, address = services.unsubscribe(token=token)
    assert (unsubscribed.pk, address) == (subscription.pk, reader.email)
    services.unsubscribe(token=token)  # twice: still once in the list
    subscription.refresh_from_db()
    assert subscription.unsubscribed == [reader.email]
    assert {a for a, _ in digest_recipients(subscription)} == {contributor.email, OUTSIDE}
    assert {a for a, _ in digest_recipients(other)} == {contributor.email, reader.email, OUTSIDE}
    # The next week: the reader gets the daily digest, not the weekly one.
    OutboundEmail.objects.all().delete()
    beat(now=NOW + dt.timedelta(days=7))
    weekly = set(
        OutboundEmail.objects.filter(idempotency_key__startswith=f"digest:{subscription.pk}:").values_list(
            "to_email", flat=True
        )
    )
    daily = set(
        OutboundEmail.objects.filter(idempotency_key__startswith=f"digest:{other.pk}:").values_list(
            "to_email", flat=True
        )
    )
    assert weekly == {contributor.email, OUTSIDE}
    assert daily == {contributor.email, reader.email, OUTSIDE}
    # A mistaken click is undone from the same link.
    services.resubscribe(token=token)
    subscription.refresh_from_db()
    assert subscription.unsubscribed == []


def test_a_forged_or_stale_unsubscribe_link_is_refused(subscription, reader):
    token = digests.unsubscribe_token(subscription.pk, reader.email)
    for forged in (token[:-2] + "xx", "nonsense", token.replace(":", ":x", 1), ""):
        with pytest.raises(ValidationError):
            services.unsubscribe(token=forged)
    subscription.delete()
    with pytest.raises(ValidationError):
        services.unsubscribe(token=token)


def test_the_smtp_message_carries_the_unsubscribe_headers(committed, subscription, reader, local_smtp):
    digest = built(committed, subscription)
    committed(digest_send, digest_id=digest.pk, execute=False)  # the outbox sends below, through SMTP
    email = OutboundEmail.objects.get(to_email=reader.email)
    email_deliver(email_id=email.pk)
    assert OutboundEmail.objects.get(pk=email.pk).status == "sent"
    (envelope,) = local_smtp.messages
    assert envelope.rcpt_tos == [reader.email]
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].strip() == email.headers["List-Unsubscribe"]  # folded: a long line
    assert message["Auto-Submitted"] == "auto-generated"
    link = email.headers["List-Unsubscribe"].strip("<>")
    assert link in message.get_body(("plain",)).get_content()
    assert link in message.get_body(("html",)).get_content()


# The send_digests command ---------------------------------------------------------------------------


def test_send_digests_dry_run_writes_and_sends_nothing(subscription, person_subscription, contributor):
    out = StringIO()
    call_command("send_digests", "--dry-run", "--period", "2026-03-16", stdout=out)
    output = out.getvalue()
    assert "Sales weekly" in output and "Mon résumé" in output
    assert contributor.email in output and OUTSIDE in output
    assert "2026-03-09" in output
    assert not Digest.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert mail.outbox == []
    out = StringIO()
    call_command("send_digests", "--dry-run", "--subscription", str(subscription.pk), verbosity=2, stdout=out)
    assert "Unsubscribe in one click" in out.getvalue()  # the text body, shown
    assert not Digest.objects.exists()


def test_send_digests_builds_and_sends_one_subscription_and_period_once(subscription, person_subscription):
    out = StringIO()
    call_command("send_digests", "--subscription", str(subscription.pk), "--period", "2026-03-16", stdout=out)
    digest = Digest.objects.get()
    assert (digest.subscription, digest.period_start, digest.status) == (subscription, WEEK, Digest.Status.SENT)
    assert OutboundEmail.objects.count() == 3
    assert "3 email(s)" in out.getvalue()
    out = StringIO()
    call_command("send_digests", "--subscription", str(subscription.pk), "--period", "2026-03-16", stdout=out)
    assert "already sent" in out.getvalue()
    assert OutboundEmail.objects.count() == 3
    # Without --subscription: every active one, the weekly one already done.
    call_command("send_digests", "--period", "2026-03-16", stdout=StringIO())
    assert Digest.objects.count() == 2
    assert OutboundEmail.objects.count() == 4


def test_send_digests_rebuilds_a_failed_digest(subscription, monkeypatch):
    monkeypatch.setattr(digests, "figures_compute", lambda **kw: 1 / 0)
    err = StringIO()
    call_command(
        "send_digests", "--subscription", str(subscription.pk), "--period", "2026-03-16", stderr=err, stdout=StringIO()
    )
    assert "ZeroDivisionError" in err.getvalue()
    assert Digest.objects.get().status == Digest.Status.FAILED
    monkeypatch.undo()
    call_command("send_digests", "--subscription", str(subscription.pk), "--period", "2026-03-16", stdout=StringIO())
    assert Digest.objects.get().status == Digest.Status.SENT


@pytest.mark.parametrize("args", [["--period", "2026-13-01"], ["--period", "yesterday"], ["--subscription", "999999"]])
def test_send_digests_refuses_bad_arguments_without_a_traceback(subscription, args):
    with pytest.raises(CommandError):
        call_command("send_digests", *args, stdout=StringIO())
    assert not Digest.objects.exists()


def test_subscriptions_reading_the_same_figures_share_one_rendering_each_with_its_own_name(
    beat, subscription, product_owner, team, monkeypatch
):
    twin = services.subscription_save(
        actor=product_owner,
        data={
            "name": 'R&D <weekly> "twin"',
            "team": team,
            "language": "en",
            "frequency": "weekly",
            "weekday": 0,
            "hour": 8,
            "minute": 0,
            "timezone": "Europe/Paris",
        },
    )
    renders = []
    real = digests.digest_render
    monkeypatch.setattr(digests, "digest_render", lambda **kw: renders.append(1) or real(**kw))
    beat()
    mine, theirs = Digest.objects.get(subscription=subscription), Digest.objects.get(subscription=twin)
    assert len(renders) == 1  # same scope, sections, language, zone and period: rendered once
    assert mine.figures == theirs.figures
    assert mine.subject.startswith("Sales weekly:") and theirs.subject.startswith('R&D <weekly> "twin":')
    assert "Sales weekly" in mine.text_body and 'R&D <weekly> "twin"' in theirs.text_body
    assert "R&amp;D &lt;weekly&gt; &quot;twin&quot;" in theirs.html_body and "<weekly>" not in theirs.html_body
    assert "Sales weekly" in mine.html_body and "twin" not in mine.html_body
    for digest in (mine, theirs):
        assert digests.NAME_PLACEHOLDER not in digest.subject + digest.text_body + digest.html_body
    emails = OutboundEmail.objects.filter(idempotency_key__startswith=f"digest:{twin.pk}:")
    assert emails.exists() and all("twin" in e.subject and digests.NAME_PLACEHOLDER not in e.html_body for e in emails)
