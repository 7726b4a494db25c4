"""Every route x every role of Acme (and staff where a role refusal matters), requested with the ids
of Globex's private objects and of staff-only objects: 404, a documented role refusal or a sign-in
redirect — never a 500, never another company's data.

The routes are discovered: Django's URL resolver and the OpenAPI schema are walked, and a route
that is not in ROUTES below fails `test_every_route_is_in_the_registry` with its name. A new page
or endpoint therefore comes with its line here, saying which object its ids point at and what
each role must get.

The objects are built once for the module (inside a transaction rolled back at the end); each case
runs in its own savepoint, so what one request writes never reaches the next.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import ApiToken, Invitation, Membership, Organization, User, hash_secret
from accounts.services import api_token_create
from core.models import OutboundEmail
from feedback.models import Attachment, Comment, Feedback, FeedbackEvent, Follow, SavedView, Vote
from roadmap import services as roadmap_services
from roadmap.models import Decision, Release, RoadmapEvent, RoadmapItem, RoadmapLink
from tests.clubs.matrix_world import CLUB_SECRETS, build_clubs_world
from tests.factories import OrganizationFactory, StaffFactory, client_user, feedback_for
from tests.reporting.matrix_world import (
    REPORTING_SECRETS,
    REPORTING_WATCHED_MODELS,
    build_reporting_world,
    reporting_fingerprint,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# What must never reach anyone but Globex and the publisher's staff.
SECRET_TITLE_B = "Zanzibar payroll reconciliation for Globex"
SECRET_ATTACHMENT_NAME = "globex-confidential-plan.png"
SECRET_PUBLIC_ATTACHMENT_NAME = "globex-public-idea-sketch.png"
# Staff-only, whoever the client is.
SECRET_INTERNAL_NOTE = "Internal: Globex threatens to churn over this"
SECRET_EMAIL_SUBJECT = "Outbox only for product owners 7f3a"
# The roadmap's internal wording: a private item's title, a public item's internal title, a
# decision's rationale, a draft release.
SECRET_ITEM_TITLE = "Nightjar codename for the Globex retention deal"
SECRET_PUBLIC_ITEM_INTERNAL_TITLE = "Quokka internal wording of the export item"
SECRET_RATIONALE = "Rationale: Globex renewal hinges on this 9c1e"
SECRET_DRAFT_RELEASE = "Draft release Pangolin not yet announced"
CLIENT_SECRETS = (
    SECRET_TITLE_B,
    SECRET_ATTACHMENT_NAME,
    SECRET_PUBLIC_ATTACHMENT_NAME,
    SECRET_INTERNAL_NOTE,
    SECRET_EMAIL_SUBJECT,
    SECRET_ITEM_TITLE,
    SECRET_PUBLIC_ITEM_INTERNAL_TITLE,
    SECRET_RATIONALE,
    SECRET_DRAFT_RELEASE,
)
CLIENT_SECRETS += CLUB_SECRETS
CLIENT_SECRETS += REPORTING_SECRETS  # a digest names every company: no client sees one
STAFF_SECRETS = (SECRET_EMAIL_SUBJECT,)  # for a contributor: the email log is the product owner's
INVITATION_TOKEN_B = "globex-invitation-token-for-the-matrix"

# ---------------------------------------------------------------------------------------------
# Roles and outcomes
# ---------------------------------------------------------------------------------------------

ANON, MEMBER_A, ADMIN_A, CONTRIBUTOR = "anonymous", "member_a", "admin_a", "contributor"
CLIENT_ROLES = (MEMBER_A, ADMIN_A)
STAFF_ROLES = (CONTRIBUTOR,)

OK = "ok"  # 2xx, or a redirect that is not to the sign-in page; the body carries no secret
REDIRECT = "redirect"  # 301/302/303 somewhere else than the sign-in page
LOGIN = "login"  # 302 to the sign-in page (anonymous on a page)
UNAUTHENTICATED = "unauthenticated"  # 401 or 403 (anonymous on the API)
NOT_FOUND = "404"
FORBIDDEN = "403"  # a documented role refusal on the API
INVALID = "400"
NOT_ALLOWED = "405"
GONE = "410"
STATUSES = {NOT_FOUND: {404}, FORBIDDEN: {403}, INVALID: {400}, NOT_ALLOWED: {405}, GONE: {410}}


def page_roles(*, anonymous=LOGIN, clients=NOT_FOUND, contributor=OK) -> dict[str, str]:
    return {ANON: anonymous, MEMBER_A: clients, ADMIN_A: clients, CONTRIBUTOR: contributor}


def api_roles(*, clients=NOT_FOUND, contributor=OK) -> dict[str, str]:
    return {ANON: UNAUTHENTICATED, MEMBER_A: clients, ADMIN_A: clients, CONTRIBUTOR: contributor}


STAFF_PAGE = page_roles()  # staff_required: clients get 404
PRODUCT_OWNER_ACTION = page_roles(contributor=FORBIDDEN)  # staff page; the policy refuses a contributor (403)
PRODUCT_OWNER_PAGE = page_roles(contributor=NOT_FOUND)  # product_owner_required
CLIENT_PAGE = page_roles(clients=OK, contributor=NOT_FOUND)  # the portal: staff get 404
SIGNED_IN_PAGE = page_roles(clients=OK)
PUBLIC = {ANON: OK, MEMBER_A: OK, ADMIN_A: OK, CONTRIBUTOR: OK}


@dataclass(frozen=True)
class Case:
    """One way to call a route: which objects fill its kwargs, and per method what each role gets."""

    kwargs: dict[str, str] = field(default_factory=dict)  # URL kwarg → key of WORLD (or a literal)
    expect: dict[str, dict[str, str]] = field(default_factory=dict)  # method → role → outcome
    query: dict[str, str] = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # the body of POST/PATCH/DELETE ({} = empty but valid-looking)
    writes: frozenset = frozenset()  # (method, role) pairs whose OK may legitimately write
    label: str = ""
    api: bool = False


# ---------------------------------------------------------------------------------------------
# The registry: every named route (and through it every API operation of the schema)
# ---------------------------------------------------------------------------------------------

ROUTES: dict[str, list[Case]] = {
    "home": [Case(expect={"GET": page_roles(clients=REDIRECT, contributor=REDIRECT)})],
    "healthz": [Case(expect={"GET": PUBLIC})],  # public by design: only "ok"/"down" per dependency
    "set_language": [
        Case(
            expect={"GET": dict.fromkeys(PUBLIC, NOT_ALLOWED), "POST": dict.fromkeys(PUBLIC, REDIRECT)},
            data={"language": "en", "next": "/portal/"},
        )
    ],
    # --- accounts ---
    "accounts:profile": [Case(expect={"GET": SIGNED_IN_PAGE, "POST": SIGNED_IN_PAGE})],
    "accounts:api_token_create": [
        Case(
            expect={
                "GET": page_roles(clients=NOT_ALLOWED, contributor=NOT_ALLOWED),
                "POST": page_roles(clients=REDIRECT, contributor=REDIRECT),
            }
        )
    ],
    "accounts:api_token_revoke": [
        Case(
            kwargs={"pk": "api_token_b"},
            expect={
                "GET": page_roles(clients=NOT_ALLOWED, contributor=NOT_ALLOWED),
                "POST": page_roles(contributor=NOT_FOUND),
            },
            label="member_b's token",
        )
    ],
    "accounts:organization_list": [Case(expect={"GET": STAFF_PAGE})],
    "accounts:organization_detail": [
        Case(kwargs={"slug": "organization_b_slug"}, expect={"GET": STAFF_PAGE, "POST": STAFF_PAGE}, label="Globex"),
    ],
    "accounts:invitation_accept": [
        # The token is the credential: whoever holds Globex's link may see it; an empty POST
        # (or a signed-in user of another company) is refused by the form, nothing is written.
        Case(kwargs={"token": "invitation_token_b"}, expect={"GET": PUBLIC, "POST": PUBLIC}, label="Globex's link"),
        Case(
            kwargs={"token": "invitation_token_unknown"},
            expect={"GET": dict.fromkeys(PUBLIC, NOT_FOUND), "POST": dict.fromkeys(PUBLIC, NOT_FOUND)},
            label="unknown token",
        ),
    ],
    # --- core: the email log, product owners only ---
    "core:email_list": [Case(expect={"GET": PRODUCT_OWNER_PAGE})],
    "core:email_test": [
        Case(expect={"GET": PRODUCT_OWNER_PAGE, "POST": PRODUCT_OWNER_PAGE}, data={"to": "x@example.org"})
    ],
    "core:email_retry_dead": [
        Case(expect={"GET": PRODUCT_OWNER_PAGE, "POST": PRODUCT_OWNER_PAGE}, data={"since": "", "until": ""})
    ],
    "core:email_detail": [Case(kwargs={"pk": "email_id"}, expect={"GET": PRODUCT_OWNER_PAGE})],
    "core:email_html": [Case(kwargs={"pk": "email_id"}, expect={"GET": PRODUCT_OWNER_PAGE})],
    "core:email_retry": [
        Case(kwargs={"pk": "email_id"}, expect={"GET": PRODUCT_OWNER_PAGE, "POST": PRODUCT_OWNER_PAGE})
    ],
    # --- feedback: triage (staff) ---
    "feedback:triage_inbox": [
        Case(
            expect={"GET": STAFF_PAGE, "POST": page_roles(contributor=REDIRECT)},
            data={"save_view": "1", "view_name": ""},
        )
    ],
    "feedback:triage_bulk": [
        Case(
            expect={"GET": page_roles(contributor=NOT_ALLOWED), "POST": page_roles(contributor=REDIRECT)},
            data={"bulk-ids": "feedback_private_b", "bulk-action": "status", "bulk-status": "declined"},
        )
    ],
    "feedback:triage_counts": [Case(expect={"GET": STAFF_PAGE})],
    "feedback:triage_log": [Case(expect={"GET": STAFF_PAGE, "POST": STAFF_PAGE})],
    "feedback:triage_activity": [Case(expect={"GET": STAFF_PAGE, "POST": STAFF_PAGE})],
    "feedback:triage_saved_view_delete": [
        Case(
            kwargs={"pk": "saved_view_other_user"},
            # Another staff member's view: the contributor is sent back to the inbox, the view stays.
            expect={"GET": page_roles(contributor=NOT_ALLOWED), "POST": page_roles(contributor=REDIRECT)},
            label="the product owner's view",
        )
    ],
    "feedback:triage_saved_view_rename": [
        Case(
            kwargs={"pk": "saved_view_other_user"},
            # Another staff member's view: not found for the contributor, and it keeps its name.
            expect={"GET": page_roles(contributor=NOT_ALLOWED), "POST": page_roles(contributor=NOT_FOUND)},
            data={"name": "Renamed by someone else"},
            label="the product owner's view",
        )
    ],
    "feedback:triage_organization_search": [Case(expect={"GET": STAFF_PAGE}, query={"q": "Glob"})],
    "feedback:triage_feedback_search": [
        Case(expect={"GET": STAFF_PAGE}, query={"q": "Zanzibar payroll"}),
        Case(expect={"GET": STAFF_PAGE}, query={"q": "feedback_private_b"}, label="by number"),
    ],
    "feedback:triage_detail": [
        Case(
            kwargs={"pk": "feedback_private_b"},
            # A contributor cannot decide: the policy refuses with 403, nothing is written.
            expect={"GET": STAFF_PAGE, "POST": page_roles(contributor=FORBIDDEN)},
            data={"action": "status", "status": "planned", "public_message": ""},
        )
    ],
    "feedback:triage_duplicates": [Case(kwargs={"pk": "feedback_private_b"}, expect={"GET": STAFF_PAGE})],
    # --- feedback: the portal (clients) ---
    "feedback:portal_home": [
        Case(expect={"GET": page_roles(clients=OK, contributor=REDIRECT)}),
        Case(
            expect={"GET": page_roles(clients=OK, contributor=REDIRECT)},
            query={"q": "Zanzibar payroll", "scope": "", "sort": "newest"},
            label="searching Globex's title",
        ),
    ],
    "feedback:portal_submit": [Case(expect={"GET": CLIENT_PAGE, "POST": CLIENT_PAGE})],
    "feedback:portal_similar": [
        Case(expect={"GET": SIGNED_IN_PAGE}, query={"title": "Zanzibar payroll reconciliation"}),
    ],
    "feedback:portal_detail": [
        Case(
            kwargs={"pk": "feedback_private_b"},
            expect={
                "GET": page_roles(contributor=REDIRECT),  # staff are sent to the triage page
                "POST": page_roles(contributor=REDIRECT),
            },
            data={"action": "vote", "importance": "critical"},
        ),
        Case(
            kwargs={"pk": "feedback_public_b"},
            # Globex's public idea is visible to Acme, but not its internal note nor its attachment.
            expect={"GET": page_roles(clients=OK, contributor=REDIRECT)},
            label="Globex public",
        ),
    ],
    "feedback:portal_vote": [
        Case(
            kwargs={"pk": "feedback_private_b"},
            expect={
                "GET": page_roles(clients=NOT_ALLOWED, contributor=NOT_ALLOWED),
                "POST": page_roles(contributor=NOT_FOUND),  # a card's one-click vote: Globex's private one is 404
            },
            data={"action": "vote"},
        ),
        Case(
            kwargs={"pk": "feedback_public_b"},
            # Visible, but an importance that is not one: a message and back to the list, no vote.
            expect={"POST": page_roles(clients=REDIRECT, contributor=NOT_FOUND)},
            data={"action": "vote", "importance": "urgent"},
            label="Globex public",
        ),
    ],
    "feedback:portal_activity": [Case(expect={"GET": CLIENT_PAGE})],
    "feedback:portal_notifications_read": [
        # Marks the signed-in client's own notifications read (only read_at changes), then back to the page.
        Case(
            expect={
                "GET": page_roles(clients=NOT_ALLOWED, contributor=NOT_ALLOWED),
                "POST": page_roles(clients=REDIRECT, contributor=NOT_FOUND),
            }
        )
    ],
    "feedback:portal_preferences": [Case(expect={"GET": CLIENT_PAGE, "POST": CLIENT_PAGE})],
    "feedback:attachment": [
        Case(kwargs={"pk": "attachment_private_b"}, expect={"GET": STAFF_PAGE}, label="Globex private"),
        # Attachments are the requesting company's and the staff's only, even on a public request.
        Case(kwargs={"pk": "attachment_public_b"}, expect={"GET": STAFF_PAGE}, label="Globex public"),
    ],
    # --- roadmap: staff pages (clients 404; contributors read and link, 403 on what needs a product owner) ---
    "roadmap:index": [Case(expect={"GET": STAFF_PAGE})],
    "roadmap:ranked": [Case(expect={"GET": STAFF_PAGE}, query={"sort": "revenue_at_risk"})],
    "roadmap:item_new": [
        Case(expect={"GET": PRODUCT_OWNER_ACTION, "POST": PRODUCT_OWNER_ACTION}, data={"title": "A new item"})
    ],
    "roadmap:item_search": [Case(expect={"GET": STAFF_PAGE}, query={"q": "Nightjar"})],
    "roadmap:item": [
        Case(
            kwargs={"pk": "roadmap_item_private"},
            expect={"GET": STAFF_PAGE, "POST": PRODUCT_OWNER_ACTION},
            data={"action": "move", "status": "now"},
            label="private item",
        )
    ],
    "roadmap:item_move": [
        Case(
            kwargs={"pk": "roadmap_item_private"},
            expect={"GET": page_roles(contributor=NOT_ALLOWED), "POST": PRODUCT_OWNER_ACTION},
            data={"status": "now"},
            label="private item",
        )
    ],
    "roadmap:item_sheet": [Case(kwargs={"pk": "roadmap_item_private"}, expect={"GET": STAFF_PAGE})],
    "roadmap:item_figure": [
        Case(kwargs={"pk": "roadmap_item_private", "figure": "organizations"}, expect={"GET": STAFF_PAGE}),
    ],
    "roadmap:feedback_link": [
        Case(
            kwargs={"pk": "feedback_private_b"},
            # A contributor may link; this request already belongs to another item: refused, back to triage.
            expect={"GET": page_roles(contributor=NOT_ALLOWED), "POST": page_roles(contributor=REDIRECT)},
            data={"action": "link", "item": "roadmap_item_public"},
        )
    ],
    "roadmap:decisions": [Case(expect={"GET": STAFF_PAGE})],
    "roadmap:decisions_export": [Case(expect={"GET": STAFF_PAGE})],
    "roadmap:decision_outcome": [
        Case(
            kwargs={"pk": "decision_private_b"},
            expect={"GET": PRODUCT_OWNER_ACTION, "POST": PRODUCT_OWNER_ACTION},
            data={"outcome": "reached"},
            label="on Globex's private request",
        )
    ],
    "roadmap:releases": [Case(expect={"GET": STAFF_PAGE})],
    "roadmap:release_new": [
        Case(expect={"GET": PRODUCT_OWNER_ACTION, "POST": PRODUCT_OWNER_ACTION}, data={"title": "A release"})
    ],
    "roadmap:release": [
        Case(
            kwargs={"pk": "release_draft"},
            expect={"GET": STAFF_PAGE, "POST": PRODUCT_OWNER_ACTION},
            data={"action": "publish", "confirm": "yes"},
            label="draft",
        )
    ],
    # --- roadmap: the portal (clients; staff are sent to the staff pages) ---
    "roadmap:public": [Case(expect={"GET": page_roles(clients=OK, contributor=REDIRECT)})],
    "roadmap:me_too": [
        Case(
            kwargs={"pk": "roadmap_item_private"},
            expect={
                "GET": page_roles(clients=NOT_ALLOWED, contributor=NOT_ALLOWED),
                "POST": page_roles(contributor=NOT_FOUND),
            },
            data={"importance": "critical"},
            label="private item",
        ),
        Case(
            kwargs={"pk": "roadmap_item_public"},
            # Visible, but an importance that is not one: a message and back to the roadmap, no vote.
            expect={"POST": page_roles(clients=REDIRECT, contributor=NOT_FOUND)},
            data={"importance": "urgent"},
            label="public item",
        ),
    ],
    "roadmap:changelog": [Case(expect={"GET": page_roles(clients=OK, contributor=REDIRECT)})],
    # Public by design (a feed reader cannot sign in): published releases, public wording only.
    "roadmap:changelog_feed": [Case(expect={"GET": PUBLIC})],
    # --- the API (its schema is checked against these below) ---
    "api_schema": [Case(expect={"GET": PUBLIC})],
    "api_docs": [Case(expect={"GET": PUBLIC})],
    # The catch-all after every endpoint: an id that is not a number, or no endpoint at all.
    "api:not_found": [
        Case(
            api=True,
            kwargs={"path": "no-such-endpoint/"},
            expect={m: dict.fromkeys(PUBLIC, NOT_FOUND) for m in ("GET", "POST", "PATCH", "DELETE")},
            label="no such endpoint",
        ),
        Case(
            api=True,
            kwargs={"path": "feedback/abc/"},
            expect={"GET": dict.fromkeys(PUBLIC, NOT_FOUND)},
            label="id not a number",
        ),
    ],
    "api:me": [Case(api=True, expect={"GET": api_roles(clients=OK)})],
    "api:organization_list": [Case(api=True, expect={"GET": api_roles(clients=OK)})],
    "api:organization_detail": [
        Case(api=True, kwargs={"pk": "organization_b_id"}, expect={"GET": api_roles()}, label="Globex")
    ],
    "api:feedback_list": [
        Case(api=True, expect={"GET": api_roles(clients=OK), "POST": api_roles(clients=INVALID, contributor=INVALID)}),
        Case(
            api=True,
            query={"organization": "organization_b_id", "search": "Zanzibar"},
            # Clients may not filter by company: refused, rather than silently ignored.
            expect={"GET": api_roles(clients=INVALID)},
            label="filtered on Globex",
        ),
    ],
    "api:feedback_similar": [
        Case(api=True, query={"title": "Zanzibar payroll reconciliation"}, expect={"GET": api_roles(clients=OK)})
    ],
    "api:feedback_detail": [
        Case(api=True, kwargs={"pk": "feedback_private_b"}, expect={"GET": api_roles(), "PATCH": api_roles()}),
        Case(
            api=True,
            kwargs={"pk": "feedback_public_b"},
            # Clients set nothing through PATCH: a documented 403 on a request they can see.
            expect={"GET": api_roles(clients=OK), "PATCH": api_roles(clients=FORBIDDEN)},
            label="Globex public",
        ),
    ],
    "api:feedback_comments": [
        Case(
            api=True,
            kwargs={"pk": "feedback_private_b"},
            expect={"GET": api_roles(), "POST": api_roles(contributor=INVALID)},
        ),
        Case(
            api=True,
            kwargs={"pk": "feedback_public_b"},
            expect={"GET": api_roles(clients=OK)},
            label="Globex public",
        ),
    ],
    "api:roadmap_item_list": [
        Case(
            api=True,
            expect={"GET": api_roles(clients=OK), "POST": api_roles(clients=FORBIDDEN, contributor=FORBIDDEN)},
            data={"title": "A new item"},
        ),
        Case(
            api=True,
            query={"is_public": "false", "ordering": "revenue_at_risk"},
            # Clients may not filter or sort by what they may not read: refused, not ignored.
            expect={"GET": api_roles(clients=INVALID)},
            label="private items by revenue at risk",
        ),
    ],
    "api:roadmap_item_detail": [
        Case(
            api=True,
            kwargs={"pk": "roadmap_item_private"},
            expect={"GET": api_roles(), "PATCH": api_roles(contributor=FORBIDDEN)},
            data={"status": "now"},
            label="private item",
        ),
        Case(
            api=True,
            kwargs={"pk": "roadmap_item_public"},
            expect={"GET": api_roles(clients=OK), "PATCH": api_roles(clients=FORBIDDEN, contributor=FORBIDDEN)},
            data={"status": "now"},
            label="public item",
        ),
    ],
    "api:roadmap_item_feedback": [
        Case(
            api=True,
            kwargs={"pk": "roadmap_item_private"},
            # Globex's public request belongs to the public item: linking it here is refused, and it
            # is not this item's to unlink.
            expect={
                "GET": api_roles(),
                "POST": api_roles(contributor=INVALID),
                "DELETE": api_roles(contributor=INVALID),
            },
            data={"feedback": "feedback_public_b"},
            label="private item",
        ),
        # Which requests (so which companies) asked is staff-only, even on a public item.
        Case(api=True, kwargs={"pk": "roadmap_item_public"}, expect={"GET": api_roles()}, label="public item"),
    ],
    "api:decision_list": [
        Case(
            api=True,
            expect={"GET": api_roles(clients=OK), "POST": api_roles(clients=FORBIDDEN, contributor=FORBIDDEN)},
            data={"kind": "declined", "feedback": "feedback_private_b", "public_message": "No."},
        ),
        Case(
            api=True,
            query={"outcome": "missed", "feedback": "feedback_private_b"},
            expect={"GET": api_roles(clients=INVALID)},
            label="filtered on an outcome",
        ),
    ],
    "api:decision_detail": [
        Case(
            api=True,
            kwargs={"pk": "decision_private_b"},
            expect={"GET": api_roles(), "PATCH": api_roles(contributor=FORBIDDEN)},
            data={"outcome": "reached", "actual_outcome": "x"},
            label="on Globex's private request",
        ),
        Case(
            api=True,
            kwargs={"pk": "decision_public_item"},
            expect={"GET": api_roles(clients=OK), "PATCH": api_roles(clients=FORBIDDEN, contributor=FORBIDDEN)},
            data={"outcome": "reached", "actual_outcome": "x"},
            label="on the public item",
        ),
    ],
    "api:release_list": [
        Case(
            api=True,
            expect={"GET": api_roles(clients=OK), "POST": api_roles(clients=FORBIDDEN, contributor=FORBIDDEN)},
            data={"title": "A release", "release_date": "2027-01-15"},
        )
    ],
    "api:release_detail": [
        Case(
            api=True,
            kwargs={"pk": "release_draft"},
            expect={"GET": api_roles(), "PATCH": api_roles(contributor=FORBIDDEN)},
            data={"title": "Renamed"},
            label="draft",
        ),
        Case(
            api=True,
            kwargs={"pk": "release_published"},
            expect={"GET": api_roles(clients=OK), "PATCH": api_roles(clients=FORBIDDEN, contributor=FORBIDDEN)},
            data={"title": "Renamed"},
            label="published",
        ),
    ],
    "api:release_publish": [
        Case(
            api=True, kwargs={"pk": "release_draft"}, expect={"POST": api_roles(contributor=FORBIDDEN)}, label="draft"
        ),
        Case(
            api=True,
            kwargs={"pk": "release_published"},
            expect={"POST": api_roles(clients=FORBIDDEN, contributor=FORBIDDEN)},
            label="published",
        ),
    ],
    "api:feedback_vote": [
        Case(
            api=True,
            kwargs={"pk": "feedback_private_b"},
            # Staff do not vote for themselves (they vote on a client's behalf in triage): the POST is
            # refused as invalid, the DELETE has no vote of theirs to remove.
            expect={"POST": api_roles(contributor=INVALID), "DELETE": api_roles(contributor=OK)},
        )
    ],
}

# The clubs' routes live beside their tests; they use the Case and outcomes defined above.
from tests.clubs.routes_api import ROUTES as CLUB_API_ROUTES  # noqa: E402
from tests.clubs.routes_pages import ROUTES as CLUB_PAGE_ROUTES  # noqa: E402

ROUTES.update(CLUB_PAGE_ROUTES | CLUB_API_ROUTES)

# The reporting's routes, the same way.
from tests.reporting.routes_api import ROUTES as REPORTING_API_ROUTES  # noqa: E402
from tests.reporting.routes_pages import ROUTES as REPORTING_PAGE_ROUTES  # noqa: E402

ROUTES.update(REPORTING_PAGE_ROUTES | REPORTING_API_ROUTES)

# Routes deliberately left out of the matrix, each with its reason.
EXCLUDED_NAMESPACES = {
    # Django's admin: gated by Django's own is_staff flag, which no Retour role sets; checked once
    # below (`test_admin_refuses_client_users`) rather than per model page.
    "admin": "Django admin, checked by test_admin_refuses_client_users",
}
EXCLUDED_NAME_PREFIXES = {
    # allauth's own pages act on request.user only (sign-in, email, password, two-factor) and take
    # no id of a Retour object; allauth tests them. Sign-in and MFA flows are in tests/accounts/.
    "account_": "allauth account pages: user-scoped, no Retour object ids",
    "mfa_": "allauth two-factor pages: user-scoped, no Retour object ids",
}


# ---------------------------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------------------------


def _walk(patterns, namespace=None, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace
            inner = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name, namespace, prefix + str(pattern.pattern)


def _excluded(name: str | None, namespace: str | None) -> bool:
    root = (namespace or "").split(":")[0]
    if root in EXCLUDED_NAMESPACES:
        return True
    return bool(name) and name.startswith(tuple(EXCLUDED_NAME_PREFIXES))


def discovered_routes() -> tuple[set[str], list[str]]:
    named, unnamed = set(), []
    for name, namespace, route in _walk(get_resolver().url_patterns):
        if _excluded(name, namespace):
            continue
        if name is None:
            unnamed.append(route)
        else:
            named.add(name)
    return named, unnamed


def schema_operations() -> list[tuple[str, str, str]]:
    """(path template, METHOD, URL name) of every operation of the OpenAPI schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, item in schema["paths"].items():
        concrete = path
        for part in path.split("/"):
            if part.startswith("{"):
                concrete = concrete.replace(part, "1")
        name = resolve(concrete).view_name
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                operations.append((path, method.upper(), name))
    return operations


