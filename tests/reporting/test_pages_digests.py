"""The subscriptions, teams, archive and unsubscribe pages through HTTP: create, edit and delete with
bad input (nothing half-written), a contributor's 403 on every write, a client's 404 everywhere,
"send now" once per period, the archive with each recipient's send status, the preview's own
security headers, rebuilding a failed digest, the one-click unsubscribe without sign-in (only for
its own subscription), and pinned query counts."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Team
from core.models import OutboundEmail
from reporting import digests, services
from reporting.digests import unsubscribe_token
from reporting.models import Digest, DigestDelivery, DigestSubscription
from tests.factories import OrganizationFactory
from tests.reporting.conftest import OUTSIDE

FORM = {
    "name": "Support weekly",
    "recipients": "team",
    "language": "fr",
    "frequency": "weekly",
    "weekday": "2",
    "day_of_month": "1",
    "hour": "9",
    "minute": "15",
    "timezone": "America/Montreal",
    "sections": ["incoming", "decisions"],
    "waiting_days": "5",
    "is_active": "on",
}


def _form(**changes) -> dict:
    data = {**FORM, **changes}
    return {k: v for k, v in data.items() if v is not None}


def _send(subscription) -> Digest:
    """Run the build and the send a worker would run after "send now" commits."""
    digest = Digest.objects.filter(subscription=subscription).latest("id")
    digests.digest_build(digest_id=digest.pk)
    digests.digest_send(digest_id=digest.pk)
    digest.refresh_from_db()
    return digest


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# Who reaches what -------------------------------------------------------------------------------


def _pages(subscription, team, digest) -> list[tuple[str, str]]:
    return [
        ("get", reverse("reporting:subscriptions")),
        ("get", reverse("reporting:subscription_new")),
        ("post", reverse("reporting:subscription_new")),
        ("get", reverse("reporting:subscription_edit", args=[subscription.pk])),
        ("post", reverse("reporting:subscription_edit", args=[subscription.pk])),
        ("get", reverse("reporting:subscription_delete", args=[subscription.pk])),
        ("post", reverse("reporting:subscription_delete", args=[subscription.pk])),
        ("post", reverse("reporting:subscription_send_now", args=[subscription.pk])),
        ("get", reverse("reporting:teams")),
        ("get", reverse("reporting:team_new")),
        ("post", reverse("reporting:team_new")),
        ("get", reverse("reporting:team_edit", args=[team.pk])),
        ("post", reverse("reporting:team_edit", args=[team.pk])),
        ("get", reverse("reporting:digests")),
        ("get", reverse("reporting:digest", args=[digest.pk])),
        ("get", reverse("reporting:digest_preview", args=[digest.pk])),
        ("post", reverse("reporting:digest_rebuild", args=[digest.pk])),
    ]


@pytest.fixture
def sent_digest(subscription, product_owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        services.digest_send_now(actor=product_owner, subscription=subscription)
    return _send(subscription)


def test_a_client_gets_404_on_every_page(login, subscription, team, sent_digest, admin_a, member_b):
    for user in (admin_a, member_b):
        client = login(user)
        for method, url in _pages(subscription, team, sent_digest):
            response = getattr(client, method)(url, _form(team=str(team.pk)) if method == "post" else None)
            assert response.status_code == 404, (user, method, url)
    assert DigestSubscription.objects.count() == 1 and Digest.objects.count() == 1
    assert Team.objects.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(client, subscription, team, sent_digest):
    for method, url in _pages(subscription, team, sent_digest):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], (method, url)


def test_a_contributor_reads_but_every_write_is_403_and_writes_nothing(
    login, contributor, subscription, team, sent_digest
):
    client = login(contributor)
    for url in (reverse("reporting:subscriptions"), reverse("reporting:teams"), reverse("reporting:digests")):
        assert client.get(url).status_code == 200
    page = client.get(reverse("reporting:digest", args=[sent_digest.pk]))
    assert page.status_code == 200 and b"digest-rebuild" not in page.content
    listing = client.get(reverse("reporting:subscriptions"))
    assert b'data-testid="send-now"' not in listing.content and b"subscription-new" not in listing.content
    reads = {reverse(n) for n in ("reporting:subscriptions", "reporting:teams", "reporting:digests")}
    reads |= {reverse(n, args=[sent_digest.pk]) for n in ("reporting:digest", "reporting:digest_preview")}
    before = (DigestSubscription.objects.get().updated_at, Team.objects.get().name, Digest.objects.count())
    for method, url in _pages(subscription, team, sent_digest):
        if url in reads:
            continue
        data = _form(team=str(team.pk), name="Hijacked") if method == "post" else None
        assert getattr(client, method)(url, data).status_code == 403, (method, url)
    assert before == (DigestSubscription.objects.get().updated_at, Team.objects.get().name, Digest.objects.count())


# Subscriptions ----------------------------------------------------------------------------------


def test_list_shows_schedule_scope_next_send_and_last_digest(login, product_owner, subscription, sent_digest):
    page = login(product_owner).get(reverse("reporting:subscriptions"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sales weekly" in html and "Sales" in html
    assert "Weekly, Monday at 08:00" in html and "Europe/Paris" in html and "Everything" in html
    row = page.context["subscriptions"][0]
    assert row.next_send is not None and row.next_send.weekday() == 0 and row.next_send.hour == 8
    assert row.next_send > timezone.now()
    assert row.last_digest.pk == sent_digest.pk
    assert reverse("reporting:digest", args=[sent_digest.pk]) in html


def test_a_paused_subscription_has_no_next_send(login, product_owner, subscription):
    services.subscription_save(actor=product_owner, subscription=subscription, data={"is_active": False})
    page = login(product_owner).get(reverse("reporting:subscriptions"))
    assert page.context["subscriptions"][0].next_send is None and b"paused" in page.content


def test_create_a_subscription_for_a_team(login, product_owner, team, org_a, org_b):
    client = login(product_owner)
    assert client.get(reverse("reporting:subscription_new")).status_code == 200
    response = client.post(
        reverse("reporting:subscription_new"),
        _form(team=str(team.pk), organizations=[str(org_b.pk)], segments=["enterprise"], unknown_field="x"),
    )
    assert response.status_code == 302 and response["Location"] == reverse("reporting:subscriptions")
    sub = DigestSubscription.objects.get(name="Support weekly")
    assert (sub.team, sub.user, sub.language, sub.weekday, sub.hour, sub.minute) == (team, None, "fr", 2, 9, 15)
    assert sub.timezone == "America/Montreal" and sub.sections == ["incoming", "decisions"]
    assert list(sub.organizations.all()) == [org_b] and sub.segments == ["enterprise"]
    assert sub.created_by == product_owner and sub.waiting_days == 5 and sub.is_active


def test_create_a_subscription_for_one_person_ignores_the_team_select(login, product_owner, team, contributor):
    response = login(product_owner).post(
        reverse("reporting:subscription_new"),
        _form(recipients="person", team=str(team.pk), user=str(contributor.pk)),
    )
    assert response.status_code == 302
    sub = DigestSubscription.objects.get()
    assert sub.user == contributor and sub.team is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sections": None}, "sections"),  # the service: at least one section
        ({"team": ""}, "team"),  # a team chosen but none selected: the service
        ({"recipients": "person", "user": ""}, "team"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"hour": "24"}, "hour"),
        ({"day_of_month": "31"}, "day_of_month"),
        ({"name": "x\x00y"}, None),  # refused before the view (core's malformed-input guard)
        ({"sections": ["incoming", "gossip"]}, "sections"),
        ({"organizations": ["999999999"]}, "organizations"),
        ({"organizations": ["not-a-number"]}, "organizations"),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(login, product_owner, team, changes, field):
    data = _form(team=str(team.pk))
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    response = login(product_owner).post(reverse("reporting:subscription_new"), data)
    assert response.status_code == 400
    if field:
        assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not DigestSubscription.objects.exists()


def test_a_client_user_as_the_person_is_refused(login, product_owner, admin_a):
    response = login(product_owner).post(
        reverse("reporting:subscription_new"), _form(recipients="person", user=str(admin_a.pk))
    )
    assert response.status_code == 400 and response.context["form"].errors["user"]
    assert not DigestSubscription.objects.exists()


def test_the_person_select_lists_staff_only(login, product_owner, contributor, admin_a, member_b):
    html = login(product_owner).get(reverse("reporting:subscription_new")).content.decode()
    assert f'value="{contributor.pk}"' in html and contributor.name in html
    assert admin_a.name not in html and member_b.name not in html


def test_edit_with_bad_input_leaves_the_subscription_as_it_was(login, product_owner, subscription, team):
    client = login(product_owner)
    page = client.get(reverse("reporting:subscription_edit", args=[subscription.pk]))
    assert page.status_code == 200 and b"Sales weekly" in page.content
    org = OrganizationFactory(name="Initech")
    response = client.post(
        reverse("reporting:subscription_edit", args=[subscription.pk]),
        _form(team=str(team.pk), name="Renamed", organizations=[str(org.pk)], sections=[]),
    )
    assert response.status_code == 400
    subscription.refresh_from_db()
    assert subscription.name == "Sales weekly" and not subscription.organizations.exists()
    response = client.post(
        reverse("reporting:subscription_edit", args=[subscription.pk]),
        _form(team=str(team.pk), name="Renamed", organizations=[str(org.pk)]),
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.name == "Renamed" and list(subscription.organizations.all()) == [org]


def test_the_organization_picker_never_lists_every_company(login, product_owner, subscription, team):
    orgs = [OrganizationFactory(name=f"Umbrella {i:02d}") for i in range(30)]
    services.subscription_save(actor=product_owner, subscription=subscription, data={"organizations": [orgs[3]]})
    client = login(product_owner)
    url = reverse("reporting:subscription_edit", args=[subscription.pk])
    html = client.get(url).content.decode()
    assert "Umbrella 03" in html and "Umbrella 04" not in html
    # The search (htmx): the ticked ones kept, 20 matches at most, none ticked twice.
    found = client.get(
        url, {"org_q": "umbrella", "organizations": [str(orgs[3].pk), "junk"]}, headers={"HX-Request": "true"}
    )
    assert found.status_code == 200
    body = found.content.decode()
    assert body.count(f'value="{orgs[3].pk}" checked') == 1 and body.count(f'value="{orgs[3].pk}"') == 1
    assert body.count('name="organizations"') == 21 and "type more of the name" in body
    assert "<html" not in body
    short = client.get(url, {"org_q": "u"}, headers={"HX-Request": "true"}).content.decode()
    assert 'name="organizations"' not in short and "two letters" in short


def test_delete_asks_then_deletes(login, product_owner, subscription, sent_digest):
    client = login(product_owner)
    url = reverse("reporting:subscription_delete", args=[subscription.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and b"Its 1 digest leaves the archive" in confirm.content
    assert DigestSubscription.objects.exists()
    response = client.post(url)
    assert response.status_code == 302 and not DigestSubscription.objects.exists()
    assert client.post(url).status_code == 404


def test_unknown_ids_are_404(login, product_owner):
    client = login(product_owner)
    for name in ("subscription_edit", "subscription_delete", "team_edit", "digest", "digest_preview"):
        assert client.get(reverse(f"reporting:{name}", args=[99999])).status_code == 404, name


# Send now ---------------------------------------------------------------------------------------


def test_send_now_queues_one_digest_and_a_second_is_refused_once_sent(
    login, product_owner, subscription, contributor, django_capture_on_commit_callbacks
):
    client = login(product_owner)
    url = reverse("reporting:subscription_send_now", args=[subscription.pk])
    assert client.get(url).status_code == 405
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, follow=True)
    assert len(callbacks) == 1  # the build, published after commit
    digest = Digest.objects.get()
    assert digest.status == Digest.Status.PENDING and digest.requested_by == product_owner
    (message,) = _messages(response)
    assert "queued; it will be in the archive in a moment" in message
    assert reverse("reporting:digest", args=[digest.pk]) in response.content.decode()
    digest = _send(subscription)
    assert digest.status == Digest.Status.SENT
    assert DigestDelivery.objects.filter(digest=digest).count() == 3  # two staff members and the outside address

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, follow=True)
    assert not callbacks and Digest.objects.count() == 1
    assert _messages(response) == ["The digest of this period was already sent; it is in the archive."]


# The archive ------------------------------------------------------------------------------------


def test_archive_lists_digests_newest_first_with_filters(login, contributor, subscription, person_subscription):
    today = timezone.localdate()
    old = Digest.objects.create(
        subscription=subscription,
        period_start=today - dt.timedelta(days=14),
        period_end=today - dt.timedelta(days=7),
        due_at=timezone.now(),
        status=Digest.Status.FAILED,
        error="OperationalError: the figures timed out",
    )
    new = Digest.objects.create(
        subscription=person_subscription,
        period_start=today - dt.timedelta(days=1),
        period_end=today,
        due_at=timezone.now(),
        status=Digest.Status.SENT,
        sent_at=timezone.now(),
    )
    client = login(contributor)
    page = client.get(reverse("reporting:digests"))
    assert [d.pk for d in page.context["page"]] == [new.pk, old.pk]
    assert b"the figures timed out" in page.content
    only_failed = client.get(reverse("reporting:digests"), {"status": "failed"})
    assert [d.pk for d in only_failed.context["page"]] == [old.pk]
    only_person = client.get(reverse("reporting:digests"), {"subscription": person_subscription.pk})
    assert [d.pk for d in only_person.context["page"]] == [new.pk]
    junk = client.get(reverse("reporting:digests"), {"subscription": "x", "status": "nope", "page": "-3"})
    assert junk.status_code == 200 and len(junk.context["page"]) == 2


def test_digest_page_shows_each_recipients_send_status(login, product_owner, contributor, sent_digest):
    OutboundEmail.objects.filter(to_email=OUTSIDE).update(
        status=OutboundEmail.Status.FAILED, attempts=2, last_error="550 mailbox unavailable"
    )
    page = login(product_owner).get(reverse("reporting:digest", args=[sent_digest.pk]))
    assert page.status_code == 200
    rows = {d.email: d.outbound for d in page.context["deliveries"]}
    assert set(rows) == {"sales@retour.test", "reader@retour.test", OUTSIDE}
    html = page.content.decode()
    assert "550 mailbox unavailable" in html and html.count('data-testid="recipient-row"') == 3
    assert reverse("core:email_detail", args=[rows[OUTSIDE].pk]) in html  # the product owner opens the log entry
    assert reverse("reporting:digest_preview", args=[sent_digest.pk]) in html and "sandbox" in html
    assert "Unsubscribe in one click" in html  # the plain text, in a <pre>
    assert "unsubscribe-placeholder" not in html
    # A contributor sees the statuses, not the links to the email log (product owners only).
    html = login(contributor).get(reverse("reporting:digest", args=[sent_digest.pk])).content.decode()
    assert "550 mailbox unavailable" in html and reverse("core:email_detail", args=[rows[OUTSIDE].pk]) not in html


def test_preview_has_its_own_strict_policy_and_may_be_framed_by_the_site_only(login, contributor, sent_digest):
    response = login(contributor).get(reverse("reporting:digest_preview", args=[sent_digest.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "text/html; charset=utf-8"
    policy = {d.strip() for d in response["Content-Security-Policy"].split(";")}
    assert policy == {"default-src 'none'", "style-src 'unsafe-inline'", "img-src data:", "frame-ancestors 'self'"}
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response.content.decode() == digests.archive_html(sent_digest)
    assert "unsubscribe-placeholder" not in response.content.decode()
    # Every other page keeps the site's policy.
    other = login(contributor).get(reverse("reporting:digest", args=[sent_digest.pk]))
    assert other["X-Frame-Options"] == "DENY" and "'unsafe-inline'" not in other["Content-Security-Policy"]


def test_rebuild_a_failed_digest(login, product_owner, subscription, monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        services.digest_send_now(actor=product_owner, subscription=subscription)
    digest = Digest.objects.get()

    def broken(**kwargs):
        raise RuntimeError("figures exploded")

    with monkeypatch.context() as patch:
        patch.setattr(digests, "figures_compute", broken)
        digests.digest_build(digest_id=digest.pk)
    digest.refresh_from_db()
    assert digest.status == Digest.Status.FAILED
    client = login(product_owner)
    page = client.get(reverse("reporting:digest", args=[digest.pk]))
    assert b"RuntimeError: figures exploded" in page.content and b'data-testid="digest-rebuild"' in page.content
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("reporting:digest_rebuild", args=[digest.pk]), follow=True)
    assert len(callbacks) == 1 and "being built again" in _messages(response)[0]
    digest.refresh_from_db()
    assert digest.status == Digest.Status.PENDING and digest.error == ""
    digest = _send(subscription)
    assert digest.status == Digest.Status.SENT
    # A sent digest stays as it was told.
    response = client.post(reverse("reporting:digest_rebuild", args=[digest.pk]), follow=True)
    assert _messages(response) == ["This digest was sent: it stays as it was told."]


# Teams ------------------------------------------------------------------------------------------


def test_create_and_edit_a_team(login, product_owner, contributor, org_a):
    client = login(product_owner)
    assert client.get(reverse("reporting:team_new")).status_code == 200
    response = client.post(
        reverse("reporting:team_new"),
        {
            "name": "Support",
            "members": [str(contributor.pk)],
            "extra_emails": "agency@partner.example\n\n  other@partner.example ; agency@partner.example",
            "language": "fr",
        },
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Support")
    assert list(team.members.all()) == [contributor] and team.language == "fr"
    assert team.extra_emails == ["agency@partner.example", "other@partner.example"]
    page = client.get(reverse("reporting:team_edit", args=[team.pk]))
    assert b"agency@partner.example\nother@partner.example" in page.content
    listing = client.get(reverse("reporting:teams")).content.decode()
    assert "Support" in listing


@pytest.mark.parametrize(
    ("extra", "members", "message"),
    [
        ("boss@acme.example", [], "belongs to a client company"),  # Acme's email domain
        ("admin@acme.test", [], "is a client user"),
        ("not an address", [], "Not an email address"),
        ("", ["admin_a"], "Select a valid choice"),  # the members list is staff only
    ],
)
def test_a_team_refuses_client_addresses_and_writes_nothing(
    request, login, product_owner, team, admin_a, extra, members, message
):
    members = [str(request.getfixturevalue(m).pk) for m in members]
    response = login(product_owner).post(
        reverse("reporting:team_edit", args=[team.pk]),
        {"name": "Renamed", "extra_emails": f"ok@partner.example\n{extra}", "language": "en", "members": members},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    team.refresh_from_db()
    assert team.name == "Sales" and team.extra_emails == [OUTSIDE]


# Unsubscribe ------------------------------------------------------------------------------------


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def _unsubscribe_url(subscription, email: str = OUTSIDE) -> str:
    return reverse("reporting:unsubscribe", args=[unsubscribe_token(subscription.pk, email)])


def test_unsubscribe_page_then_button_then_subscribe_again(csrf_client, subscription):
    url = _unsubscribe_url(subscription)
    page = csrf_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sales weekly" in html and OUTSIDE in html and 'data-testid="unsubscribe-button"' in html
    token = csrf_client.cookies["csrftoken"].value
    done = csrf_client.post(url, {"action": "unsubscribe", "csrfmiddlewaretoken": token})
    assert done.status_code == 200 and b'data-testid="unsubscribe-done"' in done.content
    subscription.refresh_from_db()
    assert subscription.unsubscribed == [OUTSIDE]
    assert OUTSIDE not in [a for a, _ in digests.digest_recipients(subscription)]
    again = csrf_client.post(url, {"action": "resubscribe", "csrfmiddlewaretoken": token})
    assert again.status_code == 200 and b'data-testid="resubscribed"' in again.content
    subscription.refresh_from_db()
    assert subscription.unsubscribed == []


def test_a_page_post_without_csrf_token_is_refused(csrf_client, subscription):
    response = csrf_client.post(_unsubscribe_url(subscription), {"action": "unsubscribe"})
    assert response.status_code == 403
    subscription.refresh_from_db()
    assert subscription.unsubscribed == []


def test_one_click_unsubscribe_needs_no_cookie_nor_csrf(csrf_client, subscription):
    """RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click` to the link, nothing else."""
    response = csrf_client.post(
        _unsubscribe_url(subscription),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200 and b'data-testid="unsubscribe-done"' in response.content
    subscription.refresh_from_db()
    assert subscription.unsubscribed == [OUTSIDE]
    again = csrf_client.post(
        _unsubscribe_url(subscription), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert again.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed == [OUTSIDE]  # idempotent


def test_the_page_speaks_the_subscriptions_language(client, person_subscription, product_owner):
    page = client.get(_unsubscribe_url(person_subscription, product_owner.email))
    assert page.status_code == 200
    assert '<html lang="fr">' in page.content.decode() and "Mon résumé" in page.content.decode()


def test_a_token_touches_only_its_own_subscription(client, subscription, person_subscription, product_owner):
    client.post(_unsubscribe_url(person_subscription, product_owner.email), {"List-Unsubscribe": "One-Click"})
    subscription.refresh_from_db()
    person_subscription.refresh_from_db()
    assert person_subscription.unsubscribed == [product_owner.email] and subscription.unsubscribed == []


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # tampered signature
        lambda t: t.replace(t.split(":")[0], t.split(":")[0][::-1], 1),  # tampered payload
        lambda t: "nonsense",
        lambda t: t + "\x00",
        lambda t: "\x00" * 20,
        lambda t: "A" * 10_000,
        lambda t: t + "é",
    ],
)
def test_a_forged_token_is_a_translated_404_never_a_500(client, subscription, person_subscription, mangle):
    token = mangle(unsubscribe_token(subscription.pk, OUTSIDE))
    url = reverse("reporting:unsubscribe", args=["placeholder"]).replace("placeholder", token)
    for response in (
        client.get(url),
        client.post(url, {"List-Unsubscribe": "One-Click"}),
        client.post(url, {"action": "unsubscribe"}),
    ):
        assert response.status_code == 404
        assert b"This unsubscribe link is not valid." in response.content
    subscription.refresh_from_db()
    assert subscription.unsubscribed == []


def test_a_deleted_subscriptions_link_says_so(client, subscription, product_owner):
    url = _unsubscribe_url(subscription)
    services.subscription_delete(actor=product_owner, subscription=subscription)
    for response in (client.get(url), client.post(url, {"List-Unsubscribe": "One-Click"})):
        assert response.status_code == 404 and b"no longer exists" in response.content


def test_the_forged_token_page_is_translated(client, subscription):
    response = client.get(reverse("reporting:unsubscribe", args=["forged"]), headers={"accept-language": "fr"})
    assert response.status_code == 404 and '<html lang="fr">' in response.content.decode()


# Query counts -----------------------------------------------------------------------------------


def _grow(product_owner, team, n: int):
    """n more subscriptions, each with areas, organizations, clubs and two digests (one sent)."""
    from clubs.services import club_create
    from feedback.models import ProductArea

    area, _ = ProductArea.objects.get_or_create(name="Billing", slug="billing")
    club = club_create(actor=product_owner, name=f"Club {n}")
    orgs = [OrganizationFactory() for _ in range(2)]
    today = timezone.localdate()
    for i in range(n):
        sub = services.subscription_save(
            actor=product_owner,
            data={
                "name": f"Grown {n}-{i}",
                "team": team,
                "frequency": ["daily", "weekly", "monthly"][i % 3],
                "product_areas": [area],
                "organizations": orgs,
                "clubs": [club],
                "segments": ["enterprise"],
            },
        )
        for back in (7, 14):
            digest = Digest.objects.create(
                subscription=sub,
                period_start=today - dt.timedelta(days=back),
                period_end=today - dt.timedelta(days=back - 7),
                due_at=timezone.now(),
                status=Digest.Status.SENT if back == 14 else Digest.Status.FAILED,
                error="" if back == 14 else "boom",
            )
            DigestDelivery.objects.create(digest=digest, email=f"r{i}-{back}@retour.test")


def _count(client, url) -> CaptureQueriesContext:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return queries


# session, user, subscriptions (with their organization count), areas, clubs, the last digests
LIST_QUERIES = 6
ARCHIVE_QUERIES = 4  # session, user, the subscription filter's choices, the page of digests (with recipients)
DIGEST_QUERIES = 5  # session, user, the digest (with its subscription), its recipients (with their emails), who sent it
TEAM_QUERIES = 3  # session, user, the teams with their counts


@pytest.mark.parametrize(
    ("url_name", "expected"),
    [
        ("reporting:subscriptions", LIST_QUERIES),
        ("reporting:digests", ARCHIVE_QUERIES),
        ("reporting:teams", TEAM_QUERIES),
    ],
)
def test_list_query_counts_are_pinned_and_do_not_grow(login, product_owner, team, url_name, expected):
    client = login(product_owner)
    client.get(reverse("reporting:subscriptions"))  # the first request of a session does more
    _grow(product_owner, team, 2)
    small = _count(client, reverse(url_name))
    _grow(product_owner, team, 6)
    large = _count(client, reverse(url_name))
    assert len(small) == len(large) == expected, "\n".join(q["sql"][:150] for q in large.captured_queries)


def test_digest_page_query_count_does_not_grow_with_recipients(login, product_owner, sent_digest):
    client = login(product_owner)
    url = reverse("reporting:digest", args=[sent_digest.pk])
    client.get(url)  # the first request of a session does more
    small = _count(client, url)
    for i in range(10):
        DigestDelivery.objects.create(digest=sent_digest, email=f"more{i}@retour.test")
    large = _count(client, url)
    assert len(small) == len(large) == DIGEST_QUERIES, "\n".join(q["sql"][:150] for q in large.captured_queries)


# The email itself -------------------------------------------------------------------------------

SECTION_TITLES = ["Incoming requests", "Rising demand", "Decisions", "Responsiveness", "Roadmap", "Clubs"]


def _render(subscription, days: int = 7) -> tuple[str, str, str]:
    """The digest of the `days` up to and including today (so what the test just wrote is in it)."""
    from reporting.figures import Scope, figures_compute

    today = timezone.localdate()
    digest = Digest(
        subscription=subscription,
        period_start=today - dt.timedelta(days=days - 1),
        period_end=today + dt.timedelta(days=1),
        due_at=timezone.now(),
        language=subscription.language,
    )
    window = digests.digest_window(subscription, digest.period_start, digest.period_end)
    figures = figures_compute(scope=Scope.of(subscription), window=window, sections=list(subscription.sections))
    return digests.digest_render(subscription=subscription, digest=digest, figures=figures)


def _assert_tidy_text(text: str) -> None:
    assert "\n\n\n" not in text, text
    assert not text.startswith("\n")
    assert all(line == "-- " or line == line.rstrip() for line in text.splitlines()), text


def test_the_email_is_table_layout_inlined_dark_mode_safe_and_every_item_links(subscription, admin_a, member_a):
    from feedback import services as feedback_services
    from tests.factories import feedback_for

    request = feedback_for(author=admin_a, title="Export the ledger & <taxes>", visibility="public")
    feedback_services.vote_cast(feedback=request, user=member_a, importance="critical")
    subject, text, html = _render(subscription)
    assert "Sales weekly" in subject
    # HTML: a light-only colour scheme, styles inlined (no <style> left), tables rather than lists.
    assert '<meta name="color-scheme" content="light">' in html
    assert "<style" not in html and "<ul" not in html and "<li" not in html
    assert 'class="container"' in html and 'bgcolor="#ffffff"' in html
    assert "Export the ledger &amp; &lt;taxes&gt;" in html
    link = f"http://localhost:8000{reverse('feedback:triage_detail', args=[request.pk])}"
    assert f'href="{link}"' in html
    # Every block that sets a text colour sets its background too, so a dark theme never puts
    # dark text on dark (inline links and spans sit on their block's background).
    blocks = re.findall(r'<(td|th|p|h2|table|body)\b[^>]* style="([^"]*)"', html)
    assert len(blocks) > 50
    for tag, style in blocks:
        if re.search(r"(^|;)\s*color:", style):
            assert "background-color:" in style, (tag, style)
    # Sections in their fixed order, in both versions.
    for body in (html, text):
        positions = [body.index(title) for title in SECTION_TITLES]
        assert positions == sorted(positions)
    # Text: the title as written, its link on the next line, no run of blank lines.
    assert "Export the ledger & <taxes>" in text and f"\n    {link}\n" in text
    _assert_tidy_text(text)
    assert "No activity in this scope" not in text


def test_a_scope_without_activity_says_so_in_one_line(product_owner, subscription, org_b):
    subscription = services.subscription_save(
        actor=product_owner,
        subscription=subscription,
        data={"organizations": [org_b], "sections": ["incoming", "decisions"]},
    )
    _subject, text, html = _render(subscription)
    assert text.count("No activity in this scope during the period.") == 1
    assert html.count("No activity in this scope during the period.") == 1
    assert "Rising demand" not in text and "Decisions" in text
    _assert_tidy_text(text)
