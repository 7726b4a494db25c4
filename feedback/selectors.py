"""Reads for feedback. Every lookup from a request is scoped by feedback.policy:
another company's private item and a missing one give the same 404."""

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import OperationalError, connection, transaction
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Left
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from feedback.models import Comment, Feedback, FeedbackEvent, StatusCount, Vote
from feedback.policy import (
    comments_visible_to,
    events_visible_to,
    feedback_get_visible_to,
    feedback_is_visible_to,
    feedback_visible_q,
    person_name_shown_to,
)

__all__ = ["feedback_get_visible_to", "feedback_visible_q"]  # the policy's lookups, re-exported for readers


def search_query(q: str):
    """Matches in either language's configuration (accents ignored, words stemmed)."""
    return SearchQuery(q, config="retour_fr", search_type="websearch") | SearchQuery(
        q, config="retour_en", search_type="websearch"
    )


def _with_my_vote(queryset: QuerySet[Feedback], user: User) -> QuerySet[Feedback]:
    mine = Vote.objects.filter(feedback=OuterRef("pk"), user=user)
    return queryset.annotate(my_vote=Subquery(mine.values("importance")[:1]))


def feedback_portal_list(
    *,
    user: User,
    status: str = "",
    product_area: int | None = None,
    kind: str = "",
    sort: str = "trending",
    q: str = "",
    scope: str = "",
) -> QuerySet[Feedback]:
    queryset = Feedback.objects.filter(feedback_visible_q(user=user)).exclude(status=Feedback.Status.MERGED)
    if scope == "mine_org" and user.organization:
        queryset = queryset.filter(organization=user.organization)
    elif scope == "public":
        queryset = queryset.filter(visibility=Feedback.Visibility.PUBLIC)
    if status:
        queryset = queryset.filter(status=status)
    if product_area:
        queryset = queryset.filter(product_area_id=product_area)
    if kind:
        queryset = queryset.filter(kind=kind)
    if q:
        query = search_query(q)
        queryset = queryset.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
    # A card shows how many public comments a request has (internal notes are never counted for
    # anyone reading the portal) and the start of its description: one subquery per card on the
    # (feedback, is_internal) index, and the first characters instead of up to 20,000 of Markdown.
    public_comments = (
        Comment.objects.filter(feedback=OuterRef("pk"), is_internal=False)
        .order_by()
        .values("feedback")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = queryset.annotate(
        public_comment_count=Coalesce(Subquery(public_comments), 0),
        description_head=Left("description", 400),  # enough Markdown for a two-line excerpt
    ).defer("description", "search_vector")
    queryset = queryset.select_related("product_area", "organization", "author")
    queryset = _with_my_vote(queryset, user)
    if q and sort == "relevance":
        return queryset.order_by("-rank", "-id")
    if sort == "newest":
        return queryset.order_by("-created_at", "-id")
    if sort == "most_voted":
        return queryset.order_by("-vote_count", "-id")
    return queryset.order_by("-hot_score", "-id")  # trending: see Feedback.hot_score


INBOX_SORTS = {
    "newest": ["-created_at", "-id"],
    "oldest_waiting": ["created_at", "id"],
    "votes": ["-vote_count", "-id"],
    "organizations": ["-organization_count", "-id"],
    "revenue": ["-revenue", "-id"],
}


def _inbox_filtered(*, filters: dict) -> QuerySet[Feedback]:
    queryset = Feedback.objects.all()
    statuses = filters.get("status") or []
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    else:
        queryset = queryset.exclude(status=Feedback.Status.MERGED)
    for field in ("product_area", "organization", "assignee"):
        value = filters.get(field)
        if value:
            queryset = queryset.filter(**{f"{field}_id": value.pk if hasattr(value, "pk") else value})
    if filters.get("unassigned"):
        queryset = queryset.filter(assignee__isnull=True)
    for field in ("kind", "source", "language"):
        if filters.get(field):
            queryset = queryset.filter(**{field: filters[field]})
    if filters.get("segment"):
        queryset = queryset.filter(organization__segment=filters["segment"])
    if filters.get("tag"):
        queryset = queryset.filter(tags=filters["tag"])
    if filters.get("created_from"):
        queryset = queryset.filter(created_at__date__gte=filters["created_from"])
    if filters.get("created_to"):
        queryset = queryset.filter(created_at__date__lte=filters["created_to"])
    waiting_days = filters.get("waiting_days")
    if waiting_days:
        queryset = queryset.filter(
            first_response_at__isnull=True, created_at__lte=timezone.now() - timedelta(days=waiting_days)
        )
    snoozed = filters.get("snoozed")
    now = timezone.now()
    if snoozed == "yes":
        queryset = queryset.filter(snoozed_until__gt=now)
    elif snoozed == "no":
        queryset = queryset.filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
    q = filters.get("q")
    if q:
        queryset = queryset.filter(search_vector=search_query(q))
    return queryset


def feedback_inbox(*, filters: dict, sort: str = "newest") -> QuerySet[Feedback]:
    """The triage inbox for staff. `filters` holds cleaned values (see feedback.forms.InboxFilterForm)."""
    queryset = _inbox_filtered(filters=filters)
    queryset = queryset.select_related("organization", "product_area", "assignee").prefetch_related("tags")
    # With words, PostgreSQL's own estimate of their frequency chooses between walking the sort's
    # index (a frequent word) and ranking the matches from the text index (a rare one); JIT is off.
    return queryset.order_by(*INBOX_SORTS.get(sort, INBOX_SORTS["newest"]))


STATUS_COUNT_CAP = 1000


def feedback_status_counts(*, filters: dict) -> dict[str, int]:
    """Requests per status for the current filters, counted up to STATUS_COUNT_CAP + 1 each
    (shown as "1000+"): bounded work whatever the data size, in one query."""
    base = _inbox_filtered(filters={**filters, "status": list(Feedback.Status.values)}).order_by()
    parts = [
        base.filter(status=status).values_list("status", flat=True)[: STATUS_COUNT_CAP + 1]
        for status in Feedback.Status.values
    ]
    counts = dict.fromkeys(Feedback.Status.values, 0)
    for status in parts[0].union(*parts[1:], all=True):
        counts[status] += 1
    return counts


STATUS_COUNT_TIMEOUT_MS = 300
# The filters the rollup (StatusCount) answers exactly; an organization is counted from its own rows.
ROLLUP_FILTERS = {"product_area", "assignee", "unassigned", "segment"}
ORGANIZATION_FILTERS = ROLLUP_FILTERS | {"organization"}


def _active(filters: dict) -> set[str]:
    return {
        key for key, value in filters.items() if value not in (None, "", [], False) and key not in ("sort", "status")
    }


def feedback_status_counts_exact(*, filters: dict) -> dict[str, int] | None:
    """Exact requests per status when the filters are among those product owners count by (area,
    segment, assignee, organization): a sum over the rollup, or an organization's own rows through
    its index. None for other filters (kind, words, dates…), which feedback_status_counts bounds."""
    active = _active(filters)
    counts = dict.fromkeys(Feedback.Status.values, 0)
    if active <= ROLLUP_FILTERS:
        rows = StatusCount.objects.all()
        if filters.get("product_area"):
            rows = rows.filter(product_area_id=_pk(filters["product_area"]))
        if filters.get("assignee"):
            rows = rows.filter(assignee_id=_pk(filters["assignee"]))
        elif filters.get("unassigned"):
            rows = rows.filter(assignee_id__isnull=True)
        if filters.get("segment"):
            rows = rows.filter(segment=filters["segment"])
        summed = rows.values_list("status").annotate(total=Sum("n")).order_by()
    elif active <= ORGANIZATION_FILTERS:
        every_status = {**filters, "status": list(Feedback.Status.values)}
        summed = _inbox_filtered(filters=every_status).values_list("status").annotate(total=Count("id")).order_by()
    else:
        return None
    for status, total in summed:
        if status in counts:
            counts[status] = int(total or 0)
    return counts


def _pk(value) -> int:
    return value.pk if hasattr(value, "pk") else int(value)


def feedback_status_counts_bounded(*, filters: dict) -> dict[str, int] | None:
    """The counts, or None when they would take longer than STATUS_COUNT_TIMEOUT_MS to compute."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {int(STATUS_COUNT_TIMEOUT_MS)}")
            return feedback_status_counts(filters=filters)
    except OperationalError:
        return None


SIMILAR_BUDGET = 500  # candidate rows read at most through the rarer words
SIMILAR_FREQUENT = 30  # candidates holding every frequent word, most voted first
SIMILAR_MIN_SCORE = 0.2  # below it, a candidate shares a word or two but not the need (evaluate_duplicates)
SIMILAR_TYPO_SIMILARITY = 0.3  # how close a typed unknown word must be to a known one
GLOSSARY_PATH = Path(__file__).with_name("glossary_fr_en.txt")
_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")  # "l'export": two words; "hors-ligne": one
_ID_SUFFIX = re.compile(r"\s*#\d+\s*$")


@functools.cache
def _glossary() -> list[tuple[frozenset[str], frozenset[str]]]:
    """The bilingual glossary as pairs of lexeme sets (English side stemmed in English, French
    side in French), both ways: a query holding one side's lexemes also looks for the other's."""
    pairs = []
    for line in GLOSSARY_PATH.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        if "=" in line:
            english, french = (part.strip() for part in line.split("=", 1))
            pairs.append((english, french))
    if not pairs:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT tsvector_to_array(to_tsvector('retour_en', e)), tsvector_to_array(to_tsvector('retour_fr', f))
               FROM unnest(%s::text[], %s::text[]) AS g (e, f)""",
            [[e for e, _f in pairs], [f for _e, f in pairs]],
        )
        rows = [(frozenset(en), frozenset(fr)) for en, fr in cursor.fetchall() if en and fr]
    return rows + [(fr, en) for en, fr in rows]


