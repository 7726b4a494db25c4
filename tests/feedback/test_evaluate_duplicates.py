"""The labelled duplicate set and the command that measures feedback_similar against it."""

import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Membership, Organization, User
from feedback.evaluation.duplicates import (
    CATEGORIES,
    DATA_PATH,
    NEGATIVE,
    Outcome,
    Pair,
    dataset_load,
    scores_compute,
)
from feedback.limits import TITLE_MIN
from feedback.models import Feedback, FeedbackEvent, Follow, Vote
from tests.factories import feedback_for


@pytest.fixture(scope="module")
def raw():
    return json.loads(DATA_PATH.read_text(encoding="utf-8"))


def test_the_labelled_set_is_well_formed(raw):
    dataset = dataset_load()  # raises on an unknown key, category or language, or a repeated query
    corpus = {entry["key"]: entry for entry in raw["corpus"]}
    assert len(corpus) == len(raw["corpus"]) >= 150
    assert len({entry["title"].casefold() for entry in raw["corpus"]}) == len(corpus)
    assert {entry["language"] for entry in raw["corpus"]} == {"en", "fr"}

    positives = [pair for pair in raw["pairs"] if pair["key"] is not None]
    negatives = [pair for pair in raw["pairs"] if pair["key"] is None]
    assert len(positives) >= 200
    assert len(negatives) >= 15 and {pair["category"] for pair in negatives} == {NEGATIVE}
    assert {pair["language"] for pair in negatives} == {"en", "fr"}
    assert all(pair["key"] in corpus for pair in positives)
    per_category = Counter(pair["category"] for pair in positives)
    assert set(per_category) == set(CATEGORIES)
    assert min(per_category.values()) >= 30, per_category

    queries = [" ".join(pair["query"].casefold().split()) for pair in raw["pairs"]]
    assert len(set(queries)) == len(queries) == len(dataset.pairs)
    assert all(len(pair["query"]) >= TITLE_MIN for pair in raw["pairs"])  # a title the portal accepts
    for pair in positives:
        target = corpus[pair["key"]]
        assert pair["query"].casefold() != target["title"].casefold(), pair
        if pair["category"] == "cross_language":
            assert pair["language"] != target["language"], pair
        else:
            assert pair["language"] == target["language"], pair

    languages = {
        category: {
            (pair["language"], corpus[pair["key"]]["language"]) for pair in positives if pair["category"] == category
        }
        for category in CATEGORIES
    }
    assert languages["rewording_en"] == {("en", "en")}
    assert languages["rewording_fr"] == {("fr", "fr")}
    assert languages["cross_language"] == {("en", "fr"), ("fr", "en")}
    for category in ("more_specific", "less_specific", "typo"):
        assert languages[category] == {("en", "en"), ("fr", "fr")}, category


def test_precision_counts_every_suggestion_but_the_target_as_irrelevant():
    found = Outcome(
        pair=Pair(category="typo", language="en", query="Drak mode", key="dark-mode"),
        returned=[(None, "Dark mode for the whole application"), ("dark-mode", "Dark mode")],
        seconds=0.01,
    )
    missed = Outcome(
        pair=Pair(category="typo", language="en", query="Exprot to Exel", key="export-excel"),
        returned=[("export-pdf-dashboard", "Export the dashboard to PDF")],
        seconds=0.03,
    )
    quiet = Outcome(
        pair=Pair(category="typo", language="fr", query="Mode sombre", key="dark-mode"), returned=[], seconds=0
    )
    alarm = Outcome(
        pair=Pair(category=NEGATIVE, language="en", query="Print shipping labels", key=None),
        returned=[(None, "Print invoices")],
        seconds=0,
    )
    by_category, overall = scores_compute([found, missed, quiet, alarm])
    typo = by_category["typo"]
    assert (typo.pairs, typo.hits, typo.recall, typo.relevant, typo.returned) == (3, 1, 1 / 3, 1, 3)
    assert typo.precision == 1 / 3
    assert by_category[NEGATIVE].recall is None and by_category[NEGATIVE].precision == 0
    assert (overall.pairs, overall.recall, overall.precision) == (4, 1 / 3, 1 / 4)
    assert list(by_category) == ["typo", NEGATIVE]


def _counts() -> dict[str, int]:
    models = (Feedback, Vote, Follow, FeedbackEvent, Organization, Membership, User)
    return {model.__name__: model.objects.count() for model in models}


def test_the_command_measures_every_category_and_leaves_nothing_behind(member_a, member_b, product_owner, tmp_path):
    feedback_for(author=member_a, title="Dark mode for the whole application", visibility=Feedback.Visibility.PUBLIC)
    feedback_for(author=member_a, title="Export invoices as PDF")
    feedback_for(author=member_b, title="Synchronisation avec Google Agenda", language="fr")
    before = _counts()
    out = StringIO()
    figures_path = tmp_path / "figures.json"

    call_command("evaluate_duplicates", "--json", str(figures_path), "--verbose", stdout=out)

    assert _counts() == before
    assert not Organization.objects.filter(slug__startswith="duplicate-evaluation").exists()
    text = out.getvalue()
    table = {line.split()[0]: line.split() for line in text.splitlines() if line.split()}
    for category in (*CATEGORIES, NEGATIVE, "overall"):
        assert category in table, category
    assert "3 other requests as distractors" in text
    assert "expected:" in text  # at least one miss is spelled out
    figures = json.loads(figures_path.read_text(encoding="utf-8"))
    assert set(figures["categories"]) == {*CATEGORIES, NEGATIVE}
    assert figures["overall"]["pairs"] == len(dataset_load().pairs)
    for category in CATEGORIES:
        recall = figures["categories"][category]["recall_at_5"]
        assert 0 <= recall <= 1
        assert table[category][2] == f"{recall:.2f}"
    assert figures["categories"][NEGATIVE]["recall_at_5"] is None
    assert figures["categories"][NEGATIVE]["relevant"] == 0


def test_min_recall_fails_loudly_below_the_bar(db):
    before = _counts()
    out = StringIO()
    with pytest.raises(CommandError, match=r"typo recall@5 \d\.\d\d < 1\.01"):
        call_command("evaluate_duplicates", "--category", "typo", "--min-recall", "typo=1.01", stdout=out)
    assert _counts() == before
    assert "typo" in out.getvalue() and "rewording_en" not in out.getvalue()


@pytest.mark.parametrize(
    "bar", ["typo", "typo=high", "spelling=0.5", "rewording_en=0.5"], ids=["no value", "nan", "unknown", "filtered"]
)
def test_min_recall_is_checked_before_anything_runs(db, bar):
    with pytest.raises(CommandError, match="--min-recall"):
        call_command("evaluate_duplicates", "--category", "typo", "--min-recall", bar, stdout=StringIO())
