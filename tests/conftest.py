"""Users of every role in two organizations with uneven data (Acme has more people than Globex),
so that a leak from one company to the other shows up as a wrong count."""

from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import Membership, User
from accounts.services import api_token_create
from tests.factories import OrganizationFactory, StaffFactory, client_user


@pytest.fixture(autouse=True)
def _clean_cache_and_language(db):
    cache.clear()  # allauth's rate limits live in the (real, Redis) cache
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    """Uploads go to a temporary folder: tests never write into the tree. A module that builds its
    objects once under its own temporary MEDIA_ROOT (the route matrix) keeps it."""
    if Path(settings.MEDIA_ROOT).resolve().is_relative_to(settings.BASE_DIR):
        settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def org_a(db):
    return OrganizationFactory(name="Acme", slug="acme", annual_contract_value=120000)


@pytest.fixture
def org_b(db):
    return OrganizationFactory(name="Globex", slug="globex", annual_contract_value=45000)


@pytest.fixture
def product_owner(db) -> User:
    return StaffFactory(email="po@retour.test", name="Paula Owner", staff_role=User.StaffRole.PRODUCT_OWNER)


@pytest.fixture
def contributor(db) -> User:
    return StaffFactory(
        email="sales@retour.test", name="Sacha Ventes", staff_role=User.StaffRole.CONTRIBUTOR, language="fr"
    )


@pytest.fixture
def admin_a(org_a) -> User:
    return client_user(
        organization=org_a, role=Membership.Role.ADMIN, email="admin@acme.test", name="Alice Martin", language="fr"
    )


@pytest.fixture
def member_a(org_a) -> User:
    return client_user(organization=org_a, email="member@acme.test", name="Bob Stone")


@pytest.fixture
def more_members_a(org_a) -> list[User]:
    """Acme is the bigger company: three more members."""
    return [client_user(organization=org_a, email=f"member{i}@acme.test") for i in range(3)]


@pytest.fixture
def admin_b(org_b) -> User:
    return client_user(organization=org_b, role=Membership.Role.ADMIN, email="admin@globex.test", name="Gina Globex")


@pytest.fixture
def member_b(org_b) -> User:
    return client_user(organization=org_b, email="member@globex.test", name="Hugo Lefèvre", language="fr")


@pytest.fixture
def everyone(product_owner, contributor, admin_a, member_a, more_members_a, admin_b, member_b) -> dict[str, User]:
    return {
        "product_owner": product_owner,
        "contributor": contributor,
        "admin_a": admin_a,
        "member_a": member_a,
        "admin_b": admin_b,
        "member_b": member_b,
    }


@pytest.fixture
def login(client):
    """`login(user)` returns the Django test client signed in as that user."""

    def _login(user: User):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api_client():
    """`api_client(user)` returns a DRF client authenticated with a real API token of that user."""

    def _client(user: User | None = None) -> APIClient:
        api = APIClient()
        if user is not None:
            _token, key = api_token_create(user=user, name="tests")
            api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return api

    return _client
