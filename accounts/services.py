"""Writes for accounts: invitations, memberships, profiles, API tokens."""

import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiToken, Invitation, Membership, Organization, User, hash_secret
from accounts.selectors import staff_mfa_missing
from core.outbox import email_enqueue

INVITATION_LIFETIME = timedelta(days=14)


def user_can_invite_to(*, user: User, organization: Organization) -> bool:
    if user.is_staff_member:
        return True
    membership = user.membership
    return bool(
        membership and membership.role == Membership.Role.ADMIN and membership.organization_id == organization.pk
    )


def invitation_create(
    *, inviter: User, organization: Organization, email: str, role: str, language: str
) -> tuple[Invitation, str]:
    """Invite `email` into `organization`; the email leaves through the outbox after commit."""
    if not user_can_invite_to(user=inviter, organization=organization):
        raise PermissionDenied
    email = email.strip().lower()
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    existing = User.objects.filter(email__iexact=email).first()
    has_account = existing is not None and (existing.is_staff_member or existing.membership is not None)
    if has_account and inviter.is_staff_member:
        raise ValidationError({"email": _("This person already has an account in Retour.")})
    # A client admin is not told whether an address has an account (that would let anyone probe who
    # uses Retour): the invitation is recorded and listed the same way, and the person is emailed
    # that they can simply sign in.
    raw_token = secrets.token_urlsafe(32)
    with transaction.atomic():
        # A new invitation replaces any earlier unused one for the same person and company.
        Invitation.objects.filter(organization=organization, email__iexact=email, accepted_at__isnull=True).update(
            expires_at=timezone.now()
        )
        invitation = Invitation.objects.create(
            email=email,
            organization=organization,
            role=role,
            language=language,
            token_hash=hash_secret(raw_token),
            invited_by=inviter,
            expires_at=timezone.now() + INVITATION_LIFETIME,
        )
        if has_account:
            email_enqueue(
                to=email,
                template="accounts/emails/invitation_existing",
                context={
                    "inviter": inviter,
                    "organization": organization,
                    "login_url": settings.SITE_URL + reverse("account_login"),
                },
                language=existing.language,
                idempotency_key=f"invitation:{invitation.pk}",
            )
            return invitation, ""
        email_enqueue(
            to=email,
            template="accounts/emails/invitation",
            context={
                "inviter": inviter,
                "organization": organization,
                "accept_url": settings.SITE_URL + reverse("accounts:invitation_accept", args=[raw_token]),
                "expires_at": invitation.expires_at,
            },
            language=language,
            idempotency_key=f"invitation:{invitation.pk}",
            secret_keys=("accept_url",),  # the log shows "[redacted]" in place of the link
        )
    return invitation, raw_token


def invitation_accept(*, invitation: Invitation, name: str, password: str, user: User | None = None) -> User:
    """Create the invitee's account (or attach the signed-in one) and their membership."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_usable:
            raise ValidationError(_("This invitation has expired or was already used."))
        if user is None:
            if User.objects.filter(email__iexact=invitation.email).exists():
                raise ValidationError(
                    _("An account already exists for this address: sign in, then open the link again.")
                )
            candidate = User(email=invitation.email, name=name.strip(), language=invitation.language)
            validate_password(password, candidate)
            user = User.objects.create_user(
                email=invitation.email, password=password, name=name.strip(), language=invitation.language
            )
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        else:
            if user.email.lower() != invitation.email.lower():
                raise ValidationError(_("This invitation was sent to another address."))
            if user.is_staff_member or Membership.objects.filter(user=user).exists():
                raise ValidationError(_("This account already belongs to an organization."))
        Membership.objects.create(user=user, organization=invitation.organization, role=invitation.role)
        invitation.accepted_at = timezone.now()
        invitation.accepted_user = user
        invitation.save(update_fields=["accepted_at", "accepted_user"])
    return user


def membership_join_by_domain(*, user: User) -> Membership | None:
    """A self-registered user with a verified address on a company's domain joins it as a member."""
    if user.is_staff_member or Membership.objects.filter(user=user).exists():
        return None
    domain = user.email.rsplit("@", 1)[-1].lower()
    organizations = list(Organization.objects.filter(email_domains__contains=[domain])[:2])
    if len(organizations) != 1:
        return None  # unknown or ambiguous domain: an invitation is needed
    with transaction.atomic():
        membership, _created = Membership.objects.get_or_create(
            user=user, defaults={"organization": organizations[0], "role": Membership.Role.MEMBER}
        )
    return membership


def user_update_profile(*, user: User, name: str, language: str, timezone_name: str) -> User:
    user.name = name.strip()
    user.language = language
    user.timezone = timezone_name
    user.full_clean(validate_unique=False, exclude=["password"])
    user.save(update_fields=["name", "language", "timezone"])
    return user


def user_set_language(*, user: User, language: str) -> None:
    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the token and its key; the key is never stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    if staff_mfa_missing(user=user):
        raise ValidationError(
            {"name": _("Set up two-factor authentication first: staff API tokens need it, as staff sign-ins do.")}
        )
    raw_key = "rt_" + secrets.token_urlsafe(30)
    token = ApiToken.objects.create(user=user, name=name[:100], key_hash=hash_secret(raw_key), prefix=raw_key[:8])
    return token, raw_key


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