def test_every_route_is_in_the_registry():
    named, unnamed = discovered_routes()
    missing = sorted(named - set(ROUTES))
    assert not missing, f"Add these routes to ROUTES in {__name__} (object per kwarg, outcome per role): {missing}"
    assert not unnamed, f"Name these routes so the matrix can list them: {unnamed}"
    stale = sorted(set(ROUTES) - named)
    assert not stale, f"These ROUTES entries match no route any more: {stale}"


def test_every_api_operation_is_in_the_registry():
    operations = schema_operations()
    assert len(operations) >= 10
    missing = [
        f"{method} {path} ({name})"
        for path, method, name in operations
        if not any(method in case.expect for case in ROUTES.get(name, []))
    ]
    assert not missing, f"Add these API operations to ROUTES in {__name__}: {missing}"


def test_admin_refuses_client_users(client, db):
    organization = OrganizationFactory(slug="admin-check")
    for user in (client_user(organization=organization), client_user(organization=organization, role="admin")):
        client.force_login(user)
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302 and "/login/" in response["Location"]


# ---------------------------------------------------------------------------------------------
# The world: Globex's private things and staff-only things, built once
# ---------------------------------------------------------------------------------------------


def _build_world() -> dict:
    org_a = OrganizationFactory(name="Acme", slug="acme", annual_contract_value=120000)
    org_b = OrganizationFactory(name="Globex", slug="globex", annual_contract_value=45000)
    users = {
        "product_owner": StaffFactory(email="po@retour.test", staff_role=User.StaffRole.PRODUCT_OWNER),
        CONTRIBUTOR: StaffFactory(email="sales@retour.test", staff_role=User.StaffRole.CONTRIBUTOR),
        ADMIN_A: client_user(organization=org_a, role=Membership.Role.ADMIN, email="admin@acme.test"),
        MEMBER_A: client_user(organization=org_a, email="member@acme.test"),
        "admin_b": client_user(organization=org_b, role=Membership.Role.ADMIN, email="admin@globex.test"),
        "member_b": client_user(organization=org_b, email="member@globex.test"),
    }
    # Acme has more requests than Globex (uneven data), one of them public.
    for i in range(3):
        feedback_for(author=users[MEMBER_A], title=f"Acme request number {i}")
    acme_public = feedback_for(author=users[ADMIN_A], title="Acme public idea", visibility="public")
    private_b = feedback_for(author=users["member_b"], title=SECRET_TITLE_B)
    public_b = feedback_for(author=users["admin_b"], title="Globex public idea about exports", visibility="public")
    for feedback in (private_b, public_b, acme_public):
        Comment.objects.create(
            feedback=feedback, author=users["product_owner"], body=SECRET_INTERNAL_NOTE, is_internal=True
        )
    attachments = {}
    for key, feedback, name in (
        ("attachment_private_b", private_b, SECRET_ATTACHMENT_NAME),
        ("attachment_public_b", public_b, SECRET_PUBLIC_ATTACHMENT_NAME),
    ):
        attachment = Attachment(
            feedback=feedback,
            organization=org_b,
            original_name=name,
            content_type="image/png",
            size=len(PNG),
            uploaded_by=users["admin_b"],
        )
        attachment.file.save("upload", ContentFile(PNG), save=False)
        attachment.save()
        attachments[key] = attachment.pk
    api_token_b, _key = api_token_create(user=users["member_b"], name="Globex integration")
    saved_view = SavedView.objects.create(user=users["product_owner"], name="Mine", query="status=new")
    email = OutboundEmail.objects.create(
        to_email="po@retour.test",
        subject=SECRET_EMAIL_SUBJECT,
        text_body=SECRET_EMAIL_SUBJECT,
        html_body=f"<p>{SECRET_EMAIL_SUBJECT}</p>",
        template="tests/matrix",
        language="en",
        idempotency_key="matrix:1",
        status=OutboundEmail.Status.FAILED,
    )
    Invitation.objects.create(
        email="newcomer@globex.test",
        organization=org_b,
        token_hash=hash_secret(INVITATION_TOKEN_B),
        invited_by=users["admin_b"],
        expires_at=timezone.now() + timedelta(days=7),
    )
    tokens = {role: api_token_create(user=users[role], name="matrix")[1] for role in (MEMBER_A, ADMIN_A, CONTRIBUTOR)}
    roadmap = _build_roadmap(users["product_owner"], private_b=private_b, public_b=public_b)
    clubs = build_clubs_world(users=users, private_b=private_b, public_b=public_b)
    reporting = build_reporting_world(users=users, private_b=private_b, organization_b=org_b)
    return {
        "users": users,
        "tokens": tokens,
        "feedback_private_b": private_b.pk,
        "feedback_public_b": public_b.pk,
        **attachments,
        "api_token_b": api_token_b.pk,
        "saved_view_other_user": saved_view.pk,
        "email_id": email.pk,
        "organization_b_slug": org_b.slug,
        "organization_b_id": org_b.pk,
        "invitation_token_b": INVITATION_TOKEN_B,
        "invitation_token_unknown": "no-such-invitation-token",
        **roadmap,
        **clubs,
        **reporting,
    }


