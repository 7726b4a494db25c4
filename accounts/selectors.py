"""Reads for accounts. Every lookup from a request is scoped to the user: not yours = 404."""

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import ApiToken, Invitation, Membership, Organization, User, hash_secret


def organization_list_visible_to(*, user: User) -> QuerySet[Organization]:
    queryset = Organization.objects.select_related("account_owner").order_by("name", "id")
    if user.is_staff_member:
        return queryset
    membership = user.membership
    if membership is None:
        return queryset.none()
    return queryset.filter(pk=membership.organization_id)


def organization_get_visible_to(*, user: User, slug: str) -> Organization:
    try:
        return organization_list_visible_to(user=user).get(slug=slug)
    except Organization.DoesNotExist as exc:
        raise Http404 from exc


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return organization.memberships.select_related("user").order_by("user__name", "user__email")


def organization_pending_invitations(*, organization: Organization) -> QuerySet[Invitation]:
    return organization.invitations.filter(accepted_at__isnull=True, expires_at__gt=timezone.now()).select_related(
        "invited_by"
    )


def invitation_get_by_token(*, token: str) -> Invitation:
    try:
        invitation = Invitation.objects.select_related("organization").get(token_hash=hash_secret(token))
    except Invitation.DoesNotExist as exc:
        raise Http404 from exc
    return invitation


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    return user.api_tokens.filter(revoked_at__isnull=True)


def api_token_get_for(*, user: User, pk: int) -> ApiToken:
    try:
        return user.api_tokens.get(pk=pk)
    except ApiToken.DoesNotExist as exc:
        raise Http404 from exc


def staff_mfa_missing(*, user: User) -> bool:
    """Staff must have a second factor where the settings require it; a token does not bypass that."""
    from allauth.mfa.models import Authenticator

    if not settings.RETOUR_REQUIRE_STAFF_MFA or not user.is_staff_member:
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def organization_search(*, prefix: str, limit: int = 10) -> list[tuple[str, str]]:
    """(name, slug) of the companies whose name starts with `prefix`, any case (for staff pickers;
    through org_name_upper_idx)."""
    prefix = " ".join((prefix or "").split())[:200]
    if not prefix:
        return []
    return list(
        Organization.objects.filter(name__istartswith=prefix).order_by("name", "pk").values_list("name", "slug")[:limit]
    )