def _tsquery_word(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _similar_lexemes(title: str) -> tuple[dict[str, int], list[set[str]]]:
    """The lexemes to look for, with how many requests hold each: the title's words stemmed in both
    languages (stop words of either dropped), a word no request holds replaced by the nearest known
    one (a typo), and the glossary's translations (a French title finds an English request)."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(title)))[:30]
    if not words:
        return {}, []
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT w, tsvector_to_array(to_tsvector('retour_en', w)), tsvector_to_array(to_tsvector('retour_fr', w))
               FROM unnest(%s::text[]) AS w""",
            [words],
        )
        per_word = [(w, set(en), set(fr)) for w, en, fr in cursor.fetchall() if en and fr]
        lexemes = set().union(*(en | fr for _w, en, fr in per_word)) if per_word else set()
        for source, target in _glossary():
            if source <= lexemes:
                lexemes |= target
        cursor.execute("SELECT word, ndoc FROM feedback_lexeme WHERE word = ANY(%s)", [sorted(lexemes)])
        known = dict(cursor.fetchall())
        typed = [word for word, en, fr in per_word if len(word) >= 4 and not (en | fr) & known.keys()]
        if typed:
            # `%` bounds the trigram index walk; a KNN walk alone reads it all when no word is near.
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(SIMILAR_TYPO_SIMILARITY)]
            )
            for word in typed:
                cursor.execute(
                    "SELECT word, ndoc FROM feedback_lexeme WHERE word %% %s ORDER BY word <-> %s LIMIT 1", [word, word]
                )
                known.update(cursor.fetchall())
    counts = {lexeme: known.get(lexeme, 0) for lexeme in lexemes | known.keys()}
    return counts, [en | fr for _w, en, fr in per_word]


