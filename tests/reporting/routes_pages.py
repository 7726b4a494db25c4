"""The reporting pages for the route matrix (merged into tests/test_route_matrix.ROUTES).

World keys: see tests/reporting/matrix_world.py. Roles and outcomes: tests/test_route_matrix.py.
Every reporting page is for staff: a client gets 404 (the page does not exist for them), anyone
signed out is sent to sign in. A contributor reads (dashboard, exports, archive, dossiers, the lists
of subscriptions and teams) and gets 403 on every product owner's act (reporting_require is asked
before any form). Unsubscribe is public: the signed token is the key.
"""

from tests.test_route_matrix import (
    FORBIDDEN,
    NOT_ALLOWED,
    NOT_FOUND,
    PUBLIC,
    STAFF_PAGE,
    Case,
    page_roles,
)

MANAGE = page_roles(contributor=FORBIDDEN)  # a product owner's act: a contributor gets 403
POST_ONLY = page_roles(contributor=NOT_ALLOWED)  # staff_required first: clients 404, a contributor's GET 405
EVERYONE_404 = dict.fromkeys(PUBLIC, NOT_FOUND)
# A real unsubscribe writes (it is the point): any holder of the link may use it.
UNSUBSCRIBE_WRITES = frozenset(("POST", role) for role in PUBLIC)

SUBSCRIPTION = {"name": "Renamed", "team": "team", "language": "en", "frequency": "weekly", "weekday": "0"}
SUBSCRIPTION |= {"hour": "8", "minute": "0", "timezone": "Europe/Paris", "sections": "incoming"}
ORGANIZATION = {"name": "Initech", "slug": "initech", "segment": "small_business", "annual_contract_value": "1000"}

ROUTES: dict = {
    # --- the dashboard and its CSV exports ---
    "reporting:index": [
        Case(expect={"GET": STAFF_PAGE}),
        Case(
            expect={"GET": STAFF_PAGE},
            query={"from": "2024-01-01", "to": "2024-03-01", "organizations": "organization_b_id"},
            label="scoped to Globex",
        ),
    ],
    "reporting:export": [
        Case(kwargs={"table": "incoming-area"}, expect={"GET": STAFF_PAGE}, label="a table"),
        Case(
            kwargs={"table": "no-such-table"},
            expect={"GET": page_roles(contributor=NOT_FOUND)},
            label="unknown table",
        ),
    ],
    # --- subscriptions and teams: contributors read the lists, product owners manage ---
    "reporting:subscriptions": [Case(expect={"GET": STAFF_PAGE})],
    "reporting:subscription_new": [Case(expect={"GET": MANAGE, "POST": MANAGE}, data=SUBSCRIPTION)],
    "reporting:subscription_edit": [
        Case(kwargs={"pk": "subscription"}, expect={"GET": MANAGE, "POST": MANAGE}, data=SUBSCRIPTION)
    ],
    "reporting:subscription_delete": [Case(kwargs={"pk": "subscription"}, expect={"GET": MANAGE, "POST": MANAGE})],
    "reporting:subscription_send_now": [Case(kwargs={"pk": "subscription"}, expect={"GET": POST_ONLY, "POST": MANAGE})],
    "reporting:teams": [Case(expect={"GET": STAFF_PAGE})],
    "reporting:team_new": [
        Case(expect={"GET": MANAGE, "POST": MANAGE}, data={"name": "Support", "language": "en", "extra_emails": ""})
    ],
    "reporting:team_edit": [
        Case(
            kwargs={"pk": "team"},
            expect={"GET": MANAGE, "POST": MANAGE},
            data={"name": "Renamed", "language": "en", "extra_emails": "member@globex.test"},
            label="adding a Globex user's address",
        )
    ],
    # --- the archive: what did we tell whom, when ---
    "reporting:digests": [
        Case(expect={"GET": STAFF_PAGE}),
        Case(expect={"GET": STAFF_PAGE}, query={"subscription": "subscription", "status": "sent"}, label="filtered"),
    ],
    "reporting:digest": [
        Case(kwargs={"pk": "digest"}, expect={"GET": STAFF_PAGE}, label="sent, naming Globex"),
        Case(kwargs={"pk": "digest_failed"}, expect={"GET": STAFF_PAGE}, label="failed"),
    ],
    "reporting:digest_preview": [Case(kwargs={"pk": "digest"}, expect={"GET": STAFF_PAGE})],
    "reporting:digest_rebuild": [
        Case(kwargs={"pk": "digest_failed"}, expect={"GET": POST_ONLY, "POST": MANAGE}, label="failed"),
        Case(kwargs={"pk": "digest"}, expect={"POST": MANAGE}, label="sent"),
    ],
    # --- unsubscribe: public, the token is the key ---
    "reporting:unsubscribe": [
        Case(kwargs={"token": "unsubscribe_token_bad"}, expect={"GET": EVERYONE_404, "POST": EVERYONE_404}),
        Case(
            kwargs={"token": "unsubscribe_token"},
            expect={"GET": PUBLIC, "POST": PUBLIC},
            data={"List-Unsubscribe": "One-Click"},
            writes=UNSUBSCRIBE_WRITES,
            label="the outside address's link, one click",
        ),
    ],
    # --- organizations: the company dossier, create, edit, import ---
    "reporting:organizations": [Case(expect={"GET": STAFF_PAGE})],
    "reporting:organization_new": [Case(expect={"GET": MANAGE, "POST": MANAGE}, data=ORGANIZATION)],
    "reporting:organization_import": [Case(expect={"GET": MANAGE, "POST": MANAGE}, data={"step": "preview"})],
    "reporting:organization": [Case(kwargs={"pk": "organization_b_id"}, expect={"GET": STAFF_PAGE}, label="Globex")],
    "reporting:organization_edit": [
        Case(kwargs={"pk": "organization_b_id"}, expect={"GET": MANAGE, "POST": MANAGE}, data=ORGANIZATION)
    ],
}
