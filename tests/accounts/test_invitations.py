import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Invitation, Membership, User
from accounts.services import invitation_create
from core.models import OutboundEmail


def accept_url_from(email: OutboundEmail) -> str:
    # The log copy says "[redacted]"; the link to send is in the secret body until the email leaves.
    return re.search(r"http://[^\s]+/invitations/[^\s/]+/", email.secret_text_body).group(0).split("8000", 1)[1]


def test_staff_invites_a_client_user_in_the_invitees_language(login, contributor, org_b):
    response = login(contributor).post(
        reverse("accounts:organization_detail", args=[org_b.slug]),
        {"email": "New.Person@Globex.test", "role": "member", "language": "fr"},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.organization, invitation.role) == ("new.person@globex.test", org_b, "member")
    email = OutboundEmail.objects.get(template="accounts/emails/invitation")
    assert email.language == "fr"
    assert "Vous êtes invité" in email.subject or "invit" in email.subject.lower()
    assert email.idempotency_key == f"invitation:{invitation.pk}"
    assert "<table" in email.html_body and 'style="' in email.html_body  # table layout, CSS inlined


def test_client_admin_invites_into_their_own_organization(login, admin_a, org_a):
    response = login(admin_a).post(
        reverse("accounts:organization_detail", args=[org_a.slug]),
        {"email": "x@acme.test", "role": "admin", "language": "en"},
    )
    assert response.status_code == 302
    assert Invitation.objects.get().organization == org_a


def test_client_admin_cannot_invite_into_another_organization(login, admin_a, org_b):
    response = login(admin_a).post(
        reverse("accounts:organization_detail", args=[org_b.slug]),
        {"email": "x@globex.test", "role": "admin", "language": "en"},
    )
    assert response.status_code == 404
    assert not Invitation.objects.exists()
    with pytest.raises(PermissionDenied):
        invitation_create(inviter=admin_a, organization=org_b, email="x@globex.test", role="member", language="en")


def test_client_member_cannot_invite(login, member_a, org_a):
    response = login(member_a).post(
        reverse("accounts:organization_detail", args=[org_a.slug]),
        {"email": "x@acme.test", "role": "member", "language": "en"},
    )
    assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_invitation_form_errors_are_shown_and_nothing_is_written(login, admin_a, org_a, member_a):
    client = login(admin_a)
    response = client.post(
        reverse("accounts:organization_detail", args=[org_a.slug]),
        {"email": "not-an-email", "role": "member", "language": "en"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    # An address that already has an account is not revealed: see test_trust's invitation test.
    assert not Invitation.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_accepting_an_invitation_creates_the_account_and_membership(client, admin_a, org_a):
    invitation_create(inviter=admin_a, organization=org_a, email="newbie@acme.test", role="member", language="fr")
    url = accept_url_from(OutboundEmail.objects.get())
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Nina Nouvelle", "password": "a-long-and-unusual-passphrase"})
    assert response.status_code == 302
    user = User.objects.get(email="newbie@acme.test")
    assert (user.name, user.language, user.organization, user.membership.role) == (
        "Nina Nouvelle",
        "fr",
        org_a,
        "member",
    )
    assert int(client.session["_auth_user_id"]) == user.pk
    client.logout()
    assert client.get(url).status_code == 410  # used once


def test_accepting_with_a_weak_password_writes_nothing(client, admin_a, org_a):
    invitation_create(inviter=admin_a, organization=org_a, email="weak@acme.test", role="member", language="en")
    url = accept_url_from(OutboundEmail.objects.get())
    response = client.post(url, {"name": "W", "password": "123"})
    assert response.status_code == 200
    assert not User.objects.filter(email="weak@acme.test").exists()
    assert Invitation.objects.get().accepted_at is None


def test_unknown_invitation_token_is_404(client, db):
    assert client.get(reverse("accounts:invitation_accept", args=["nope"])).status_code == 404


def test_staff_inviting_someone_who_has_an_account_is_told(product_owner, org_a, member_b):
    # Staff see every account anyway; a client admin is not told (see tests/feedback/test_trust.py).
    with pytest.raises(ValidationError):
        invitation_create(inviter=product_owner, organization=org_a, email=member_b.email, role="member", language="en")


def test_organization_pages_are_scoped(login, everyone, org_a, org_b):
    assert (
        login(everyone["member_a"]).get(reverse("accounts:organization_detail", args=[org_b.slug])).status_code == 404
    )
    page = login(everyone["member_a"]).get(reverse("accounts:organization_detail", args=[org_a.slug]))
    assert page.status_code == 200
    assert len(page.context["members"]) == 5  # Acme: admin, member and three more; no Globex person
    assert b"globex" not in page.content.lower()
    assert b"120" not in page.content  # the contract value is the publisher's business
    assert login(everyone["member_a"]).get(reverse("accounts:organization_list")).status_code == 404
    staff_page = login(everyone["contributor"]).get(reverse("accounts:organization_list"))
    assert [o.slug for o in staff_page.context["organizations"]] == ["acme", "globex"]


def test_join_by_verified_domain(org_a, db):
    from accounts.services import membership_join_by_domain
    from tests.factories import UserFactory

    user = UserFactory(email="someone@acme.example")
    membership = membership_join_by_domain(user=user)
    assert membership.organization == org_a and membership.role == Membership.Role.MEMBER
    stranger = UserFactory(email="someone@unknown.example")
    assert membership_join_by_domain(user=stranger) is None
