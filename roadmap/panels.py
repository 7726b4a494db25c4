"""The roadmap's section on a request's page (triage and portal), registered with feedback.extensions."""

from django.db.models import Prefetch

from roadmap import policy
from roadmap.models import Decision, RoadmapLink


def feedback_roadmap_panel(*, user, feedback, staff_page: bool) -> dict | None:
    """The item the request belongs to (public wording for clients, and only if public) and the
    decisions that concern it, with their public message. Staff also get the link picker."""
    link = RoadmapLink.objects.filter(feedback=feedback).select_related("item").first()
    item = link.item if link and policy.item_is_visible_to(user=user, item=link.item) else None
    decisions = list(
        Decision.objects.filter(policy.decision_visible_q(user=user))
        .filter(feedback=feedback)
        .select_related("decided_by")
        .prefetch_related(Prefetch("told_events"))
        .order_by("-decided_at")
    )
    if link is not None and item is not None:
        decisions += list(
            Decision.objects.filter(policy.decision_visible_q(user=user))
            .filter(item=link.item)
            .select_related("decided_by")
            .order_by("-decided_at")
        )
    if not staff_page and item is None and not decisions:
        return None
    return {
        "template": "roadmap/_feedback_panel.html",
        "item": item,
        "item_title": policy.item_title_for(user=user, item=item) if item else "",
        "decisions": decisions,
        "can_link": staff_page and policy.roadmap_may(user=user, action=policy.Action.LINK),
        "feedback": feedback,
        "staff_page": staff_page,
    }