def _build_roadmap(product_owner: User, *, private_b: Feedback, public_b: Feedback) -> dict:
    """A private item on Globex's private request, a public item (with its internal title) on Globex's
    public one, a decision on each, a draft release and a published one that names both items. The
    decisions and the published release are written as rows: the services would move the requests
    and queue emails, which the feedback routes above do not expect."""
    private = roadmap_services.item_create(actor=product_owner, title=SECRET_ITEM_TITLE, description=SECRET_ITEM_TITLE)
    public = roadmap_services.item_create(
        actor=product_owner,
        title=SECRET_PUBLIC_ITEM_INTERNAL_TITLE,
        description=SECRET_PUBLIC_ITEM_INTERNAL_TITLE,
        status=RoadmapItem.Status.NEXT,
        is_public=True,
        public_title="Exports in every format",
        public_text="Export your data as CSV or Excel.",
    )
    roadmap_services.item_link_feedback(item=private, feedback=private_b, actor=product_owner)
    roadmap_services.item_link_feedback(item=public, feedback=public_b, actor=product_owner)
    on_private_b = Decision.objects.create(
        feedback=private_b, kind=Decision.Kind.DECLINED, rationale=SECRET_RATIONALE, public_message="Not for now."
    )
    on_public_item = Decision.objects.create(
        item=public, kind=Decision.Kind.ACCEPTED, rationale=SECRET_RATIONALE, expected_outcome="Fewer exports by hand."
    )
    draft = roadmap_services.release_save(
        actor=product_owner, title=SECRET_DRAFT_RELEASE, body=SECRET_DRAFT_RELEASE, release_date=timezone.localdate()
    )
    published = Release.objects.create(
        title="Winter release",
        body="Better exports.",
        release_date=timezone.localdate(),
        status=Release.Status.PUBLISHED,
        published_at=timezone.now(),
        published_by=product_owner,
        fanned_out_at=timezone.now(),
    )
    published.items.set([public, private])
    return {
        "roadmap_item_private": private.pk,
        "roadmap_item_public": public.pk,
        "decision_private_b": on_private_b.pk,
        "decision_public_item": on_public_item.pk,
        "release_draft": draft.pk,
        "release_published": published.pk,
    }


