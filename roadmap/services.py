"""Writes for the roadmap. Each service owns its transaction, validates, asks roadmap.policy, records a
RoadmapEvent for every change of an item, and keeps the business case exact.

Lock order, everywhere: feedback rows (by id) before roadmap item rows (by id), so a vote (which
locks its request, then refreshes the item) and a link (which locks the request, then the item)
cannot deadlock.
"""

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from core.tasks_util import enqueue_on_commit
from feedback import services as feedback_services
from feedback.models import Feedback, FeedbackEvent, Vote
from feedback.policy import Action as FeedbackAction
from feedback.policy import feedback_require
from roadmap.models import Decision, DecisionOrganization, Release, RoadmapEvent, RoadmapItem, RoadmapLink
from roadmap.policy import Action, roadmap_require

logger = logging.getLogger(__name__)

AT_RISK_DAYS = 90
IMPACT_VALUES = {choice: Decimal(choice) for choice in RoadmapItem.Impact.values}
CLOSED_REQUEST_STATUSES = {Feedback.Status.SHIPPED, Feedback.Status.DECLINED, Feedback.Status.MERGED}
TITLE_MAX = 200
TEXT_MAX = 20_000

# Business case ------------------------------------------------------------------------------


def rice_score(*, reach: int, impact: str, confidence: int, effort) -> float:
    """RICE = reach * impact * confidence / effort (Intercom's formula; confidence as a fraction)."""
    effort = Decimal(effort or 0)
    if effort <= 0:
        return 0.0
    return float(Decimal(reach) * IMPACT_VALUES.get(impact, Decimal(1)) * Decimal(confidence) / 100 / effort)


def business_case_votes(*, item_id: int):
    """The votes behind an item's figures: every vote on its linked requests, merged ones excluded."""
    return Vote.objects.filter(feedback__roadmap_link__item_id=item_id).exclude(feedback__status=Feedback.Status.MERGED)


def business_case_organizations(*, item_id: int):
    return Organization.objects.filter(pk__in=business_case_votes(item_id=item_id).values("organization_id"))


def at_risk_q(*, today: date | None = None) -> Q:
    today = today or timezone.localdate()
    return Q(renewal_date__gte=today, renewal_date__lte=today + timedelta(days=AT_RISK_DAYS))


def business_case_refresh(*, item_id: int, today: date | None = None) -> RoadmapItem | None:
    """Recompute an item's business case from the votes themselves, under the item's row lock so
    that concurrent votes on its requests cannot lose an update. A few indexed aggregates."""
    with transaction.atomic():
        item = RoadmapItem.objects.select_for_update().filter(pk=item_id).first()
        if item is None:
            return None
        votes = business_case_votes(item_id=item_id)
        by = votes.aggregate(
            n=Count("id"),
            nice=Count("id", filter=Q(importance=Feedback.Importance.NICE_TO_HAVE)),
            important=Count("id", filter=Q(importance=Feedback.Importance.IMPORTANT)),
            critical=Count("id", filter=Q(importance=Feedback.Importance.CRITICAL)),
            direct=Count("id", filter=Q(provenance=Vote.Provenance.DIRECT)),
            on_behalf=Count("id", filter=Q(provenance=Vote.Provenance.ON_BEHALF)),
            meeting=Count("id", filter=Q(provenance=Vote.Provenance.MEETING)),
        )
        organizations = business_case_organizations(item_id=item_id)
        money = organizations.aggregate(
            n=Count("id"),
            revenue=Sum("annual_contract_value"),
            at_risk=Sum("annual_contract_value", filter=at_risk_q(today=today)),
        )
        segments = dict(
            organizations.exclude(segment="").values_list("segment").annotate(n=Count("id")).values_list("segment", "n")
        )
        item.request_count = item.links.exclude(feedback__status=Feedback.Status.MERGED).count()
        item.vote_count = by["n"]
        item.votes_nice_to_have = by["nice"]
        item.votes_important = by["important"]
        item.votes_critical = by["critical"]
        item.votes_direct = by["direct"]
        item.votes_on_behalf = by["on_behalf"]
        item.votes_meeting = by["meeting"]
        item.organization_count = money["n"]
        item.revenue = money["revenue"] or 0
        item.revenue_at_risk = money["at_risk"] or 0
        item.segments = segments
        item.rice_score = rice_score(
            reach=item.reach, impact=item.impact, confidence=item.confidence, effort=item.effort
        )
        item.business_case_at = timezone.now()
        item.save(
            update_fields=[
                "request_count",
                "vote_count",
                "votes_nice_to_have",
                "votes_important",
                "votes_critical",
                "votes_direct",
                "votes_on_behalf",
                "votes_meeting",
                "organization_count",
                "revenue",
                "revenue_at_risk",
                "segments",
                "rice_score",
                "business_case_at",
            ]
        )
    return item


