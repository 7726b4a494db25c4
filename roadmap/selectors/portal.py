"""Reads for the client portal's roadmap and changelog. Every figure and wording a client reads here
comes from roadmap.policy: public items only, their client-facing title and text, the number of
organizations that asked (a denormalized count, never which ones), published releases only.

The public roadmap shows four sections:

- "Now", "Next" and "Later": the plan, as the product owners set it on the board.
- "Shipped recently": items shipped in the last SHIPPED_RECENTLY_DAYS days (by the date of their move
  to "shipped"); older ones are history, told in the changelog.

Candidates are not shown (nothing is decided yet: showing them would read as a promise), nor are
cancelled items (the clients who asked were told why, on their requests, by the decline decision).

Each section shows its first SECTION_LIMIT items, most asked first; a section with more offers
"see all", which lists that section alone, page by page. The whole page is a fixed number of
queries whatever the number of items: one for the items of every section (a window function
numbers the rows per section), one for the requests the user asked, one for their votes.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Case, F, OuterRef, Prefetch, Q, Subquery, Value, When, Window, prefetch_related_objects
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import User
from core.pagination import LightPage, light_page
from feedback.models import Feedback, Vote
from roadmap import policy
from roadmap.models import Release, RoadmapEvent, RoadmapItem, RoadmapLink

SHIPPED_RECENTLY_DAYS = 90
SECTION_LIMIT = 10
SECTION_PAGE = 25
# The order of the sections on the page.
PORTAL_STATUSES = (
    RoadmapItem.Status.NOW,
    RoadmapItem.Status.NEXT,
    RoadmapItem.Status.LATER,
    RoadmapItem.Status.SHIPPED,
)
# "Me too" is offered on planned items; a shipped one is done (its requesters were told).
ME_TOO_STATUSES = (RoadmapItem.Status.NOW, RoadmapItem.Status.NEXT, RoadmapItem.Status.LATER)

# What a portal card reads of an item and of its main request: never the internal wording.
_ITEM_FIELDS = (
    "pk",
    "status",
    "is_public",
    "public_title",
    "public_text",
    "target_quarter",
    "organization_count",
    "main_request",
    "main_request__pk",
    "main_request__organization_id",
    "main_request__visibility",
    "main_request__status",
)


@dataclass
class PortalItem:
    """An item as a client sees it on the public roadmap."""

    pk: int
    status: str
    status_label: str
    title: str
    text: str
    target_quarter: str
    organization_count: int
    shipped_at: object = None
    me_too_request_id: int | None = None  # None: no "me too" offered
    asked: bool = False  # the user wrote one of the item's requests
    my_importance: str = ""  # the user's vote on the main request, if any
    my_importance_label: str = ""


@dataclass
class PortalSection:
    status: str
    label: str
    items: list[PortalItem] = field(default_factory=list)
    has_more: bool = False


def _shipped_at():
    """When the item was last moved to "shipped" (None for items in another status)."""
    moved = RoadmapEvent.objects.filter(
        item=OuterRef("pk"), kind=RoadmapEvent.Kind.STATUS, new_value=RoadmapItem.Status.SHIPPED
    ).order_by("-created_at", "-id")
    return Case(When(status=RoadmapItem.Status.SHIPPED, then=Subquery(moved.values("created_at")[:1])), default=None)


def _portal_items(*, user: User):
    """Public items of the four sections, annotated with `shipped_at`, in page order."""
    cutoff = timezone.now() - timedelta(days=SHIPPED_RECENTLY_DAYS)
    return (
        RoadmapItem.objects.filter(policy.item_visible_q(user=user))
        .filter(status__in=PORTAL_STATUSES)
        .select_related("main_request")
        .only(*(name for name in _ITEM_FIELDS if name != "main_request__pk"))
        .annotate(shipped_at=_shipped_at())
        .filter(Q(shipped_at__gte=cutoff) | ~Q(status=RoadmapItem.Status.SHIPPED))
    )


# Within a section: shipped ones newest first; planned ones by target quarter (undated last), then the
# most asked. The same order numbers the rows per section and sorts the page.
_SECTION_ORDER = (
    F("shipped_at").desc(nulls_last=True),
    Case(When(target_quarter="", then=Value("9999")), default=F("target_quarter")).asc(),
    F("organization_count").desc(),
    F("pk").desc(),
)


def _to_portal_items(*, user: User, items: list[RoadmapItem]) -> list[PortalItem]:
    """Client wording from the policy, and the user's own part: asked, voted, "me too" offered."""
    item_ids = [item.pk for item in items]
    asked = set(
        RoadmapLink.objects.filter(
            item_id__in=item_ids, feedback__author=user, feedback__organization=user.organization
        ).values_list("item_id", flat=True)
    )
    me_too = {item.pk: policy.main_request_for_me_too(user=user, item=item) for item in items}
    importance = dict(
        Vote.objects.filter(user=user, feedback_id__in=[r.pk for r in me_too.values() if r]).values_list(
            "feedback_id", "importance"
        )
    )
    result = []
    for item in items:
        request = me_too[item.pk]
        mine = importance.get(request.pk, "") if request else ""
        result.append(
            PortalItem(
                pk=item.pk,
                status=item.status,
                status_label=item.get_status_display(),
                title=policy.item_title_for(user=user, item=item),
                text=policy.item_text_for(user=user, item=item),
                target_quarter=item.target_quarter,
                organization_count=item.organization_count,
                shipped_at=item.shipped_at,
                me_too_request_id=request.pk if request else None,
                asked=item.pk in asked,
                my_importance=mine,
                my_importance_label=Feedback.Importance(mine).label if mine else "",
            )
        )
    return result