@pytest.fixture(scope="module")
def world_media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, world_media):
    """Overrides conftest's per-test folder: the world's attachments are written once, for the module."""
    settings.MEDIA_ROOT = world_media


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, world_media):
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=world_media), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


# ---------------------------------------------------------------------------------------------
# The matrix
# ---------------------------------------------------------------------------------------------

WATCHED_MODELS = (Feedback, Vote, Comment, FeedbackEvent, Follow, Attachment, SavedView, Membership)
WATCHED_MODELS += (Invitation, ApiToken, Organization, OutboundEmail)
WATCHED_MODELS += (RoadmapItem, RoadmapLink, RoadmapEvent, Decision, Release)
WATCHED_MODELS += REPORTING_WATCHED_MODELS


def _fingerprint() -> str:
    """Row counts of every watched table plus each feedback's mutable fields: a write shows."""
    parts = [f"{model.__name__}={model.objects.count()}" for model in WATCHED_MODELS]
    parts += [
        repr(row)
        for row in Feedback.objects.order_by("pk").values_list(
            "pk", "status", "visibility", "vote_count", "assignee_id", "product_area_id", "merged_into_id"
        )
    ]
    parts += [repr(row) for row in ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")]
    parts += [repr(row) for row in SavedView.objects.order_by("pk").values_list("pk", "name", "query")]
    parts += [repr(row) for row in OutboundEmail.objects.order_by("pk").values_list("pk", "status", "attempts")]
    parts += [repr(row) for row in Invitation.objects.order_by("pk").values_list("pk", "accepted_at")]
    parts += [
        repr(row)
        for row in RoadmapItem.objects.order_by("pk").values_list(
            "pk", "title", "status", "is_public", "main_request_id", "vote_count", "updated_at"
        )
    ]
    parts += [repr(row) for row in Decision.objects.order_by("pk").values_list("pk", "outcome", "actual_outcome")]
    parts += [repr(row) for row in Release.objects.order_by("pk").values_list("pk", "title", "status", "published_at")]
    parts += reporting_fingerprint()
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _cases():
    for name, cases in ROUTES.items():
        for index, case in enumerate(cases):
            for method, roles in case.expect.items():
                for role, outcome in roles.items():
                    label = case.label or (f"case{index}" if len(cases) > 1 else "")
                    case_id = f"{method} {name}{f' [{label}]' if label else ''} as {role} -> {outcome}"
                    yield pytest.param(name, index, method, role, id=case_id)


def _fill(value, world):
    return str(world[value]) if isinstance(value, str) and value in world else value


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)  # the test client closes it at the end
    else:
        content = response.content
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    return content + headers.encode()


