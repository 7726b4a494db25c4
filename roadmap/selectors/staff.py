"""Reads behind the staff roadmap pages: the board, the ranked list, an item with its business case
and the drill-down behind each figure, the decision log and the releases. Each one fetches what its
page shows up front (select_related / prefetch / annotations) so that the page's query count is
fixed whatever the number of items; the pages' counts are pinned in tests/roadmap/test_views.py.

Staff see every item (roadmap.policy.item_visible_q is Q() for them); these selectors are only
called from staff_required views, and item lookups still go through the policy."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Organization, User
from core.lookups import object_or_404
from feedback.models import Feedback
from roadmap import policy
from roadmap.models import Decision, Release, RoadmapEvent, RoadmapItem, RoadmapLink
from roadmap.services import at_risk_q, business_case_organizations, business_case_votes

BOARD_LIMIT = 15  # cards per open column; the rest is on the ranked list ("see all")
BOARD_CLOSED_LIMIT = 5  # the latest shipped / cancelled items
CLOSED_STATUSES = (RoadmapItem.Status.SHIPPED, RoadmapItem.Status.CANCELLED)


@dataclass
class BoardColumn:
    status: str
    label: str
    items: list[RoadmapItem]
    total: int

    @property
    def has_more(self) -> bool:
        return self.total > len(self.items)

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


_CARD_FIELDS = (
    "id",
    "title",
    "status",
    "owner",
    "target_quarter",
    "organization_count",
    "revenue_at_risk",
    "rice_score",
    "updated_at",
)
_OPEN_ORDER = ("-revenue_at_risk", "-rice_score", "-id")
_CLOSED_ORDER = ("-updated_at", "-id")


def roadmap_board(*, limit: int = BOARD_LIMIT, closed_limit: int = BOARD_CLOSED_LIMIT) -> list[BoardColumn]:
    """Columns by status. Open columns show the items with the most revenue at risk first, closed
    ones the latest changed. Three queries: the counts; each column's first ids (one short index scan
    per status, in one UNION ALL); the cards, narrow rows only."""
    counts = dict(RoadmapItem.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    parts = [
        RoadmapItem.objects.filter(status=status)
        .order_by(*(_CLOSED_ORDER if status in CLOSED_STATUSES else _OPEN_ORDER))
        .values_list("id", flat=True)[: closed_limit if status in CLOSED_STATUSES else limit]
        for status in RoadmapItem.Status.values
    ]
    ids = list(parts[0].union(*parts[1:], all=True))
    items = list(RoadmapItem.objects.filter(pk__in=ids).select_related("owner").only(*_CARD_FIELDS, "owner"))

    def order_key(item: RoadmapItem):
        if item.status in CLOSED_STATUSES:
            return (-item.updated_at.timestamp(), -item.pk)
        return (-item.revenue_at_risk, -item.rice_score, -item.pk)

    by_status: dict[str, list[RoadmapItem]] = {}
    for item in sorted(items, key=order_key):
        by_status.setdefault(item.status, []).append(item)
    return [
        BoardColumn(status=value, label=label, items=by_status.get(value, []), total=counts.get(value, 0))
        for value, label in RoadmapItem.Status.choices
    ]


# The ranked list -----------------------------------------------------------------------------

RANKED_SORTS = {
    "at_risk": ["-revenue_at_risk", "-id"],
    "revenue": ["-revenue", "-id"],
    "organizations": ["-organization_count", "-id"],
    "votes": ["-vote_count", "-id"],
    "rice": ["-rice_score", "-id"],
    "newest": ["-id"],
}


def roadmap_ranked(*, filters: dict, sort: str = "at_risk") -> QuerySet[RoadmapItem]:
    """Items ranked by a business-case figure or RICE, filtered. `filters` are a RankedFilterForm's
    cleaned data: product_area, owner, quarter, status (a list), segment, at_risk."""
    queryset = RoadmapItem.objects.all()
    if filters.get("product_area"):
        queryset = queryset.filter(product_area=filters["product_area"])
    if filters.get("owner"):
        queryset = queryset.filter(owner=filters["owner"])
    if filters.get("quarter"):
        queryset = queryset.filter(target_quarter=filters["quarter"])
    if filters.get("status"):
        queryset = queryset.filter(status__in=filters["status"])
    if filters.get("segment"):
        queryset = queryset.filter(segments__has_key=filters["segment"])
    if filters.get("at_risk"):
        queryset = queryset.filter(revenue_at_risk__gt=0)
    return queryset.select_related("owner", "product_area").order_by(*RANKED_SORTS.get(sort, RANKED_SORTS["at_risk"]))


def roadmap_quarters() -> list[str]:
    """The target quarters in use, for the ranked list's filter (a few dozen distinct values)."""
    return list(
        RoadmapItem.objects.exclude(target_quarter="")
        .order_by("target_quarter")
        .values_list("target_quarter", flat=True)
        .distinct()
    )


