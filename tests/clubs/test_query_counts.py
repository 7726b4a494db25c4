"""Pinned query counts of the clubs' pages not pinned in test_views: each is measured, then measured
again with more members, topics, votes and action items, and must not grow with them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clubs import services
from tests.clubs.conftest import present
from tests.factories import client_user, feedback_for


def _grow(club, meeting, product_owner, org, n: int):
    """n more members (present), topics linked to requests, action items and a closed vote."""
    people = [client_user(organization=org, email=f"grow{n}-{i}@acme.test") for i in range(n)]
    for person in people:
        services.member_add(club=club, actor=product_owner, user=person)
    present(meeting, product_owner, *people)
    topics = [
        services.agenda_add(
            meeting=meeting,
            actor=product_owner,
            title=f"Grown topic {n}-{i}",
            feedback=feedback_for(author=people[i % len(people)], title=f"Grown request {n}-{i}"),
        )
        for i in range(n)
    ]
    for i in range(n):
        services.action_item_create(
            club=club,
            actor=product_owner,
            meeting=meeting,
            title=f"Grown action {n}-{i}",
            owner=people[0],
            due_date=timezone.localdate() - timedelta(days=1),
        )
    vote = services.vote_create(
        meeting=meeting, actor=product_owner, title=f"Grown vote {n}", budget=3, topics=topics[:2]
    )
    services.vote_open(vote=vote, actor=product_owner)
    services.ballot_cast(vote=vote, user=people[0], points={topics[0].pk: 2, topics[1].pk: 1})
    services.vote_close(vote=vote, actor=product_owner)
    return vote


PAGES = {
    # name: (who reads, url kwargs from (club, meeting, vote))
    "clubs:club": ("product_owner", lambda c, m, v: {"pk": c.pk}),
    "clubs:meeting": ("product_owner", lambda c, m, v: {"pk": m.pk}),
    "clubs:meeting_history": ("product_owner", lambda c, m, v: {"pk": m.pk}),
    "clubs:vote_tally": ("product_owner", lambda c, m, v: {"pk": v.pk}),
    "clubs:portal_club": ("member_a", lambda c, m, v: {"pk": c.pk}),
    "clubs:portal_vote": ("member_a", lambda c, m, v: {"pk": v.pk}),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_query_count_does_not_grow(name, request, login, club, meeting, product_owner, org_a, member_a):
    reader = request.getfixturevalue(PAGES[name][0])
    present(meeting, product_owner, member_a)
    vote = _grow(club, meeting, product_owner, org_a, 2)
    http = login(reader)
    url = reverse(name, kwargs=PAGES[name][1](club, meeting, vote))
    http.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as small:
        assert http.get(url).status_code == 200
    _grow(club, meeting, product_owner, org_a, 6)
    with CaptureQueriesContext(connection) as large:
        assert http.get(url).status_code == 200
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    assert len(small) == EXPECTED[name]


EXPECTED = {
    "clubs:club": 8,
    "clubs:meeting": 21,  # 13 of them the agenda suggestions (their ranking runs in its own transaction)
    "clubs:meeting_history": 4,
    "clubs:vote_tally": 7,
    "clubs:portal_club": 7,
    "clubs:portal_vote": 6,
}