def _check_outcome(response, outcome: str, description: str) -> None:
    status = response.status_code
    location = response.get("Location", "")
    to_login = status == 302 and location.startswith(resolve_url("account_login"))
    assert status < 500, f"{description}: server error {status}"
    if outcome == OK:
        assert status < 400 and not to_login, f"{description}: expected success, got {status} {location}"
    elif outcome == REDIRECT:
        assert status in (301, 302, 303) and not to_login, f"{description}: expected a redirect, got {status}"
    elif outcome == LOGIN:
        assert to_login, f"{description}: expected a redirect to sign in, got {status} {location}"
    elif outcome == UNAUTHENTICATED:
        assert status in (401, 403), f"{description}: expected 401/403, got {status}"
    else:
        assert status in STATUSES[outcome], f"{description}: expected {outcome}, got {status}"
    if response.get("Content-Type", "").startswith("application/json") and status >= 400:
        assert "error" in response.json(), f"{description}: API error without the error shape"


@pytest.mark.parametrize(("name", "index", "method", "role"), list(_cases()))
def test_route_matrix(world, db, name, index, method, role):
    case = ROUTES[name][index]
    outcome = case.expect[method][role]
    url = reverse(name, kwargs={key: _fill(value, world) for key, value in case.kwargs.items()})
    query = {key: _fill(value, world) for key, value in case.query.items()}
    data = {key: _fill(value, world) for key, value in case.data.items()}
    if case.api:
        http = APIClient()
        if role != ANON:
            http.credentials(HTTP_AUTHORIZATION=f"Token {world['tokens'][role]}")
    else:
        http = Client()
        if role != ANON:
            http.force_login(world["users"][role])
    before = _fingerprint()

    if method == "GET":
        response = http.get(url, query)
    elif case.api:
        response = getattr(http, method.lower())(url + (f"?{_encode(query)}" if query else ""), data, format="json")
    else:
        response = getattr(http, method.lower())(url, data)

    description = f"{method} {url} as {role}"
    _check_outcome(response, outcome, description)
    body = _body(response)
    secrets = STAFF_SECRETS if role in STAFF_ROLES else CLIENT_SECRETS
    leaked = [secret for secret in secrets if secret.encode() in body]
    assert not leaked, f"{description}: the response shows {leaked}"
    if not (outcome == OK and (method, role) in case.writes):
        assert _fingerprint() == before, f"{description}: answered {response.status_code} but wrote to the database"