def business_case_on_demand_change(feedback_id: int) -> None:
    """feedback's demand listener: a request's votes changed (its row is locked by the caller);
    copy its vote count onto its link and refresh the item it belongs to."""
    item_id = RoadmapLink.objects.filter(feedback_id=feedback_id).values_list("item_id", flat=True).first()
    if item_id is not None:
        RoadmapLink.objects.filter(feedback_id=feedback_id).update(
            vote_count=Feedback.objects.filter(pk=feedback_id).values("vote_count")[:1]
        )
        business_case_refresh(item_id=item_id)


def business_case_refresh_all() -> int:
    """Nightly: revenue at risk moves with the calendar (a renewal enters the 90-day window)."""
    count = 0
    for item_id in RoadmapItem.objects.exclude(
        status__in=[RoadmapItem.Status.SHIPPED, RoadmapItem.Status.CANCELLED]
    ).values_list("pk", flat=True):
        business_case_refresh(item_id=item_id)
        count += 1
    return count


# Items --------------------------------------------------------------------------------------

EDITABLE_FIELDS = (
    "title",
    "description",
    "target_quarter",
    "owner",
    "product_area",
    "is_public",
    "public_title",
    "public_text",
    "main_request",
    "reach_override",
    "impact",
    "confidence",
    "effort",
)


def _event(item: RoadmapItem, actor: User | None, kind: str, old="", new="") -> RoadmapEvent:
    return RoadmapEvent.objects.create(
        item=item, actor=actor, kind=kind, old_value=str(old or "")[:200], new_value=str(new or "")[:200]
    )


def _validate_item(values: dict) -> None:
    errors: dict = {}
    title = values.get("title")
    if title is not None:
        if len(title) < 3:
            errors["title"] = _("Give the item a title of at least 3 characters.")
        elif len(title) > TITLE_MAX:
            errors["title"] = _("Keep the title under 200 characters.")
    for field in ("description", "public_text"):
        if len(values.get(field) or "") > TEXT_MAX:
            errors[field] = _("Keep it under 20,000 characters.")
    if len(values.get("public_title") or "") > TITLE_MAX:
        errors["public_title"] = _("Keep the title under 200 characters.")
    quarter = values.get("target_quarter")
    if quarter:
        from roadmap.models import QUARTER_RE

        if not QUARTER_RE.match(quarter):
            errors["target_quarter"] = _("Write the quarter as 2027-Q1.")
    owner = values.get("owner")
    if owner is not None and not owner.is_staff_member:
        errors["owner"] = _("The owner must be a member of the publisher's staff.")
    if "impact" in values and values["impact"] not in RoadmapItem.Impact.values:
        errors["impact"] = _("Choose a valid impact.")
    confidence = values.get("confidence")
    if confidence is not None and not 0 <= int(confidence) <= 100:
        errors["confidence"] = _("Confidence is a percentage, from 0 to 100.")
    effort = values.get("effort")
    if effort is not None and not Decimal("0") < Decimal(effort) <= Decimal("9999"):
        errors["effort"] = _("Effort is a positive number of person-months.")
    reach = values.get("reach_override")
    if reach is not None and not 0 <= int(reach) <= 10_000_000:
        errors["reach_override"] = _("Reach is a number of organizations.")
    if values.get("is_public") and not (values.get("public_title") or "").strip():
        errors["public_title"] = _("A public item needs a client-facing title.")
    if errors:
        raise ValidationError(errors)


def item_create(*, actor: User, title: str, status: str = RoadmapItem.Status.CANDIDATE, **fields) -> RoadmapItem:
    roadmap_require(user=actor, action=Action.EDIT)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    if status not in RoadmapItem.Status.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    values = {"title": " ".join((title or "").split()), **fields}
    _validate_item(values)
    with transaction.atomic():
        item = RoadmapItem.objects.create(status=status, **values)
        item.rice_score = rice_score(
            reach=item.reach, impact=item.impact, confidence=item.confidence, effort=item.effort
        )
        item.save(update_fields=["rice_score"])
        _event(item, actor, RoadmapEvent.Kind.CREATED, new=status)
    return item


