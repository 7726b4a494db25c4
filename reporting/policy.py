"""The access policy for reporting, on the model of feedback.policy.

Seeing: the dashboard, company dossiers, digests and their archive are for staff only (product
owners and contributors). A client user, or anyone signed out, gets 404 for every one of them.

Doing: product owners manage subscriptions, send or rebuild digests, and create, edit and import
organizations; a contributor reads (403 when they try).

Receiving: a digest goes to staff members and to a team's outside addresses only. A client user
never receives one, even if added to a team, and neither does an outside address at a client
company's email domain: a digest names every company's requests.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from core.lookups import object_or_404
from reporting.models import Digest, DigestSubscription


class Action(StrEnum):
    VIEW = "view"  # dashboard, dossiers, digests, archive, exports
    MANAGE = "manage"  # subscriptions, send now, rebuild, organizations and their import


def reporting_may(*, user: User, action: Action) -> bool:
    if not (user.is_authenticated and user.is_staff_member):
        return False
    if action == Action.MANAGE:
        return user.is_product_owner
    return True


def reporting_require(*, user: User, action: Action) -> None:
    """404 for anyone not on staff (these pages do not exist for them), 403 for a reader managing."""
    if not (user.is_authenticated and user.is_staff_member):
        raise Http404
    if not reporting_may(user=user, action=action):
        raise PermissionDenied(_("Only product owners can do this."))


def reporting_actions_for(*, user: User) -> frozenset[str]:
    return frozenset(str(a) for a in Action if reporting_may(user=user, action=a))


def _staff_q(user: User) -> Q:
    return Q() if user.is_authenticated and user.is_staff_member else Q(pk__in=[])


def subscription_get_visible_to(*, user: User, pk) -> DigestSubscription:
    return object_or_404(DigestSubscription.objects.filter(_staff_q(user)), pk)


def digest_get_visible_to(*, user: User, pk) -> Digest:
    return object_or_404(Digest.objects.select_related("subscription").filter(_staff_q(user)), pk)


def organization_get_visible_to(*, user: User, pk) -> Organization:
    """A company's dossier: staff only."""
    return object_or_404(Organization.objects.filter(_staff_q(user)), pk)


# Who may receive a digest ----------------------------------------------------------------------


def client_domains() -> set[str]:
    domains: set[str] = set()
    for row in Organization.objects.exclude(email_domains=[]).values_list("email_domains", flat=True):
        domains |= {d.lower().lstrip("@") for d in row}
    return domains


def outside_address_refusal(email: str, *, domains: set[str] | None = None) -> str | None:
    """Why this outside address may not receive digests, or None."""
    domain = email.rpartition("@")[2].lower()
    if domain in (client_domains() if domains is None else domains):
        return _("%(email)s belongs to a client company: digests name every company's requests.") % {"email": email}
    if User.objects.filter(email__iexact=email, client_membership__isnull=False).exists():
        return _("%(email)s is a client user: digests name every company's requests.") % {"email": email}
    return None


def digest_recipients(subscription: DigestSubscription) -> list[tuple[str, User | None]]:
    """(address, user or None) for each person who receives this subscription's digests, deduplicated.

    Staff members of the team (or the subscribed person, if staff), then the team's outside
    addresses that belong to no client; minus the addresses that unsubscribed.
    """
    unsubscribed = {e.lower() for e in subscription.unsubscribed}
    out: dict[str, tuple[str, User | None]] = {}
    if subscription.team_id:
        people = subscription.team.members.filter(is_active=True)
        extra = subscription.team.extra_emails
    else:
        people = User.objects.filter(pk=subscription.user_id, is_active=True)
        extra = []
    for person in people.order_by("email"):
        if person.is_staff_member and person.email.lower() not in unsubscribed:
            out.setdefault(person.email.lower(), (person.email, person))
    domains = client_domains() if extra else set()
    for email in extra:
        key = email.lower()
        if key in unsubscribed or key in out or outside_address_refusal(email, domains=domains):
            continue
        out[key] = (email, None)
    return list(out.values())
