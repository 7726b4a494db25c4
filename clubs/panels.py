"""The clubs' section on a request's triage page, registered with feedback.extensions."""

from django.db.models import Q

from clubs.models import Meeting


def feedback_clubs_panel(*, user, feedback, staff_page: bool) -> dict | None:
    """Staff only: the meetings where the request was on the agenda or raised. One query."""
    if not staff_page or not user.is_staff_member:
        return None
    meetings = list(
        Meeting.objects.filter(Q(agenda__feedback=feedback) | Q(captured__feedback=feedback))
        .select_related("club")
        .distinct()
        .order_by("-starts_at", "-id")[:10]
    )
    if not meetings:
        return None
    return {"template": "clubs/_feedback_panel.html", "meetings": meetings, "feedback": feedback}
