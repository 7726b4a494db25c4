"""Duplicate suggestions measured against a labelled set (duplicates.json).

The corpus is inserted through feedback_submit, as the portal would (search vector included), in
a transaction that is always rolled back: the measure leaves no row behind on any database, and the
rows already there act as distractors."""

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from accounts.models import Membership, Organization, User
from feedback.models import Feedback
from feedback.selectors import feedback_similar
from feedback.services import feedback_submit

DATA_PATH = Path(__file__).with_name("duplicates.json")
CATEGORIES = ("rewording_en", "rewording_fr", "more_specific", "less_specific", "typo", "cross_language")
NEGATIVE = "negative"  # a query with no duplicate in the corpus: every suggestion is a false alarm
LANGUAGES = ("en", "fr")
LIMIT = 5


@dataclass(frozen=True)
class CorpusEntry:
    key: str
    language: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Pair:
    category: str
    language: str
    query: str
    key: str | None


@dataclass(frozen=True)
class Dataset:
    corpus: dict[str, CorpusEntry]
    pairs: list[Pair]


@dataclass(frozen=True)
class Outcome:
    """One query's suggestions: (corpus key, or None for a row outside the corpus; title)."""

    pair: Pair
    returned: list[tuple[str | None, str]]
    seconds: float

    @property
    def hit(self) -> bool:
        return self.pair.key is not None and any(key == self.pair.key for key, _title in self.returned)

    @property
    def relevant(self) -> int:
        return sum(1 for key, _title in self.returned if key is not None and key == self.pair.key)


@dataclass
class Score:
    """recall@5: share of positive queries whose target is among the suggestions.
    precision@5: relevant suggestions / suggestions returned, over all the category's queries
    (anything but the labelled target is irrelevant; None when nothing was returned)."""

    pairs: int = 0
    positives: int = 0
    hits: int = 0
    relevant: int = 0
    returned: int = 0
    seconds: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list, repr=False)

    def add(self, outcome: Outcome) -> None:
        self.pairs += 1
        self.positives += outcome.pair.key is not None
        self.hits += outcome.hit
        self.relevant += outcome.relevant
        self.returned += len(outcome.returned)
        self.seconds += outcome.seconds
        self.outcomes.append(outcome)

    @property
    def recall(self) -> float | None:
        return self.hits / self.positives if self.positives else None

    @property
    def precision(self) -> float | None:
        return self.relevant / self.returned if self.returned else None

    @property
    def mean_ms(self) -> float:
        return 1000 * self.seconds / self.pairs if self.pairs else 0.0


def dataset_load(*, path: Path = DATA_PATH) -> Dataset:
    """The labelled set, checked: a malformed file raises ValueError naming the faulty entry."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    corpus: dict[str, CorpusEntry] = {}
    for item in raw["corpus"]:
        entry = CorpusEntry(
            key=item["key"], language=item["language"], title=item["title"], description=item.get("description", "")
        )
        if entry.key in corpus:
            raise ValueError(f"Corpus key {entry.key!r} appears twice.")
        if entry.language not in LANGUAGES:
            raise ValueError(f"Corpus entry {entry.key!r}: unknown language {entry.language!r}.")
        corpus[entry.key] = entry
    pairs = []
    seen: set[str] = set()
    for item in raw["pairs"]:
        pair = Pair(category=item["category"], language=item["language"], query=item["query"], key=item["key"])
        if pair.category not in (*CATEGORIES, NEGATIVE):
            raise ValueError(f"Pair {pair.query!r}: unknown category {pair.category!r}.")
        if pair.language not in LANGUAGES:
            raise ValueError(f"Pair {pair.query!r}: unknown language {pair.language!r}.")
        if (pair.key is None) != (pair.category == NEGATIVE):
            raise ValueError(f"Pair {pair.query!r}: only negative queries have no key.")
        if pair.key is not None and pair.key not in corpus:
            raise ValueError(f"Pair {pair.query!r}: no corpus entry {pair.key!r}.")
        normalized = " ".join(pair.query.casefold().split())
        if normalized in seen:
            raise ValueError(f"Query {pair.query!r} appears twice.")
        seen.add(normalized)
        pairs.append(pair)
    return Dataset(corpus=corpus, pairs=pairs)


class _Rollback(Exception):
    """Raised at the end of the measure so that its transaction never commits."""


def duplicates_evaluate(*, dataset: Dataset, categories: list[str] | None = None) -> list[Outcome]:
    """Insert the corpus, ask feedback_similar for every pair (as a product owner, who sees
    everything), roll everything back and return what came back for each query."""
    pairs = [pair for pair in dataset.pairs if categories is None or pair.category in categories]
    outcomes: list[Outcome] = []
    try:
        with transaction.atomic():
            staff, client = _evaluation_users()
            key_of = {}
            for entry in dataset.corpus.values():
                feedback = feedback_submit(
                    author=client,
                    organization=client.organization,
                    title=entry.title,
                    description=entry.description,
                    visibility=Feedback.Visibility.PUBLIC,
                    language=entry.language,
                )
                key_of[feedback.pk] = entry.key
            for pair in pairs:
                started = time.perf_counter()
                suggestions = feedback_similar(user=staff, title=pair.query, limit=LIMIT)
                seconds = time.perf_counter() - started
                returned = [(key_of.get(feedback.pk), feedback.title) for feedback in suggestions]
                outcomes.append(Outcome(pair=pair, returned=returned, seconds=seconds))
            raise _Rollback
    except _Rollback:
        pass
    return outcomes


def _evaluation_users() -> tuple[User, User]:
    """A product owner who asks, and a client of a fresh organization who owns the corpus."""
    tag = uuid.uuid4().hex[:12]
    organization = Organization.objects.create(
        name=f"Duplicate evaluation {tag}", slug=f"duplicate-evaluation-{tag}", email_domains=[]
    )
    staff = User.objects.create_user(
        f"duplicate-evaluation-staff-{tag}@retour.invalid",
        name="Duplicate evaluation (staff)",
        staff_role=User.StaffRole.PRODUCT_OWNER,
    )
    client = User.objects.create_user(f"duplicate-evaluation-client-{tag}@retour.invalid", name="Duplicate evaluation")
    Membership.objects.create(user=client, organization=organization, role=Membership.Role.MEMBER)
    client = User.objects.select_related("client_membership__organization").get(pk=client.pk)
    return staff, client


def scores_compute(outcomes: list[Outcome]) -> tuple[dict[str, Score], Score]:
    """Per category (in the data set's order, negatives last) and overall."""
    by_category: dict[str, Score] = {}
    overall = Score()
    for category in (*CATEGORIES, NEGATIVE):
        for outcome in outcomes:
            if outcome.pair.category == category:
                by_category.setdefault(category, Score()).add(outcome)
                overall.add(outcome)
    return by_category, overall
