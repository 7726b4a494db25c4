"""The clubs' api routes for the route matrix (merged into tests/test_route_matrix.ROUTES).

World keys: see tests/clubs/matrix_world.py. Roles and outcomes: tests/test_route_matrix.py.

Acme's member and admin belong to `club_shared` (not to `club_b`, which is Globex's only); the
contributor is staff who organizes none of them: they read every club and get 403 where an
organizer is needed. A non-member gets 404 for a club and everything under it, a member 403 for an
organizer's act.
"""

from tests.test_route_matrix import (
    ADMIN_A,
    ANON,
    CONTRIBUTOR,
    FORBIDDEN,
    INVALID,
    MEMBER_A,
    NOT_FOUND,
    OK,
    UNAUTHENTICATED,
    Case,
    api_roles,
)

MEMBER_REFUSED = api_roles(clients=FORBIDDEN, contributor=FORBIDDEN)  # the club's members: 403; a contributor: 403
NOT_MEMBERS = api_roles(contributor=FORBIDDEN)  # Acme is not in the club: 404; a contributor reads, may not manage
MEMBERS_READ = api_roles(clients=OK)
ALL_404 = {ANON: UNAUTHENTICATED, MEMBER_A: NOT_FOUND, ADMIN_A: NOT_FOUND, CONTRIBUTOR: NOT_FOUND}
MEETING = {
    "title": "A meeting",
    "starts_at": "2030-01-15T10:00:00Z",
    "ends_at": "2030-01-15T12:00:00Z",
}
CLIENT_WRITES = frozenset({("POST", MEMBER_A), ("POST", ADMIN_A), ("PUT", MEMBER_A), ("PUT", ADMIN_A)})