def item_update(*, item: RoadmapItem, actor: User, **fields) -> RoadmapItem:
    """Any editable fields, all or nothing; one event per field that changed."""
    roadmap_require(user=actor, action=Action.EDIT)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    if "title" in fields:
        fields["title"] = " ".join((fields["title"] or "").split())
    with transaction.atomic():
        item = RoadmapItem.objects.select_for_update().get(pk=item.pk)
        merged = {name: getattr(item, name) for name in EDITABLE_FIELDS} | fields
        _validate_item(merged)
        main = fields.get("main_request")
        if main is not None and not RoadmapLink.objects.filter(item=item, feedback=main).exists():
            raise ValidationError({"main_request": _("The main request must be one of the item's linked requests.")})
        changed = [name for name, value in fields.items() if getattr(item, name) != value]
        for name in changed:
            old = getattr(item, name)
            setattr(item, name, fields[name])
            _event(
                item, actor, RoadmapEvent.Kind.EDITED, old=f"{name}: {old if old is not None else ''}", new=fields[name]
            )
        if changed:
            item.save(update_fields=[*changed, "updated_at"])
    if {"reach_override", "impact", "confidence", "effort"} & set(changed):
        item = business_case_refresh(item_id=item.pk)
    return item


def item_move(*, item: RoadmapItem, actor: User, status: str) -> RoadmapItem:
    """Move an item on the board (another column)."""
    roadmap_require(user=actor, action=Action.EDIT)
    if status not in RoadmapItem.Status.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    with transaction.atomic():
        item = RoadmapItem.objects.select_for_update().get(pk=item.pk)
        if item.status != status:
            old = item.status
            item.status = status
            item.save(update_fields=["status", "updated_at"])
            _event(item, actor, RoadmapEvent.Kind.STATUS, old=old, new=status)
    return item


def item_link_feedback(*, item: RoadmapItem, feedback: Feedback, actor: User) -> RoadmapLink:
    """A request belongs to at most one item: linking it elsewhere is refused (unlink it first)."""
    roadmap_require(user=actor, action=Action.LINK)
    with transaction.atomic():
        feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
        item = RoadmapItem.objects.select_for_update().get(pk=item.pk)
        if feedback.status == Feedback.Status.MERGED:
            raise ValidationError({"feedback": _("This request was merged: link the request it was merged into.")})
        existing = RoadmapLink.objects.filter(feedback=feedback).select_related("item").first()
        if existing is not None:
            if existing.item_id == item.pk:
                return existing
            raise ValidationError(
                {
                    "feedback": _(
                        "This request already belongs to the roadmap item “%(title)s”: unlink it there first."
                    )
                    % {"title": existing.item.title}
                }
            )
        link = RoadmapLink.objects.create(item=item, feedback=feedback, linked_by=actor, vote_count=feedback.vote_count)
        _event(item, actor, RoadmapEvent.Kind.LINKED, new=f"#{feedback.pk}")
        if item.main_request_id is None:
            item.main_request = feedback
            item.save(update_fields=["main_request", "updated_at"])
    business_case_refresh(item_id=item.pk)
    return link


def item_unlink_feedback(*, item: RoadmapItem, feedback: Feedback, actor: User) -> None:
    roadmap_require(user=actor, action=Action.LINK)
    with transaction.atomic():
        Feedback.objects.select_for_update().filter(pk=feedback.pk).first()
        item = RoadmapItem.objects.select_for_update().get(pk=item.pk)
        deleted, _detail = RoadmapLink.objects.filter(item=item, feedback_id=feedback.pk).delete()
        if not deleted:
            raise ValidationError({"feedback": _("This request is not linked to this item.")})
        _event(item, actor, RoadmapEvent.Kind.UNLINKED, old=f"#{feedback.pk}")
        if item.main_request_id == feedback.pk:
            item.main_request_id = (
                RoadmapLink.objects.filter(item=item)
                .order_by("created_at")
                .values_list("feedback_id", flat=True)
                .first()
            )
            item.save(update_fields=["main_request", "updated_at"])
    business_case_refresh(item_id=item.pk)


# Decisions ----------------------------------------------------------------------------------

# What each decision does to the requests it concerns (their clients are told through feedback's path).
DECISION_REQUEST_STATUS = {
    Decision.Kind.ACCEPTED: Feedback.Status.PLANNED,
    Decision.Kind.DECLINED: Feedback.Status.DECLINED,
    Decision.Kind.DEFERRED: Feedback.Status.UNDER_REVIEW,
}
DECISION_ITEM_STATUS = {
    Decision.Kind.ACCEPTED: RoadmapItem.Status.NEXT,
    Decision.Kind.DECLINED: RoadmapItem.Status.CANCELLED,
    Decision.Kind.DEFERRED: RoadmapItem.Status.LATER,
}


