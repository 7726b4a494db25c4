"""Demo companies and people. Idempotent."""

import datetime
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import Membership, Organization, Team, User

STAFF = [
    ("po@retour.example", "Paula Owner", User.StaffRole.PRODUCT_OWNER, "en"),
    ("sales@retour.example", "Sacha Ventes", User.StaffRole.CONTRIBUTOR, "fr"),
]
ORGANIZATIONS = [
    {
        "slug": "acme",
        "name": "Acme",
        "email_domains": ["acme.example"],
        "segment": Organization.Segment.ENTERPRISE,
        "tier": Organization.Tier.STRATEGIC,
        "annual_contract_value": Decimal("120000"),
        "renewal_in_days": 60,
        "users": [
            ("admin@acme.example", "Alice Martin", Membership.Role.ADMIN, "fr"),
            ("member@acme.example", "Bob Stone", Membership.Role.MEMBER, "en"),
        ],
    },
    {
        "slug": "globex",
        "name": "Globex",
        "email_domains": ["globex.example"],
        "segment": Organization.Segment.MID_MARKET,
        "tier": Organization.Tier.STANDARD,
        "annual_contract_value": Decimal("45000"),
        "renewal_in_days": 200,
        "users": [
            ("admin@globex.example", "Gina Globex", Membership.Role.ADMIN, "en"),
            ("member@globex.example", "Hugo Lefèvre", Membership.Role.MEMBER, "fr"),
        ],
    },
]


def _user(*, email: str, name: str, language: str, password: str, staff_role: str = "") -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=password, name=name, language=language, staff_role=staff_role
        )
    else:
        user.name, user.language, user.staff_role = name, language, staff_role
        user.set_password(password)
        user.save(update_fields=["name", "language", "staff_role", "password"])
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def seed(*, password: str) -> list[tuple[str, str]]:
    """Returns the logins to print."""
    logins = []
    staff_users = {}
    for email, name, role, language in STAFF:
        staff_users[email] = _user(email=email, name=name, language=language, password=password, staff_role=role)
        logins.append((email, str(role.label)))
    for spec in ORGANIZATIONS:
        organization, _created = Organization.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "email_domains": spec["email_domains"],
                "segment": spec["segment"],
                "tier": spec["tier"],
                "annual_contract_value": spec["annual_contract_value"],
                "renewal_date": timezone.localdate() + datetime.timedelta(days=spec["renewal_in_days"]),
                "account_owner": staff_users["sales@retour.example"],
            },
        )
        for email, name, role, language in spec["users"]:
            user = _user(email=email, name=name, language=language, password=password)
            Membership.objects.update_or_create(user=user, defaults={"organization": organization, "role": role})
            logins.append((email, f"{organization.name} {Membership.Role(role).label.lower()}"))
    team, _created = Team.objects.get_or_create(name="Product & Sales")
    team.members.add(*staff_users.values())
    return logins
