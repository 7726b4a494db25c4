"""A sales team (two staff members and one outside address) with a weekly English subscription, and a
product owner's own French subscription; the real worker and SMTP server for test_worker."""

import pytest

from accounts.models import User
from reporting import services
from tests.core.conftest import local_smtp, smtp_server, start_worker, worker  # noqa: F401  (the real worker)
from tests.factories import StaffFactory

OUTSIDE = "advisor@partner-consulting.example"


@pytest.fixture
def reader(db) -> User:
    """A second staff member of the team, a contributor."""
    return StaffFactory(email="reader@retour.test", name="Rita Reader", staff_role=User.StaffRole.CONTRIBUTOR)


@pytest.fixture
def team(product_owner, contributor, reader, org_a, org_b):
    # org_a/org_b exist so that the client domains are known when the outside address is checked.
    return services.team_save(
        actor=product_owner,
        data={"name": "Sales", "members": [contributor, reader], "extra_emails": [OUTSIDE], "language": "en"},
    )


@pytest.fixture
def subscription(product_owner, team):
    """Weekly, Mondays 08:00 Paris time, every section, no scope filter."""
    return services.subscription_save(
        actor=product_owner,
        data={
            "name": "Sales weekly",
            "team": team,
            "language": "en",
            "frequency": "weekly",
            "weekday": 0,
            "hour": 8,
            "minute": 0,
            "timezone": "Europe/Paris",
        },
    )


@pytest.fixture
def person_subscription(product_owner):
    """The product owner's own digest, in French, daily at 07:30 Paris time."""
    return services.subscription_save(
        actor=product_owner,
        data={
            "name": "Mon résumé",
            "user": product_owner,
            "language": "fr",
            "frequency": "daily",
            "hour": 7,
            "minute": 30,
            "timezone": "Europe/Paris",
        },
    )