# One item --------------------------------------------------------------------------------------


LINKS_SHOWN = 50


def roadmap_item_detail(*, user: User, pk) -> RoadmapItem:
    """The item page: the item (through the policy: 404 for what the user may not see) with its
    linked requests, decisions, history and releases, each fetched once."""
    return object_or_404(
        RoadmapItem.objects.filter(policy.item_visible_q(user=user))
        .select_related("owner", "product_area", "main_request")
        .prefetch_related(
            Prefetch(
                "decisions",
                queryset=Decision.objects.select_related("decided_by", "feedback").order_by("-decided_at", "-id"),
            ),
            Prefetch("events", queryset=RoadmapEvent.objects.select_related("actor").order_by("-created_at", "-id")),
            Prefetch("releases", queryset=Release.objects.order_by("-release_date", "-id")),
        ),
        pk,
    )


def item_links_shown(*, item: RoadmapItem) -> list[RoadmapLink]:
    """The most voted linked requests, by the vote count copied on each link (one index scan): an
    item may have thousands (the drill-down lists them all)."""
    return list(
        RoadmapLink.objects.filter(item=item)
        .select_related("feedback__organization")
        .order_by("-vote_count", "-feedback_id")[:LINKS_SHOWN]
    )


def roadmap_item_for_sheet(*, user: User, pk) -> RoadmapItem:
    """The business-case sheet: the item, its accepted decision's expected outcome and the top requests."""
    return object_or_404(
        RoadmapItem.objects.filter(policy.item_visible_q(user=user))
        .select_related("owner", "product_area")
        .prefetch_related(
            Prefetch("decisions", queryset=Decision.objects.select_related("decided_by").order_by("-decided_at")),
        ),
        pk,
    )


def item_top_requests(*, item: RoadmapItem, limit: int = 8) -> list[Feedback]:
    return list(
        Feedback.objects.filter(roadmap_link__item=item)
        .exclude(status=Feedback.Status.MERGED)
        .select_related("organization")
        .order_by("-vote_count", "pk")[:limit]
    )


def item_top_organizations(*, item: RoadmapItem, limit: int = 8, today: date | None = None) -> list[Organization]:
    return list(
        business_case_organizations(item_id=item.pk)
        .annotate(at_risk=Count("pk", filter=at_risk_q(today=today)))
        .order_by("-annual_contract_value", "name")[:limit]
    )


# The drill-down behind each figure ----------------------------------------------------------------

FIGURES = ("requests", "votes", "organizations", "revenue", "at_risk", "segments")


def item_figure_rows(*, item: RoadmapItem, figure: str, today: date | None = None):
    """The rows a figure of the business case was computed from, with the very querysets that
    roadmap.services.business_case_refresh aggregates, so that the page and the figure agree.

    requests: the linked requests (merged ones are not counted; they are listed apart by the page).
    votes: every vote on them (voter, company, importance, provenance).
    organizations / revenue: the distinct organizations of those votes, with ACV and renewal date.
    at_risk: those whose renewal falls within the window (services.AT_RISK_DAYS).
    segments: the organizations grouped by segment."""
    today = today or timezone.localdate()
    if figure == "requests":
        return (
            Feedback.objects.filter(roadmap_link__item=item)
            .exclude(status=Feedback.Status.MERGED)
            .select_related("organization", "author")
            .order_by("-vote_count", "pk")
        )
    if figure == "votes":
        return (
            business_case_votes(item_id=item.pk)
            .select_related("user", "organization", "feedback")
            .order_by("organization__name", "user__name", "pk")
        )
    organizations = business_case_organizations(item_id=item.pk).annotate(
        at_risk=Count("pk", filter=at_risk_q(today=today))
    )
    if figure in ("organizations", "revenue"):
        return organizations.order_by("-annual_contract_value", "name", "pk")
    if figure == "at_risk":
        return organizations.filter(at_risk_q(today=today)).order_by("renewal_date", "name", "pk")
    if figure == "segments":
        return organizations.exclude(segment="").order_by("segment", "-annual_contract_value", "name", "pk")
    raise ValueError(figure)


