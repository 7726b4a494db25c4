"""A club spanning Acme and Globex, with a planned meeting in a week."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clubs import services
from clubs.models import ClubMembership
from tests.core.conftest import smtp_server, start_worker, worker  # noqa: F401  (the real worker, for test_worker)
from tests.factories import client_user


@pytest.fixture
def member_b(org_b):
    return client_user(organization=org_b, email="member@globex.test", name="Greta Globex", language="fr")


@pytest.fixture
def club(product_owner, member_a, admin_a, member_b):
    club = services.club_create(actor=product_owner, name="Finance club", description="Finance users", language="en")
    for user in (member_a, admin_a, member_b):
        services.member_add(club=club, actor=product_owner, user=user)
    return club


@pytest.fixture
def meeting(club, product_owner):
    start = (timezone.now() + timedelta(days=7)).replace(microsecond=0)
    return services.meeting_create(
        club=club,
        actor=product_owner,
        title="Spring meeting",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        timezone="Europe/Paris",
        place="Lyon office",
        video_url="https://meet.example/finance",
    )


def present(meeting, actor, *users):
    for user in users:
        services.attendance_set(meeting=meeting, actor=actor, user=user, attended=True)


def membership(club, user):
    return ClubMembership.objects.get(club=club, user=user)