def feedback_similar(*, user: User, title: str, exclude_id: int | None = None, limit: int = 5) -> list[Feedback]:
    """Possible duplicates the user may see, in bounded work whatever the data size. Candidates come
    from the full-text index: every request holding one of the title's rarer words (up to
    SIMILAR_BUDGET rows, by the vocabulary's counts), and the most voted holding all its frequent
    words; then the candidates are ranked by trigram similarity of the titles plus text relevance."""
    title = _ID_SUFFIX.sub("", " ".join((title or "").split())[:200])  # the panel sends "Title #123"
    if len(title) < 4:
        return []
    visible = Feedback.objects.filter(feedback_visible_q(user=user)).exclude(status=Feedback.Status.MERGED)
    if exclude_id:
        visible = visible.exclude(pk=exclude_id)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        lexemes, groups = _similar_lexemes(title)
        if not lexemes:
            return []
        rare, total = [], 0
        for lexeme, ndoc in sorted(lexemes.items(), key=lambda item: (item[1], item[0])):
            if total + ndoc <= SIMILAR_BUDGET:
                rare.append(lexeme)
                total += ndoc
        # The title's own words none of whose stems is rare: all of them, each in either language.
        frequent = [
            "(" + " | ".join(map(_tsquery_word, sorted(group))) + ")" for group in groups if not group & set(rare)
        ]
        ids: set[int] = set()
        if rare:
            query = SearchQuery(" | ".join(map(_tsquery_word, rare)), config="simple", search_type="raw")
            ids.update(visible.filter(search_vector=query).order_by().values_list("pk", flat=True)[:SIMILAR_BUDGET])
        if frequent:
            query = SearchQuery(" & ".join(frequent), config="simple", search_type="raw")
            ids.update(
                visible.filter(search_vector=query)
                .order_by("-vote_count", "-id")
                .values_list("pk", flat=True)[:SIMILAR_FREQUENT]
            )
        if not ids:
            return []
        everything = SearchQuery(" | ".join(map(_tsquery_word, sorted(lexemes))), config="simple", search_type="raw")
        best = list(
            Feedback.objects.filter(pk__in=ids)
            .annotate(score=TrigramWordSimilarity(title, "title") + SearchRank(F("search_vector"), everything))
            .filter(score__gte=SIMILAR_MIN_SCORE)
            .order_by("-score", "-vote_count", "-id")
            .values_list("pk", flat=True)[:limit]
        )
    rows = Feedback.objects.select_related("organization", "product_area").defer("search_vector", "description")
    found = rows.in_bulk(best)
    return [found[pk] for pk in best if pk in found]