def item_figure_totals(*, item: RoadmapItem, figure: str, today: date | None = None) -> dict:
    """The total of a drill-down, computed over its rows (one aggregate query), shown beside the
    item's denormalized figure: they are equal unless the business case is stale."""
    from django.db.models import Sum

    rows = item_figure_rows(item=item, figure=figure, today=today)
    if figure in ("organizations", "revenue", "at_risk", "segments"):
        return rows.order_by().aggregate(count=Count("pk"), total=Sum("annual_contract_value"))
    return {"count": rows.order_by().count(), "total": None}


# Linking from triage ---------------------------------------------------------------------------


def item_search(*, q: str, limit: int = 10) -> list[RoadmapItem]:
    """The link picker: items whose title contains q, or whose number is q."""
    q = (q or "").strip().lstrip("#")
    if not q:
        return []
    condition = Q(title__icontains=q)
    if q.isdigit() and len(q) < 10:
        condition |= Q(pk=int(q))
    return list(
        RoadmapItem.objects.filter(condition).select_related("owner").order_by("-revenue_at_risk", "-id")[:limit]
    )


# The decision log ------------------------------------------------------------------------------


def decision_log(*, filters: dict) -> QuerySet[Decision]:
    """Decisions, newest first, filtered: kind, product_area, organization, date_from, date_to,
    outcome, q (over Decision.search_text)."""
    queryset = Decision.objects.all()
    if filters.get("kind"):
        queryset = queryset.filter(kind=filters["kind"])
    if filters.get("product_area"):
        queryset = queryset.filter(product_area=filters["product_area"])
    if filters.get("organization"):
        queryset = queryset.filter(organization_links__organization=filters["organization"])
    if filters.get("date_from"):
        queryset = queryset.filter(decided_at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        queryset = queryset.filter(decided_at__date__lte=filters["date_to"])
    if filters.get("outcome"):
        queryset = queryset.filter(kind=Decision.Kind.ACCEPTED, outcome=filters["outcome"])
    if filters.get("q"):
        queryset = queryset.filter(search_text__icontains=filters["q"])
    return queryset.select_related("item", "feedback", "decided_by", "product_area").order_by("-decided_at", "-id")


def decision_success(*, queryset: QuerySet[Decision]) -> dict:
    """Of the accepted decisions in `queryset` whose outcome is known, the share that reached it."""
    counts = queryset.order_by().aggregate(
        reached=Count("pk", filter=Q(kind=Decision.Kind.ACCEPTED, outcome=Decision.Outcome.REACHED)),
        missed=Count("pk", filter=Q(kind=Decision.Kind.ACCEPTED, outcome=Decision.Outcome.MISSED)),
        unknown=Count("pk", filter=Q(kind=Decision.Kind.ACCEPTED, outcome=Decision.Outcome.UNKNOWN)),
    )
    known = counts["reached"] + counts["missed"]
    counts["rate"] = round(100 * counts["reached"] / known) if known else None
    return counts


# Releases ----------------------------------------------------------------------------------------


def release_list() -> QuerySet[Release]:
    return (
        Release.objects.annotate(item_count=Count("items"))
        .select_related("published_by")
        .order_by("-release_date", "-id")
    )


def release_detail(*, user: User, pk) -> Release:
    return object_or_404(
        Release.objects.filter(policy.release_visible_q(user=user))
        .select_related("published_by")
        .prefetch_related(Prefetch("items", queryset=RoadmapItem.objects.order_by("title"))),
        pk,
    )


def release_item_choices(*, release: Release | None = None) -> QuerySet[RoadmapItem]:
    """Items a release may ship: those being worked on (now, next, later), and those it already
    holds. Not the whole backlog: at scale that would be thousands of checkboxes."""
    condition = Q(status__in=[RoadmapItem.Status.NOW, RoadmapItem.Status.NEXT, RoadmapItem.Status.LATER])
    if release is not None:
        condition |= Q(releases=release)
    return RoadmapItem.objects.filter(condition).distinct().order_by("status", "title")
