"""The reporting API for the route matrix (merged into tests/test_route_matrix.ROUTES).

World keys: see tests/reporting/matrix_world.py. Roles and outcomes: tests/test_route_matrix.py.
Every endpoint is for staff: a client gets 404 (not 403: the address does not exist for them),
whatever the id or the query; a contributor reads.
"""

from tests.test_route_matrix import FORBIDDEN, INVALID, Case, api_roles

STAFF_READ = api_roles()  # clients 404, a contributor reads
REFUSED_FOR_STAFF = api_roles(contributor=INVALID)  # clients still 404 (asked first); staff get the 400
MANAGE = api_roles(contributor=FORBIDDEN)  # a product owner's act: clients 404, a contributor 403
SUBSCRIPTION = {"name": "Globex watch", "team": "team", "sections": ["incoming"]}

ROUTES: dict = {
    "api:digest_list": [
        Case(api=True, expect={"GET": STAFF_READ}),
        Case(
            api=True,
            query={"subscription": "subscription", "status": "sent", "period_from": "2020-01-01"},
            expect={"GET": STAFF_READ},
            label="filtered",
        ),
        Case(api=True, query={"organization": "organization_b_id"}, expect={"GET": REFUSED_FOR_STAFF}, label="unknown"),
    ],
    "api:digest_detail": [
        Case(api=True, kwargs={"pk": "digest"}, expect={"GET": STAFF_READ}, label="sent, naming Globex"),
        Case(api=True, kwargs={"pk": "digest_failed"}, expect={"GET": STAFF_READ}, label="failed"),
    ],
    "api:report_summary": [
        Case(
            api=True,
            query={"from": "2024-01-01", "to": "2024-04-01", "organization": "organization_b_id"},
            expect={"GET": STAFF_READ},
            label="scoped to Globex",
        ),
        Case(api=True, expect={"GET": STAFF_READ}, label="the last 12 weeks"),
        Case(
            api=True,
            query={"from": "2024-04-01", "to": "2024-01-01"},
            expect={"GET": REFUSED_FOR_STAFF},
            label="from after to",
        ),
    ],
    "api:digest_subscription_list": [
        Case(api=True, expect={"GET": STAFF_READ, "POST": MANAGE}, data=SUBSCRIPTION),
        Case(api=True, query={"is_active": "true", "team": "team"}, expect={"GET": STAFF_READ}, label="filtered"),
    ],
    "api:digest_subscription_detail": [
        Case(
            api=True,
            kwargs={"pk": "subscription"},
            expect={"GET": STAFF_READ, "PATCH": MANAGE, "DELETE": MANAGE},
            data={"is_active": False},
        )
    ],
    "api:organization_dossier": [
        Case(api=True, kwargs={"pk": "organization_b_id"}, expect={"GET": STAFF_READ}, label="Globex"),
    ],
}
