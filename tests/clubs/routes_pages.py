"""The clubs' pages for the route matrix (merged into tests/test_route_matrix.ROUTES).

World keys: see tests/clubs/matrix_world.py. Roles and outcomes: tests/test_route_matrix.py.
The contributor organizes none of the world's clubs: reads are OK, writes 403 (club_require is
asked before any form). Acme's users are members of `club_shared` only.
"""

from tests.test_route_matrix import (
    FORBIDDEN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    REDIRECT,
    SIGNED_IN_PAGE,
    STAFF_PAGE,
    Case,
    page_roles,
)

STAFF_WRITE = page_roles(contributor=FORBIDDEN)  # staff page; only an organizer writes
PORTAL_PAGE = page_roles(clients=OK, contributor=REDIRECT)  # members read; staff go to the staff page
PORTAL_HIDDEN = page_roles(contributor=REDIRECT)  # not Acme's club: 404; staff go to the staff page
POST_ONLY = page_roles(clients=NOT_ALLOWED, contributor=NOT_FOUND)  # portal_join: client_required first
CLIENT_ONLY = page_roles(contributor=NOT_FOUND)  # the vote fragment and joining: staff get 404

ROUTES: dict = {
    # --- staff ---
    "clubs:index": [Case(expect={"GET": STAFF_PAGE})],
    "clubs:club_new": [
        # Only product owners create clubs.
        Case(expect={"GET": STAFF_WRITE, "POST": STAFF_WRITE}, data={"name": "A new club", "language": "en"})
    ],
    "clubs:club": [Case(kwargs={"pk": "club_b"}, expect={"GET": STAFF_PAGE}, label="Globex-only club")],
    "clubs:club_edit": [
        Case(
            kwargs={"pk": "club_b"},
            expect={"GET": STAFF_WRITE, "POST": STAFF_WRITE},
            data={"name": "Renamed", "language": "en", "visibility": "open"},
        )
    ],
    "clubs:members": [
        Case(
            kwargs={"pk": "club_b"},
            expect={"GET": page_roles(contributor=NOT_ALLOWED), "POST": STAFF_WRITE},
            data={"action": "add", "user": "user_member_a", "role": "member"},
            label="adding Acme's member to Globex's club",
        ),
        Case(
            kwargs={"pk": "club_shared"},
            expect={"POST": STAFF_WRITE},
            data={"action": "remove", "membership": "membership_b"},
            label="a membership of another club",
        ),
    ],
    "clubs:member_search": [Case(kwargs={"pk": "club_b"}, expect={"GET": STAFF_PAGE}, query={"q": "globex"})],
    "clubs:meeting_new": [
        Case(kwargs={"pk": "club_b"}, expect={"GET": STAFF_WRITE, "POST": STAFF_WRITE}, data={"title": "Next"})
    ],
    "clubs:meeting": [
        Case(
            kwargs={"pk": "meeting_b"},
            expect={"GET": STAFF_PAGE, "POST": STAFF_WRITE},
            data={"action": "cancel"},
        ),
        Case(
            kwargs={"pk": "meeting_shared"},
            expect={"GET": STAFF_PAGE, "POST": STAFF_WRITE},
            data={"action": "topic_remove", "topic": "topic_b"},
            label="shared, removing another meeting's topic",
        ),
    ],
    "clubs:meeting_run": [
        Case(
            kwargs={"pk": "meeting_shared"},
            expect={"GET": STAFF_PAGE, "POST": STAFF_WRITE},
            data={"action": "vote_close", "vote": "vote_shared"},
        ),
        Case(
            kwargs={"pk": "meeting_b"},
            expect={"POST": STAFF_WRITE},
            data={"action": "capture", "author": "user_member_b", "title": "x"},
            label="capture",
        ),
    ],
    "clubs:meeting_history": [Case(kwargs={"pk": "meeting_b"}, expect={"GET": STAFF_PAGE})],
    "clubs:vote_tally": [
        Case(kwargs={"pk": "vote_b"}, expect={"GET": STAFF_PAGE}, label="closed, Globex-only"),
        Case(kwargs={"pk": "vote_shared"}, expect={"GET": STAFF_PAGE}, label="open, shared"),
    ],
    # --- portal ---
    "clubs:mine": [Case(expect={"GET": SIGNED_IN_PAGE})],
    "clubs:portal_club": [
        Case(kwargs={"pk": "club_b"}, expect={"GET": PORTAL_HIDDEN}, label="Globex-only"),
        Case(kwargs={"pk": "club_shared"}, expect={"GET": PORTAL_PAGE}, label="shared"),
        Case(kwargs={"pk": "club_open_b"}, expect={"GET": PORTAL_HIDDEN}, label="open, not a member"),
    ],
    "clubs:portal_meeting": [
        Case(
            kwargs={"pk": "meeting_b"},
            expect={"GET": PORTAL_HIDDEN, "POST": PORTAL_HIDDEN},
            data={"rsvp": "yes"},
            label="Globex-only",
        ),
        Case(
            kwargs={"pk": "meeting_shared"},
            # A member of the shared club answers: the RSVP is the only write (not a watched table).
            expect={"GET": PORTAL_PAGE, "POST": page_roles(clients=REDIRECT, contributor=REDIRECT)},
            data={"rsvp": "maybe", "comment": "Perhaps"},
            label="shared",
        ),
        Case(
            kwargs={"pk": "meeting_shared"},
            query={"part": "vote"},
            expect={"GET": PORTAL_PAGE},
            label="shared, the vote fragment",
        ),
    ],
    "clubs:portal_vote": [
        Case(
            kwargs={"pk": "vote_b"},
            expect={"GET": CLIENT_ONLY, "POST": CLIENT_ONLY},
            data={"topic_1": "1"},
            label="Globex-only",
        ),
        Case(
            kwargs={"pk": "vote_shared"},
            # Acme's members are not marked present: the ballot is refused (400), nothing written.
            expect={
                "GET": page_roles(clients=OK, contributor=NOT_FOUND),
                "POST": page_roles(clients="400", contributor=NOT_FOUND),
            },
            data={"topic_0": "2"},
            label="shared, an unknown topic",
        ),
    ],
    "clubs:portal_join": [
        Case(kwargs={"pk": "club_b"}, expect={"GET": POST_ONLY, "POST": CLIENT_ONLY}, label="invitation only"),
        Case(
            kwargs={"pk": "club_open_b"},
            # Acme's users may ask to join an open club (a request row, not a watched table).
            expect={"POST": page_roles(clients=REDIRECT, contributor=NOT_FOUND)},
            label="open",
        ),
    ],
}