ROUTES: dict = {
    "api:club_list": [
        Case(api=True, expect={"GET": MEMBERS_READ, "POST": MEMBER_REFUSED}, data={"name": "A new club"}),
        Case(api=True, query={"visibility": "invitation"}, expect={"GET": MEMBERS_READ}, label="filtered"),
    ],
    "api:club_detail": [
        Case(
            api=True,
            kwargs={"pk": "club_b"},
            expect={"GET": api_roles(), "PATCH": NOT_MEMBERS},
            data={"name": "Renamed"},
            label="Globex's club",
        ),
        Case(
            api=True,
            kwargs={"pk": "club_shared"},
            expect={"GET": MEMBERS_READ, "PATCH": MEMBER_REFUSED},
            data={"name": "Renamed"},
            label="shared club",
        ),
    ],
    "api:club_members": [
        Case(
            api=True,
            kwargs={"pk": "club_b"},
            expect={"GET": api_roles(), "POST": NOT_MEMBERS},
            data={"user": "user_member_a"},
            label="Globex's club",
        ),
        Case(
            api=True,
            kwargs={"pk": "club_shared"},
            expect={"GET": MEMBERS_READ, "POST": MEMBER_REFUSED},
            data={"user": "user_member_b"},
            label="shared club",
        ),
        Case(
            api=True,
            kwargs={"pk": "club_shared"},
            query={"status": "requested"},
            # Who asked to join (and who left) is the organizers' list: a client's filter is refused.
            expect={"GET": api_roles(clients=INVALID)},
            label="requests to join",
        ),
    ],
    "api:club_member_detail": [
        Case(
            api=True,
            kwargs={"pk": "club_b", "membership_id": "membership_b"},
            expect={"PATCH": NOT_MEMBERS, "DELETE": NOT_MEMBERS},
            data={"role": "chair"},
            label="Globex's club",
        ),
        Case(
            api=True,
            kwargs={"pk": "club_shared", "membership_id": "membership_shared_b"},
            expect={"PATCH": MEMBER_REFUSED, "DELETE": MEMBER_REFUSED},
            data={"role": "chair"},
            label="shared club",
        ),
        Case(
            api=True,
            kwargs={"pk": "club_shared", "membership_id": "membership_b"},
            expect={"PATCH": ALL_404, "DELETE": ALL_404},
            data={"role": "chair"},
            label="another club's membership",
        ),
    ],
    "api:club_join": [
        Case(
            api=True,
            kwargs={"pk": "club_open_b"},
            # Acme's users may ask to join an open club (a request, approved by an organizer); staff do not ask.
            expect={"POST": api_roles(clients=OK, contributor=NOT_FOUND)},
            writes=CLIENT_WRITES,
            label="open club",
        ),
        Case(api=True, kwargs={"pk": "club_b"}, expect={"POST": ALL_404}, label="invitation-only club"),
        Case(api=True, kwargs={"pk": "club_shared"}, expect={"POST": ALL_404}, label="already a member"),
    ],
    "api:club_action_items": [
        Case(
            api=True,
            kwargs={"pk": "club_b"},
            expect={"GET": api_roles(), "POST": NOT_MEMBERS},
            data={"title": "Call them back"},
            label="Globex's club",
        ),
        Case(
            api=True,
            kwargs={"pk": "club_shared"},
            # Its action item is about Globex's private request: listed, never linked for Acme.
            expect={"GET": MEMBERS_READ, "POST": MEMBER_REFUSED},
            data={"title": "Call them back"},
            label="shared club",
        ),
    ],
    "api:club_action_item_detail": [
        Case(
            api=True,
            kwargs={"pk": "club_b", "action_id": "action_b"},
            expect={"GET": api_roles(), "PATCH": NOT_MEMBERS},
            data={"status": "done"},
            label="Globex's club",
        ),
        Case(
            api=True,
            kwargs={"pk": "club_shared", "action_id": "action_shared"},
            expect={"GET": MEMBERS_READ, "PATCH": MEMBER_REFUSED},
            data={"status": "done"},
            label="shared club",
        ),
        Case(
            api=True,
            kwargs={"pk": "club_shared", "action_id": "action_b"},
            expect={"GET": ALL_404, "PATCH": ALL_404},
            data={"status": "done"},
            label="another club's item",
        ),
    ],
    "api:meeting_list": [
        Case(
            api=True,
            # A club Acme cannot see is refused like one that does not exist (400 on the field).
            expect={"GET": MEMBERS_READ, "POST": api_roles(clients=INVALID, contributor=FORBIDDEN)},
            data={"club": "club_b", **MEETING},
            label="in Globex's club",
        ),
        Case(
            api=True,
            expect={"POST": MEMBER_REFUSED},
            data={"club": "club_shared", **MEETING},
            label="in the shared club",
        ),
        Case(
            api=True,
            query={"club": "club_b", "status": "held", "upcoming": "false"},
            expect={"GET": MEMBERS_READ},
            label="filtered on Globex's club",
        ),
    ],
    "api:meeting_detail": [
        Case(
            api=True,
            kwargs={"pk": "meeting_b"},
            expect={"GET": api_roles(), "PATCH": NOT_MEMBERS},
            data={"title": "Renamed"},
            label="Globex's meeting",
        ),
        Case(
            api=True,
            kwargs={"pk": "meeting_shared"},
            # Its agenda has a topic about Globex's private request: the summary, no link, no title.
            expect={"GET": MEMBERS_READ, "PATCH": MEMBER_REFUSED},
            data={"title": "Renamed"},
            label="shared meeting",
        ),
    ],
    "api:meeting_cancel": [
        Case(api=True, kwargs={"pk": "meeting_b"}, expect={"POST": NOT_MEMBERS}, label="Globex's meeting"),
        Case(api=True, kwargs={"pk": "meeting_shared"}, expect={"POST": MEMBER_REFUSED}, label="shared meeting"),
    ],
    "api:meeting_invitations": [
        Case(api=True, kwargs={"pk": "meeting_b"}, expect={"GET": api_roles(), "POST": NOT_MEMBERS}, label="Globex's"),
        Case(
            api=True,
            kwargs={"pk": "meeting_shared"},
            # Who answered what is the organizers' view (staff read it): a member gets 403.
            expect={"GET": api_roles(clients=FORBIDDEN), "POST": MEMBER_REFUSED},
            label="shared meeting",
        ),
    ],
    "api:meeting_rsvp": [
        Case(
            api=True,
            kwargs={"pk": "meeting_b"},
            expect={"PUT": NOT_MEMBERS, "POST": NOT_MEMBERS},
            data={"rsvp": "yes"},
            label="Globex's meeting",
        ),
        Case(
            api=True,
            kwargs={"pk": "meeting_shared"},
            # Acme's member and admin are invited: they answer. Staff do not answer invitations.
            expect={
                "PUT": api_roles(clients=OK, contributor=FORBIDDEN),
                "POST": api_roles(clients=OK, contributor=FORBIDDEN),
            },
            data={"rsvp": "maybe", "comment": "If the train runs"},
            writes=CLIENT_WRITES,
            label="shared meeting",
        ),
    ],
    "api:meeting_attendance": [
        Case(
            api=True,
            kwargs={"pk": "meeting_b"},
            expect={"POST": NOT_MEMBERS},
            data={"user": "user_member_b", "attended": True},
            label="Globex's meeting",
        ),
        Case(
            api=True,
            kwargs={"pk": "meeting_shared"},
            expect={"POST": MEMBER_REFUSED},
            data={"user": "user_member_a", "attended": True},
            label="shared meeting",
        ),
    ],
    "api:meeting_agenda": [
        Case(
            api=True,
            kwargs={"pk": "meeting_b"},
            expect={"POST": NOT_MEMBERS},
            data={"title": "A topic"},
            label="Globex's meeting",
        ),
        Case(
            api=True,
            kwargs={"pk": "meeting_shared"},
            expect={"POST": MEMBER_REFUSED},
            data={"title": "A topic", "feedback": "feedback_private_b"},
            label="shared meeting",
        ),
    ],
    "api:meeting_agenda_topic": [
        Case(
            api=True,
            kwargs={"pk": "meeting_b", "topic_id": "topic_b"},
            expect={"PATCH": NOT_MEMBERS, "DELETE": NOT_MEMBERS},
            data={"title": "Reworded"},
            label="Globex's meeting",
        ),
        Case(
            api=True,
            kwargs={"pk": "meeting_shared", "topic_id": "topic_private_b"},
            expect={"PATCH": MEMBER_REFUSED, "DELETE": MEMBER_REFUSED},
            data={"title": "Reworded"},
            label="shared meeting",
        ),
        Case(
            api=True,
            kwargs={"pk": "meeting_shared", "topic_id": "topic_b"},
            expect={"PATCH": ALL_404, "DELETE": ALL_404},
            data={"title": "Reworded"},
            label="another meeting's topic",
        ),
    ],
    "api:meeting_votes": [
        Case(
            api=True,
            kwargs={"pk": "meeting_b"},
            expect={"GET": api_roles(), "POST": NOT_MEMBERS},
            data={"title": "Priorities", "budget": 5, "topics": []},
            label="Globex's meeting",
        ),
        Case(
            api=True,
            kwargs={"pk": "meeting_shared"},
            expect={"GET": MEMBERS_READ, "POST": MEMBER_REFUSED},
            data={"title": "Priorities", "budget": 5, "topics": []},
            label="shared meeting",
        ),
    ],
    "api:meeting_vote_detail": [
        Case(api=True, kwargs={"pk": "meeting_b", "vote_id": "vote_b"}, expect={"GET": api_roles()}, label="Globex's"),
        Case(
            api=True,
            kwargs={"pk": "meeting_shared", "vote_id": "vote_shared"},
            # The tally names the organizer's summary of Globex's private request, never its title.
            expect={"GET": MEMBERS_READ},
            label="shared meeting",
        ),
        Case(
            api=True, kwargs={"pk": "meeting_shared", "vote_id": "vote_b"}, expect={"GET": ALL_404}, label="another's"
        ),
    ],
    "api:meeting_vote_open": [
        Case(api=True, kwargs={"pk": "meeting_b", "vote_id": "vote_b"}, expect={"POST": NOT_MEMBERS}, label="Globex's"),
        Case(
            api=True,
            kwargs={"pk": "meeting_shared", "vote_id": "vote_shared"},
            expect={"POST": MEMBER_REFUSED},
            label="shared meeting",
        ),
    ],
    "api:meeting_vote_close": [
        Case(api=True, kwargs={"pk": "meeting_b", "vote_id": "vote_b"}, expect={"POST": NOT_MEMBERS}, label="Globex's"),
        Case(
            api=True,
            kwargs={"pk": "meeting_shared", "vote_id": "vote_shared"},
            expect={"POST": MEMBER_REFUSED},
            label="shared meeting",
        ),
    ],
    "api:meeting_vote_ballot": [
        Case(
            api=True,
            kwargs={"pk": "meeting_b", "vote_id": "vote_b"},
            expect={"POST": NOT_MEMBERS},
            data={"points": {}},
            label="Globex's meeting",
        ),
        Case(
            api=True,
            kwargs={"pk": "meeting_shared", "vote_id": "vote_shared"},
            # Acme's members were not marked present: refused with a message; staff do not vote.
            expect={"POST": api_roles(clients=INVALID, contributor=FORBIDDEN)},
            data={"points": {}},
            label="shared meeting",
        ),
    ],
    "api:meeting_minutes": [
        Case(
            api=True,
            kwargs={"pk": "meeting_b"},
            expect={"GET": api_roles(), "PUT": NOT_MEMBERS},
            data={"body": "Minutes"},
            label="Globex's published minutes",
        ),
        Case(
            api=True,
            kwargs={"pk": "meeting_shared"},
            # Draft minutes: members read them once published (404 before); staff read the draft.
            expect={"GET": api_roles(), "PUT": MEMBER_REFUSED},
            data={"body": "Minutes"},
            label="shared meeting's draft",
        ),
    ],
}
