"""The clubs' pages for the route matrix (merged into tests/test_route_matrix.ROUTES).

World keys: see tests/clubs/matrix_world.py. Roles and outcomes: tests/test_route_matrix.py.
"""

from tests.test_route_matrix import SIGNED_IN_PAGE, STAFF_PAGE, Case

ROUTES: dict = {
    "clubs:index": [Case(expect={"GET": STAFF_PAGE})],
    "clubs:mine": [Case(expect={"GET": SIGNED_IN_PAGE})],
    "clubs:meeting": [Case(kwargs={"pk": "meeting_b"}, expect={"GET": STAFF_PAGE})],
    "clubs:portal_meeting": [Case(kwargs={"pk": "meeting_b"}, expect={"GET": SIGNED_IN_PAGE})],
}