def decision_record(
    *,
    actor: User,
    kind: str,
    item: RoadmapItem | None = None,
    feedback: Feedback | None = None,
    rationale: str = "",
    public_message: str = "",
    expected_outcome: str = "",
) -> Decision:
    """A yes, a no or a not-now. Declining and deferring need a public message; accepting needs the
    expected outcome. Every open request concerned moves accordingly and its clients are told."""
    roadmap_require(user=actor, action=Action.DECIDE)
    rationale, public_message, expected_outcome = (
        (rationale or "").strip(),
        (public_message or "").strip(),
        (expected_outcome or "").strip(),
    )
    errors: dict = {}
    if (item is None) == (feedback is None):
        errors["item"] = _("A decision is on one roadmap item or on one request.")
    if kind not in Decision.Kind.values:
        errors["kind"] = _("Choose accepted, declined or deferred.")
    if kind in (Decision.Kind.DECLINED, Decision.Kind.DEFERRED) and not public_message:
        errors["public_message"] = _("Tell the clients why: a message is required when declining or deferring.")
    if kind == Decision.Kind.ACCEPTED and not expected_outcome:
        errors["expected_outcome"] = _(
            "State the expected outcome: what should change for the clients who asked, and how we will know."
        )
    for name, value in (
        ("rationale", rationale),
        ("public_message", public_message),
        ("expected_outcome", expected_outcome),
    ):
        if len(value) > 5000:
            errors[name] = _("Keep it under 5,000 characters.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if item is not None:
            requests = list(
                Feedback.objects.filter(roadmap_link__item=item)
                .exclude(status__in=CLOSED_REQUEST_STATUSES)
                .order_by("pk")
            )
        else:
            requests = [] if feedback.status in CLOSED_REQUEST_STATUSES else [feedback]
        last_event_id = FeedbackEvent.objects.aggregate(last=Max("id"))["last"] or 0
        for request in requests:
            feedback_services.feedback_change_status(
                feedback=request, actor=actor, status=DECISION_REQUEST_STATUS[kind], public_message=public_message
            )
        # The events this decision wrote (the requests stay locked by us until commit), in one query.
        told = list(
            FeedbackEvent.objects.filter(
                feedback__in=requests, kind=FeedbackEvent.Kind.STATUS, id__gt=last_event_id
            ).order_by("id")
        )
        subject = item.title if item is not None else feedback.title
        decision = Decision.objects.create(
            item=item,
            feedback=feedback,
            kind=kind,
            rationale=rationale,
            public_message=public_message,
            expected_outcome=expected_outcome,
            decided_by=actor,
            clients_told_at=timezone.now() if told else None,
            product_area=(item.product_area if item is not None else feedback.product_area),
            search_text=" ".join([subject, rationale, public_message, expected_outcome]),
        )
        decision.told_events.set(told)
        request_ids = [f.pk for f in requests] or (
            list(Feedback.objects.filter(roadmap_link__item=item).values_list("pk", flat=True))
            if item is not None
            else [feedback.pk]
        )
        organization_ids = set(
            Vote.objects.filter(feedback_id__in=request_ids).values_list("organization_id", flat=True)
        ) | set(Feedback.objects.filter(pk__in=request_ids).values_list("organization_id", flat=True))
        DecisionOrganization.objects.bulk_create(
            [DecisionOrganization(decision=decision, organization_id=oid) for oid in sorted(organization_ids)]
        )
        if item is not None:
            _event(item, actor, RoadmapEvent.Kind.DECISION, new=kind)
            target = DECISION_ITEM_STATUS[kind]
            if item.status not in (RoadmapItem.Status.SHIPPED, target) and not (
                kind == Decision.Kind.ACCEPTED and item.status in (RoadmapItem.Status.NOW, RoadmapItem.Status.NEXT)
            ):
                item_move(item=item, actor=actor, status=target)
    return decision


def decision_record_outcome(
    *, decision: Decision, actor: User, outcome: str, actual_outcome: str, lesson: str = ""
) -> Decision:
    """Once the item shipped or was cancelled (or the request shipped or was declined): what really
    happened, against what was expected, and the lesson."""
    roadmap_require(user=actor, action=Action.DECIDE)
    actual_outcome, lesson = (actual_outcome or "").strip(), (lesson or "").strip()
    errors: dict = {}
    if outcome not in (Decision.Outcome.REACHED, Decision.Outcome.MISSED):
        errors["outcome"] = _("Say whether the expected outcome was reached or missed.")
    if not actual_outcome:
        errors["actual_outcome"] = _("Describe what actually happened.")
    if outcome == Decision.Outcome.MISSED and not lesson:
        errors["lesson"] = _("A missed outcome needs its lesson: what will we do differently?")
    if len(actual_outcome) > 5000 or len(lesson) > 5000:
        errors["actual_outcome"] = _("Keep it under 5,000 characters.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        decision = (
            Decision.objects.select_for_update(of=("self",)).select_related("item", "feedback").get(pk=decision.pk)
        )
        if decision.kind != Decision.Kind.ACCEPTED:
            raise ValidationError({"outcome": _("Only an accepted decision has an expected outcome to check.")})
        done = (
            decision.item.status in (RoadmapItem.Status.SHIPPED, RoadmapItem.Status.CANCELLED)
            if decision.item is not None
            else decision.feedback.status in (Feedback.Status.SHIPPED, Feedback.Status.DECLINED)
        )
        if not done:
            raise ValidationError({"outcome": _("Record the outcome once the item has shipped or was cancelled.")})
        decision.outcome = outcome
        decision.actual_outcome = actual_outcome
        decision.lesson = lesson
        decision.outcome_recorded_at = timezone.now()
        decision.search_text = " ".join([decision.search_text, actual_outcome, lesson])[:20000]
        decision.save(update_fields=["outcome", "actual_outcome", "lesson", "outcome_recorded_at", "search_text"])
        if decision.item is not None:
            _event(decision.item, actor, RoadmapEvent.Kind.OUTCOME, new=outcome)
    return decision


# Releases -----------------------------------------------------------------------------------


def release_save(
    *,
    actor: User,
    title: str,
    release_date: date,
    body: str = "",
    items: list[RoadmapItem] | None = None,
    release: Release | None = None,
) -> Release:
    """Create a draft release, or change a draft. A published release is history: it is not edited."""
    roadmap_require(user=actor, action=Action.RELEASE)
    title = " ".join((title or "").split())
    errors: dict = {}
    if len(title) < 3:
        errors["title"] = _("Give the release a title of at least 3 characters.")
    if len(title) > TITLE_MAX:
        errors["title"] = _("Keep the title under 200 characters.")
    if len(body or "") > TEXT_MAX:
        errors["body"] = _("Keep it under 20,000 characters.")
    if release_date is None:
        errors["release_date"] = _("Give the release date.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if release is None:
            release = Release.objects.create(title=title, body=body or "", release_date=release_date)
        else:
            release = Release.objects.select_for_update().get(pk=release.pk)
            if release.status == Release.Status.PUBLISHED:
                raise ValidationError(_("A published release cannot be changed."))
            release.title, release.body, release.release_date = title, body or "", release_date
            release.save(update_fields=["title", "body", "release_date"])
        if items is not None:
            release.items.set(items)
    return release


def release_publish(*, release: Release, actor: User) -> Release:
    """Publish: the release and its items are marked shipped at once; the worker then moves their open
    requests to shipped (in batches) and announces it once to every requester, voter and follower.
    The request returns at once whatever the number of requests. Publishing again does nothing more."""
    roadmap_require(user=actor, action=Action.RELEASE)
    feedback_require(user=actor, action=FeedbackAction.DECIDE)  # the worker ships requests in their name
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        if release.status == Release.Status.PUBLISHED:
            return release
        items = list(release.items.order_by("pk"))
        if not items:
            raise ValidationError(_("Add at least one shipped item before publishing."))
        release.status = Release.Status.PUBLISHED
        release.published_at = timezone.now()
        release.published_by = actor
        release.save(update_fields=["status", "published_at", "published_by"])
        for item in items:
            item_move(item=item, actor=actor, status=RoadmapItem.Status.SHIPPED)
            _event(item, actor, RoadmapEvent.Kind.RELEASED, new=release.title)
        enqueue_on_commit("roadmap.release_fanout", release.pk)
    return release


def release_ship_requests(*, release: Release) -> int:
    """The worker's first step: every open request linked to the release's items becomes shipped."""
    ids = list(
        Feedback.objects.filter(roadmap_link__item__releases=release)
        .exclude(status__in=CLOSED_REQUEST_STATUSES)
        .values_list("pk", flat=True)
    )
    return feedback_services.feedback_ship_many(feedback_ids=ids, actor=release.published_by)


def item_set_club_priority(*, priorities: dict[int, int]) -> None:
    """Store the clubs' in-meeting vote points behind each item (computed and owned by clubs)."""
    with transaction.atomic():
        for item_id, points in sorted(priorities.items()):
            RoadmapItem.objects.filter(pk=item_id).exclude(club_priority=points).update(club_priority=max(points, 0))