def _encode(query: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(query)


def test_the_secrets_are_there_for_whoever_may_see_them(world, db):
    """The absence checks above mean something only if these strings do show where they are allowed."""
    http = Client()
    http.force_login(world["users"]["product_owner"])
    triage = http.get(reverse("feedback:triage_detail", kwargs={"pk": world["feedback_private_b"]}))
    assert SECRET_TITLE_B.encode() in triage.content and SECRET_INTERNAL_NOTE.encode() in triage.content
    email = http.get(reverse("core:email_detail", kwargs={"pk": world["email_id"]}))
    assert SECRET_EMAIL_SUBJECT.encode() in email.content
    http.force_login(world["users"]["admin_b"])
    attachment = http.get(reverse("feedback:attachment", kwargs={"pk": world["attachment_public_b"]}))
    assert SECRET_PUBLIC_ATTACHMENT_NAME.encode() in _body(attachment)
    portal = http.get(reverse("feedback:portal_home"))
    assert SECRET_TITLE_B.encode() in portal.content
    http.force_login(world["users"]["product_owner"])
    item = http.get(reverse("roadmap:item", kwargs={"pk": world["roadmap_item_private"]}))
    assert SECRET_ITEM_TITLE.encode() in item.content
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {world['tokens'][CONTRIBUTOR]}")
    decision = api.get(reverse("api:decision_detail", kwargs={"pk": world["decision_private_b"]}))
    assert SECRET_RATIONALE.encode() in decision.content
    public_item = api.get(reverse("api:roadmap_item_detail", kwargs={"pk": world["roadmap_item_public"]}))
    assert SECRET_PUBLIC_ITEM_INTERNAL_TITLE.encode() in public_item.content
    draft = api.get(reverse("api:release_detail", kwargs={"pk": world["release_draft"]}))
    assert SECRET_DRAFT_RELEASE.encode() in draft.content
    digest = api.get(reverse("api:digest_detail", kwargs={"pk": world["digest"]}))
    assert all(secret.encode() in digest.content for secret in REPORTING_SECRETS)
    assert SECRET_TITLE_B.encode() in digest.content
    archive = http.get(reverse("reporting:digest", kwargs={"pk": world["digest"]}))
    assert REPORTING_SECRETS[0].encode() in archive.content
