"""Fixtures shared by the feedback tests."""

import pytest

from tests.factories import feedback_for


@pytest.fixture
def uneven(everyone):
    """Acme has 5 requests (1 public), Globex 2 (1 public)."""
    acme = [feedback_for(author=everyone["member_a"], title=f"Acme request number {i}") for i in range(4)]
    acme.append(feedback_for(author=everyone["admin_a"], title="Acme public idea", visibility="public"))
    globex = [
        feedback_for(author=everyone["member_b"], title="Globex private wish"),
        feedback_for(author=everyone["admin_b"], title="Globex public idea", visibility="public"),
    ]
    return {"acme": acme, "globex": globex}
