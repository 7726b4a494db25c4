"""The organization pages: the list, the company dossier, create and edit, and the dossier's links
from the triage inbox and a request's page.

The dossier's figures equal hand counts over the data made here (Acme has more of everything than
Globex); nothing of Globex ever shows in Acme's dossier; clients get 404 and a contributor 403 on
the product owner's pages; the list's and the dossier's query counts are pinned and do not grow
with more requests, votes, contacts, emails, decisions or club activity."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from accounts.services import invitation_create
from clubs import services as club_services
from core.models import OutboundEmail
from feedback.models import FeedbackEvent
from feedback.services import feedback_change_status, vote_cast
from reporting.dossier import dossier_for
from roadmap import services as roadmap_services
from tests.factories import OrganizationFactory, client_user, feedback_for

GLOBEX_SECRETS = (
    "Globex",
    "globex",
    "Gina",
    "Hugo",
    "Merger plan 9z",
    "Payroll item 4k",
    "Salary reason 5t",
    "Shred the files 8w",
    "Globex quarterly subject",
)


def _email(user, subject: str, *, sensitive: bool = False, key: str = "") -> OutboundEmail:
    return OutboundEmail.objects.create(
        to_email=user.email,
        recipient=user,
        subject=subject,
        text_body="[redacted]" if sensitive else f"Body of {subject}",
        secret_text_body="SECRET-BODY-TOKEN-31337" if sensitive else "",
        is_sensitive=sensitive,
        template="tests/email",
        language="en",
        idempotency_key=key or f"test:{user.pk}:{subject}",
    )


def _mark_told(feedback) -> None:
    FeedbackEvent.objects.filter(feedback=feedback, kind=FeedbackEvent.Kind.STATUS).update(fanned_out_at=timezone.now())


@pytest.fixture
def world(product_owner, org_a, org_b, admin_a, member_a, more_members_a, admin_b, member_b):
    """Acme: 5 people (1 admin), 5 requests (2 open, 2 decided, 1 shipped), 8 votes, one decision,
    4 status changes (2 told, 1 silent, 1 pending), one roadmap item, a club, a held meeting, an
    open action item and 3 emails. Globex: one private request with its secrets everywhere."""
    today = timezone.localdate()
    Organization.objects.filter(pk=org_a.pk).update(
        tier=Organization.Tier.PREMIUM,
        segment=Organization.Segment.ENTERPRISE,
        renewal_date=today + timedelta(days=30),
        account_owner=product_owner,
    )
    po = product_owner
    more0, more1, _more2 = more_members_a
    r_new = feedback_for(author=member_a, title="Acme export to PDF", importance="critical")
    r_review = feedback_for(author=admin_a, title="Acme bulk edit of invoices", importance="important")
    r_planned = feedback_for(author=member_a, title="Acme calendar sync", importance="important")
    r_shipped = feedback_for(author=more0, title="Acme dark mode please", importance="nice_to_have")
    r_declined = feedback_for(author=member_a, title="Acme fax integration", importance="nice_to_have")
    feedback_change_status(feedback=r_review, actor=po, status="under_review")
    roadmap_services.decision_record(actor=po, kind="accepted", feedback=r_planned, expected_outcome="Fewer calls")
    feedback_change_status(feedback=r_shipped, actor=po, status="shipped")
    feedback_change_status(feedback=r_declined, actor=po, status="declined", public_message="Not ours", notify=False)
    _mark_told(r_planned)
    _mark_told(r_shipped)
    vote_cast(feedback=r_new, user=admin_a, importance="critical")
    vote_cast(feedback=r_new, user=more1, importance="important")
    vote_cast(feedback=r_planned, user=admin_a, importance="critical")
    item = roadmap_services.item_create(actor=po, title="Exports everywhere")
    roadmap_services.item_link_feedback(item=item, feedback=r_new, actor=po)
    invitation_create(inviter=po, organization=org_a, email="newcomer@acme.test", role="admin", language="fr")

    club = club_services.club_create(actor=po, name="Finance club", language="en")
    for person in (admin_a, member_a, member_b):
        club_services.member_add(club=club, actor=po, user=person)
    start = timezone.now() + timedelta(days=2)
    meeting = club_services.meeting_create(
        club=club, actor=po, title="Spring meeting", starts_at=start, ends_at=start + timedelta(hours=2)
    )
    club_services.invitations_send(meeting=meeting, actor=po)
    club_services.attendance_set(meeting=meeting, actor=po, user=admin_a, attended=True)
    club_services.attendance_set(meeting=meeting, actor=po, user=member_b, attended=True)
    club_services.meeting_mark_held(meeting=meeting, actor=po)
    club_services.action_item_create(
        club=club, actor=po, title="Send the export samples", owner=member_a, due_date=today - timedelta(days=1)
    )
    _email(admin_a, "Acme welcome")
    _email(member_a, "Your sign-in code", sensitive=True)
    _email(more0, "Acme status change")

    # Globex: its secrets in every kind of row.
    g_secret = feedback_for(author=admin_b, title="Merger plan 9z")
    vote_cast(feedback=g_secret, user=member_b, importance="critical")
    g_item = roadmap_services.item_create(actor=po, title="Payroll item 4k")
    roadmap_services.item_link_feedback(item=g_item, feedback=g_secret, actor=po)
    roadmap_services.decision_record(actor=po, kind="declined", feedback=g_secret, public_message="Salary reason 5t")
    club_services.action_item_create(club=club, actor=po, title="Shred the files 8w", owner=member_b)
    _email(admin_b, "Globex quarterly subject")
    _email(member_b, "Globex quarterly subject", key="globex-2")
    return {
        "requests": {"new": r_new, "review": r_review, "planned": r_planned, "shipped": r_shipped},
        "item": item,
        "club": club,
        "meeting": meeting,
        "g_secret": g_secret,
    }


# The figures ------------------------------------------------------------------------------------


def test_dossier_figures_equal_hand_counts(world, org_a, product_owner, django_assert_num_queries):
    org_a.refresh_from_db()
    with django_assert_num_queries(13):
        d = dossier_for(org_a)
    assert d["revenue"]["annual_contract_value"] == Decimal("120000")
    assert d["revenue"]["renewal_in_days"] == 30
    assert d["revenue"]["renewal_soon"] is True
    assert d["revenue"]["tier"] == "premium"
    assert d["revenue"]["segment"] == "enterprise"
    assert d["revenue"]["account_owner"]["email"] == product_owner.email

    contacts = d["contacts"]
    assert (contacts["total"], contacts["admins"], contacts["members"]) == (5, 1, 4)
    assert contacts["people"][0]["email"] == "admin@acme.test"  # admins first
    assert {p["role"] for p in contacts["people"]} == {"admin", "member"}
    assert next(p for p in contacts["people"] if p["email"] == "admin@acme.test")["language"] == "fr"
    assert contacts["pending_invitations"] == 1
    assert contacts["invitations"][0]["email"] == "newcomer@acme.test"

    q = d["requests"]
    assert (q["total"], q["open"], q["decided"], q["shipped"], q["merged"]) == (5, 2, 2, 1, 0)
    assert [r["title"] for r in q["open_list"]] == ["Acme bulk edit of invoices", "Acme export to PDF"]
    assert {r["title"] for r in q["decided_list"]} == {"Acme calendar sync", "Acme fax integration"}
    assert [r["title"] for r in q["shipped_list"]] == ["Acme dark mode please"]

    v = d["votes"]
    assert (v["total"], v["voters"], v["requests"]) == (8, 4, 5)
    assert {i["importance"]: i["count"] for i in v["by_importance"]} == {
        "critical": 3,
        "important": 3,
        "nice_to_have": 2,
    }
    assert [(t["title"], t["votes"], t["critical"]) for t in v["top"][:2]] == [
        ("Acme export to PDF", 3, 2),
        ("Acme calendar sync", 2, 1),
    ]

    assert (d["decisions"]["total"], d["decisions"]["told"]) == (1, 1)
    assert d["decisions"]["list"][0]["feedback_title"] == "Acme calendar sync"
    loop = d["loop"]
    assert (loop["status_changes"], loop["told"], loop["silent"], loop["pending"]) == (4, 2, 1, 1)
    assert {x["title"] for x in loop["not_told_list"]} == {"Acme fax integration", "Acme bulk edit of invoices"}

    assert d["roadmap"]["total"] == 1
    assert (d["roadmap"]["items"][0]["title"], d["roadmap"]["items"][0]["requests_asked"]) == ("Exports everywhere", 1)

    clubs = d["clubs"]
    assert [(m["club_name"], m["active"]) for m in clubs["memberships"]] == [("Finance club", 2)]
    assert sorted(clubs["memberships"][0]["names"]) == ["Alice Martin", "Bob Stone"]
    meetings = clubs["meetings"]
    assert (meetings["held"], meetings["held_attended"], meetings["invited_held"], meetings["attended_held"]) == (
        1,
        1,
        2,
        1,
    )
    assert (clubs["actions"]["open"], clubs["actions"]["late"]) == (1, 1)
    assert clubs["actions"]["list"][0]["title"] == "Send the export samples"

    emails = d["emails"]["list"]
    assert sorted(e["subject"] for e in emails) == ["Acme status change", "Acme welcome", "Your sign-in code"]
    assert next(e for e in emails if e["subject"] == "Your sign-in code")["is_sensitive"] is True


def test_a_company_with_nothing_yet(org_b, db):
    empty = OrganizationFactory(name="Initech", slug="initech")
    d = dossier_for(empty)
    assert d["contacts"]["total"] == 0
    assert d["requests"]["total"] == 0
    assert d["votes"]["total"] == 0
    assert d["decisions"]["total"] == 0
    assert d["loop"]["rate"] is None
    assert d["roadmap"] == {"total": 0, "items": []}
    assert d["emails"]["list"] == []


# The page ---------------------------------------------------------------------------------------


def test_dossier_page_shows_the_company_and_nothing_of_another(world, login, product_owner, org_a):
    response = login(product_owner).get(reverse("reporting:organization", args=[org_a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for shown in (
        "Acme",
        "Acme export to PDF",
        "Exports everywhere",
        "Finance club",
        "Send the export samples",
        "Acme welcome",
        "newcomer@acme.test",
        reverse("feedback:triage_detail", args=[world["requests"]["new"].pk]),
        reverse("roadmap:item", args=[world["item"].pk]),
        reverse("clubs:meeting", args=[world["meeting"].pk]),
    ):
        assert shown in html, shown
    for secret in GLOBEX_SECRETS:
        assert secret not in html, secret
    assert reverse("feedback:triage_detail", args=[world["g_secret"].pk]) not in html
    assert "SECRET-BODY-TOKEN-31337" not in html  # never the body of an email, sensitive or not
    assert "Body of Acme welcome" not in html
    email = OutboundEmail.objects.get(subject="Acme welcome")
    assert reverse("core:email_detail", args=[email.pk]) in html  # a product owner opens the email log


def test_a_contributor_reads_the_dossier_without_the_email_log_links(world, login, contributor, org_a):
    response = login(contributor).get(reverse("reporting:organization", args=[org_a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme welcome" in html
    assert reverse("core:email_detail", args=[OutboundEmail.objects.get(subject="Acme welcome").pk]) not in html
    assert reverse("reporting:organization_edit", args=[org_a.pk]) not in html


@pytest.mark.parametrize("who", ["admin_a", "member_a", "admin_b", "member_b"])
@pytest.mark.parametrize("route", ["organization", "organization_edit"])
def test_clients_get_404(request, login, org_a, who, route):
    user = request.getfixturevalue(who)
    http = login(user)
    assert http.get(reverse(f"reporting:{route}", args=[org_a.pk])).status_code == 404
    assert http.get(reverse("reporting:organizations")).status_code == 404
    assert http.get(reverse("reporting:organization_new")).status_code == 404


def test_signed_out_goes_to_sign_in(client, org_a):
    response = client.get(reverse("reporting:organization", args=[org_a.pk]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_missing_organization_is_404(login, product_owner):
    assert login(product_owner).get(reverse("reporting:organization", args=[987654])).status_code == 404


# Query counts -----------------------------------------------------------------------------------


def _grow(org, product_owner, world, n: int) -> None:
    """n more people, each with a request, votes, an email, a decision, a club membership and an action item."""
    club = world["club"]
    people = [client_user(organization=org, email=f"grow{n}-{i}@acme.test", name=f"Grown {i}") for i in range(n)]
    for i, person in enumerate(people):
        fb = feedback_for(author=person, title=f"Grown request {n}-{i}")
        vote_cast(feedback=world["requests"]["new"], user=person, importance="critical")
        feedback_change_status(feedback=fb, actor=product_owner, status="planned")
        roadmap_services.decision_record(actor=product_owner, kind="declined", feedback=fb, public_message="No")
        roadmap_services.item_link_feedback(item=world["item"], feedback=fb, actor=product_owner)
        club_services.member_add(club=club, actor=product_owner, user=person)
        club_services.attendance_set(meeting=world["meeting"], actor=product_owner, user=person, attended=True)
        club_services.action_item_create(club=club, actor=product_owner, title=f"Grown action {i}", owner=person)
        _email(person, f"Grown email {i}")


DOSSIER_QUERIES = 16  # session and user: 2; the organization: 1; the dossier: 13


def test_dossier_query_count_is_pinned_and_does_not_grow(world, login, product_owner, org_a):
    http = login(product_owner)
    url = reverse("reporting:organization", args=[org_a.pk])
    http.get(url)
    with CaptureQueriesContext(connection) as small:
        assert http.get(url).status_code == 200
    _grow(org_a, product_owner, world, 6)
    with CaptureQueriesContext(connection) as large:
        response = http.get(url)
    assert response.status_code == 200
    assert "Grown request 6-5" in response.content.decode()
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    assert len(small) == DOSSIER_QUERIES, [q["sql"][:120] for q in small.captured_queries]


LIST_QUERIES = 4  # session, user; the page of organizations (owners joined); their contact counts


def test_list_query_count_is_pinned_and_does_not_grow(login, product_owner, org_a, org_b, admin_a):
    http = login(product_owner)
    url = reverse("reporting:organizations")
    http.get(url)
    with CaptureQueriesContext(connection) as small:
        assert http.get(url).status_code == 200
    Organization.objects.bulk_create(
        [Organization(name=f"Bulk {i:03}", slug=f"bulk-{i:03}", email_domains=[f"bulk{i}.example"]) for i in range(80)]
    )
    for org in Organization.objects.filter(slug__startswith="bulk-")[:10]:
        client_user(organization=org, email=f"p@{org.email_domains[0]}")
    with CaptureQueriesContext(connection) as large:
        response = http.get(url)
    assert response.status_code == 200
    assert len(response.context["page"]) == 50
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    assert len(small) == LIST_QUERIES, [q["sql"][:120] for q in small.captured_queries]


# The list ---------------------------------------------------------------------------------------


def test_list_search_filters_sorts_and_links_to_the_dossier(login, product_owner, org_a, org_b, admin_a, member_a):
    Organization.objects.filter(pk=org_b.pk).update(segment="public_sector", tier="strategic")
    OrganizationFactory(name="Initech", slug="initech", email_domains=["initech.com"], annual_contract_value=500)
    http = login(product_owner)
    url = reverse("reporting:organizations")

    def names(**params):
        response = http.get(url, params)
        assert response.status_code == 200
        return [o.name for o in response.context["page"]]

    assert names() == ["Acme", "Globex", "Initech"]
    assert names(q="initech.com") == ["Initech"]
    assert names(q="@initech") == ["Initech"]
    assert names(q="glob") == ["Globex"]
    assert names(q="acme") == ["Acme"]
    assert names(segment="public_sector") == ["Globex"]
    assert names(tier="strategic") == ["Globex"]
    assert names(sort="-acv") == ["Acme", "Globex", "Initech"]
    assert names(sort="-acv", segment="mid_market") == ["Acme", "Initech"]
    html = http.get(url).content.decode()
    assert reverse("reporting:organization", args=[org_a.pk]) in html
    assert reverse("reporting:organization_new") in html
    assert reverse("reporting:organization_import") in html
    acme_row = http.get(url, {"q": "acme"}).context["page"].object_list[0]
    assert acme_row.contact_count == 2


def test_list_sorted_by_renewal_puts_unknown_dates_last(login, product_owner, db):
    today = timezone.localdate()
    OrganizationFactory(name="Later", renewal_date=today + timedelta(days=200))
    OrganizationFactory(name="Soon", renewal_date=today + timedelta(days=10))
    OrganizationFactory(name="Unknown", renewal_date=None)
    response = login(product_owner).get(reverse("reporting:organizations"), {"sort": "renewal"})
    assert [o.name for o in response.context["page"]] == ["Soon", "Later", "Unknown"]
    assert [o.renewal_soon for o in response.context["page"]] == [True, False, False]


def test_list_paginates_without_counting(login, product_owner, db):
    Organization.objects.bulk_create([Organization(name=f"Company {i:03}", slug=f"c-{i:03}") for i in range(120)])
    http = login(product_owner)
    page3 = http.get(reverse("reporting:organizations"), {"page": 3})
    assert [o.name for o in page3.context["page"]][:1] == ["Company 100"]
    assert not page3.context["page"].has_next
    assert 'rel="prev"' in page3.content.decode()


def test_a_contributor_sees_the_list_without_the_product_owner_buttons(login, contributor, org_a):
    html = login(contributor).get(reverse("reporting:organizations")).content.decode()
    assert "Acme" in html
    assert reverse("reporting:organization_new") not in html
    assert reverse("reporting:organization_import") not in html


# Create and edit --------------------------------------------------------------------------------


def _form(**values):
    data = {
        "name": "Initech",
        "slug": "",
        "email_domains": "Initech.com, @initech.fr\ninitech.com",
        "segment": "enterprise",
        "tier": "premium",
        "annual_contract_value": "85000.50",
        "renewal_date": "2027-03-31",
        "account_owner": "",
    }
    data.update(values)
    return data


def test_product_owner_creates_an_organization_with_a_slug_from_its_name(login, product_owner, org_a):
    http = login(product_owner)
    response = http.post(reverse("reporting:organization_new"), _form(account_owner=product_owner.pk))
    org = Organization.objects.get(name="Initech")
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:organization", args=[org.pk])
    assert org.slug == "initech"
    assert org.email_domains == ["initech.com", "initech.fr"]
    assert org.annual_contract_value == Decimal("85000.50")
    assert str(org.renewal_date) == "2027-03-31"
    assert org.account_owner == product_owner
    # A second company of the same name gets a slug of its own.
    http.post(reverse("reporting:organization_new"), _form(email_domains="initech2.com"))
    assert sorted(Organization.objects.filter(name="Initech").values_list("slug", flat=True)) == [
        "initech",
        "initech-2",
    ]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"email_domains": "ACME.example"}, "email_domains", "already used by Acme"),
        ({"email_domains": "not a domain!"}, "email_domains", "is not a valid email domain"),
        ({"slug": "acme"}, "slug", "Another organization already has this slug."),
        ({"slug": "bad slug!"}, "slug", ""),
        ({"annual_contract_value": "-1"}, "annual_contract_value", ""),
        ({"annual_contract_value": "1234567890123"}, "annual_contract_value", ""),
        ({"name": ""}, "name", ""),
        ({"renewal_date": "31/03/2027"}, "renewal_date", ""),
        ({"segment": "galactic"}, "segment", ""),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_written(login, product_owner, org_a, values, field, message):
    before = Organization.objects.count()
    response = login(product_owner).post(reverse("reporting:organization_new"), _form(**values))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert Organization.objects.count() == before


def test_a_client_user_cannot_be_the_account_owner(login, product_owner, admin_a):
    response = login(product_owner).post(reverse("reporting:organization_new"), _form(account_owner=admin_a.pk))
    assert response.status_code == 400
    assert "account_owner" in response.context["form"].errors


def test_product_owner_edits_an_organization(login, product_owner, org_a, org_b):
    http = login(product_owner)
    url = reverse("reporting:organization_edit", args=[org_a.pk])
    page = http.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["email_domains"] == "acme.example"
    response = http.post(
        url, _form(name="Acme Corp", slug="acme", email_domains="acme.example\nacme.fr", annual_contract_value="0")
    )
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert (org_a.name, org_a.slug, org_a.email_domains) == ("Acme Corp", "acme", ["acme.example", "acme.fr"])
    assert org_a.annual_contract_value == 0
    # Globex's domain stays Globex's.
    response = http.post(url, _form(slug="acme", email_domains=org_b.email_domains[0]))
    assert response.status_code == 400
    assert "already used by Globex" in " ".join(response.context["form"].errors["email_domains"])


def test_contributor_gets_403_on_create_and_edit(login, contributor, org_a):
    http = login(contributor)
    assert http.get(reverse("reporting:organization_new")).status_code == 403
    assert http.post(reverse("reporting:organization_new"), _form()).status_code == 403
    assert http.post(reverse("reporting:organization_edit", args=[org_a.pk]), _form(slug="acme")).status_code == 403
    assert not Organization.objects.filter(name="Initech").exists()
    org_a.refresh_from_db()
    assert org_a.name == "Acme"


# The way in from triage -------------------------------------------------------------------------


def test_the_inbox_and_the_request_page_link_to_the_dossier(login, product_owner, member_a, org_a):
    feedback = feedback_for(author=member_a, title="Acme wants a dossier link")
    http = login(product_owner)
    dossier_url = reverse("reporting:organization", args=[org_a.pk])
    inbox = http.get(reverse("feedback:triage_inbox")).content.decode()
    assert (
        f'<a href="{dossier_url}" data-testid="dossier-link">Acme<span class="visually-hidden"> (company dossier)'
        in inbox
    )
    detail = http.get(reverse("feedback:triage_detail", args=[feedback.pk])).content.decode()
    assert dossier_url in detail
    assert "Open the dossier of Acme" in detail