def feedback_detail_for_staff(*, pk: int) -> Feedback:
    queryset = Feedback.objects.select_related(
        "organization",
        "organization__account_owner",
        "author",
        "product_area",
        "assignee",
        "merged_into",
        "submitted_by",
    ).prefetch_related(
        "tags",
        "attachments",
        Prefetch(
            "votes",
            queryset=Vote.objects.select_related("user", "organization").order_by("organization__name", "user__name"),
        ),
        Prefetch("comments", queryset=Comment.objects.select_related("author")),
        Prefetch("events", queryset=FeedbackEvent.objects.select_related("actor")),
    )
    try:
        return queryset.get(pk=pk)
    except Feedback.DoesNotExist as exc:
        raise Http404 from exc


@dataclass(frozen=True)
class ConversationEntry:
    """One message of a request's public conversation: a comment, or a decision the team wrote
    with a status change (a decline reason, a question for the requester)."""

    author: User | None
    author_name: str  # as the reader may see it (feedback.policy.person_name_shown_to)
    created_at: datetime
    from_team: bool
    body: str = ""  # a comment's Markdown
    status: str = ""  # a decision's new status value
    message: str = ""  # a decision's public message (plain text)

    @property
    def is_decision(self) -> bool:
        return bool(self.status)


def _decision(viewer: User, event: FeedbackEvent, message: str = "") -> ConversationEntry:
    """A status change the team made, as the reader sees its author."""
    return ConversationEntry(
        author=event.actor,
        author_name=person_name_shown_to(user=viewer, person=event.actor),
        created_at=event.created_at,
        from_team=True,
        status=event.new_value,
        message=message,
    )


def _conversation(*, viewer: User, comments: list[Comment], events: list[FeedbackEvent]) -> list[ConversationEntry]:
    """Public comments and the team's public status messages, oldest first: the question asked
    (needs information) sits right above the requester's answer."""
    entries = [
        ConversationEntry(
            author=c.author,
            author_name=person_name_shown_to(user=viewer, person=c.author),
            created_at=c.created_at,
            from_team=bool(c.author and c.author.is_staff_member),
            body=c.body,
        )
        for c in comments
    ]
    entries += [
        _decision(viewer, e, message=e.public_message)
        for e in events
        if e.kind == FeedbackEvent.Kind.STATUS and e.public_message
    ]
    return sorted(entries, key=lambda entry: entry.created_at)


def _latest_answer(
    *, viewer: User, conversation: list[ConversationEntry], events: list[FeedbackEvent]
) -> ConversationEntry | None:
    """The team's newest word to the clients: a reply, or a decision (with or without a message)."""
    candidates = [entry for entry in conversation if entry.from_team]
    candidates += [_decision(viewer, e) for e in events if e.kind == FeedbackEvent.Kind.STATUS and not e.public_message]
    return max(candidates, key=lambda entry: entry.created_at, default=None)


def feedback_detail_for_client(*, user: User, pk: int) -> Feedback:
    feedback = feedback_get_visible_to(user=user, pk=pk)
    # Internal notes and internal events never leave the server for a client.
    feedback.public_comments = list(comments_visible_to(user=user, feedback=feedback))
    feedback.public_events = list(events_visible_to(user=user, feedback=feedback))
    feedback.conversation = _conversation(viewer=user, comments=feedback.public_comments, events=feedback.public_events)
    feedback.latest_answer = _latest_answer(
        viewer=user, conversation=feedback.conversation, events=feedback.public_events
    )
    target = feedback.merged_into
    feedback.visible_merged_into = target if target and feedback_is_visible_to(user=user, feedback=target) else None
    feedback.my_vote = Vote.objects.filter(feedback=feedback, user=user).first()
    feedback.following = feedback.follows.filter(user=user).exists()
    return feedback
