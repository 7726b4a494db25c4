"""The clubs' api routes for the route matrix (merged into tests/test_route_matrix.ROUTES).

World keys: see tests/clubs/matrix_world.py. Roles and outcomes: tests/test_route_matrix.py.
"""

ROUTES: dict = {}