def portal_roadmap(*, user: User) -> list[PortalSection]:
    """The public roadmap's sections, each with its first SECTION_LIMIT items."""
    rows = list(
        _portal_items(user=user)
        .annotate(row=Window(RowNumber(), partition_by=[F("status")], order_by=list(_SECTION_ORDER)))
        .filter(row__lte=SECTION_LIMIT + 1)
        .order_by(*_SECTION_ORDER)
    )
    sections = {status: PortalSection(status=status, label=status.label) for status in PORTAL_STATUSES}
    shown = []
    for item in rows:
        if item.row > SECTION_LIMIT:
            sections[item.status].has_more = True
        else:
            shown.append(item)
    for portal_item in _to_portal_items(user=user, items=shown):
        sections[portal_item.status].items.append(portal_item)
    return list(sections.values())


def portal_roadmap_section(*, user: User, status: str, page) -> tuple[PortalSection, LightPage]:
    """One section alone, page by page ("see all")."""
    section = PortalSection(status=status, label=RoadmapItem.Status(status).label)
    rows = light_page(
        _portal_items(user=user).filter(status=status).order_by(*_SECTION_ORDER), page=page, per_page=SECTION_PAGE
    )
    section.items = _to_portal_items(user=user, items=rows.object_list)
    return section, rows


def _public_items_prefetch(*, user: User | None) -> Prefetch:
    """The shipped items a release names: public ones only, in their public wording. For the feed
    (no user: a feed reader does not sign in) the rule is the one the policy applies to a client."""
    visible = policy.item_visible_q(user=user) if user is not None else Q(is_public=True)
    return Prefetch(
        "items",
        queryset=RoadmapItem.objects.filter(visible, is_public=True).only("pk", "public_title").order_by("pk"),
        to_attr="public_items",
    )


def portal_changelog(*, user: User, page) -> LightPage:
    """Published releases, newest first; never a draft (whoever asks: this is the clients' changelog)."""
    releases = (
        Release.objects.filter(policy.release_visible_q(user=user))
        .filter(status=Release.Status.PUBLISHED)
        .only("pk", "title", "body", "release_date", "published_at")
        .order_by("-release_date", "-published_at", "-id")
    )
    result = light_page(releases, page=page, per_page=10)
    prefetch_related_objects(result.object_list, _public_items_prefetch(user=user))
    return result


FEED_SIZE = 30


def changelog_feed_releases() -> list[Release]:
    """The Atom feed's releases: published ones, newest first, with their public items' public titles.
    Public by choice (see README): a published release is an announcement, and the feed carries
    nothing a client would not read in the changelog — no draft, no internal title, no organization."""
    return list(
        Release.objects.filter(status=Release.Status.PUBLISHED)
        .only("pk", "title", "body", "release_date", "published_at")
        .prefetch_related(_public_items_prefetch(user=None))
        .order_by("-release_date", "-published_at", "-id")[:FEED_SIZE]
    )
