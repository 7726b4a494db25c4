"""Measure duplicate suggestions against the labelled set, for operators and CI. Writes nothing."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from feedback.evaluation.duplicates import (
    CATEGORIES,
    LIMIT,
    NEGATIVE,
    Dataset,
    Outcome,
    Score,
    dataset_load,
    duplicates_evaluate,
    scores_compute,
)
from feedback.models import Feedback

OVERALL = "overall"


class Command(BaseCommand):
    help = (
        f"Measure feedback_similar on feedback/evaluation/duplicates.json: recall@{LIMIT} and precision@{LIMIT} "
        "per category. The corpus is inserted in a transaction that is always rolled back; the requests already "
        "in the database act as distractors."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--category",
            action="append",
            choices=[*CATEGORIES, NEGATIVE],
            help="Only this category (repeatable). The whole corpus is inserted either way.",
        )
        parser.add_argument("--json", dest="json_path", metavar="PATH", help="Also write the figures to this file.")
        parser.add_argument(
            "--min-recall",
            action="append",
            default=[],
            metavar="CATEGORY=VALUE",
            help=f"Fail (exit code 1) when a category's recall@{LIMIT} is below VALUE, e.g. typo=0.8 or "
            f"{OVERALL}=0.6 (repeatable).",
        )
        parser.add_argument("--verbose", action="store_true", help="Print each miss and each false alarm.")

    def handle(self, *args, category=None, json_path=None, min_recall=(), verbose=False, **options):
        bars = _parse_bars(min_recall, evaluated=category)
        try:
            dataset = dataset_load()
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"The labelled set is malformed: {exc}") from None
        distractors = Feedback.objects.exclude(status=Feedback.Status.MERGED).count()
        outcomes = duplicates_evaluate(dataset=dataset, categories=category)
        by_category, overall = scores_compute(outcomes)
        self.stdout.write(
            f"{len(dataset.corpus)} corpus requests, {distractors:,} other requests as distractors, "
            f"{len(outcomes)} queries (rolled back, nothing written)."
        )
        self._table(by_category, overall)
        if verbose:
            self._misses(outcomes, dataset)
        if json_path:
            Path(json_path).write_text(
                json.dumps(_figures(by_category, overall, dataset, distractors), indent=2, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )
            self.stdout.write(f"Figures written to {json_path}.")
        unmet = []
        for name, bar in bars.items():
            score = overall if name == OVERALL else by_category.get(name)
            recall = score.recall if score else None
            if recall is None or recall < bar:
                unmet.append(f"{name} recall@{LIMIT} {_ratio(recall)} < {bar:.2f}")
        if unmet:
            raise CommandError("Below the bar: " + "; ".join(unmet) + ".")

    def _table(self, by_category: dict[str, Score], overall: Score) -> None:
        header = (
            f"{'category':<16} {'pairs':>5} {f'recall@{LIMIT}':>9} {f'precision@{LIMIT}':>12} {'shown':>6} {'ms':>7}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for name, score in [*by_category.items(), (OVERALL, overall)]:
            if name == OVERALL:
                self.stdout.write("-" * len(header))
            shown = score.returned / score.pairs if score.pairs else 0
            self.stdout.write(
                f"{name:<16} {score.pairs:>5} {_ratio(score.recall):>9} {_ratio(score.precision):>12} "
                f"{shown:>6.1f} {score.mean_ms:>7.1f}"
            )
        self.stdout.write(
            f"shown: suggestions per query. Mean time per query: {overall.mean_ms:.1f} ms. "
            f"Precision counts every suggestion but the labelled target as irrelevant."
        )

    def _misses(self, outcomes: list[Outcome], dataset: Dataset) -> None:
        for outcome in outcomes:
            pair = outcome.pair
            if pair.key is not None and outcome.hit:
                continue
            if pair.key is None and not outcome.returned:
                continue
            label = "false alarm" if pair.key is None else "miss"
            self.stdout.write(f"\n[{pair.category}] {label}: {pair.query!r} ({pair.language})")
            if pair.key is not None:
                self.stdout.write(f"  expected: {dataset.corpus[pair.key].title!r} [{pair.key}]")
            for key, title in outcome.returned:
                self.stdout.write(f"  got: {title!r}" + (f" [{key}]" if key else " [not in corpus]"))
            if not outcome.returned:
                self.stdout.write("  got: nothing")


def _parse_bars(values, *, evaluated) -> dict[str, float]:
    bars = {}
    for value in values:
        name, sep, number = value.partition("=")
        if not sep or name not in (*CATEGORIES, OVERALL):
            raise CommandError(f"--min-recall takes CATEGORY=VALUE with a category of {CATEGORIES} or {OVERALL!r}.")
        if evaluated and name != OVERALL and name not in evaluated:
            raise CommandError(f"--min-recall {name}: that category is not evaluated (see --category).")
        try:
            bars[name] = float(number)
        except ValueError:
            raise CommandError(f"--min-recall {name}: {number!r} is not a number.") from None
    return bars


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _figures(by_category: dict[str, Score], overall: Score, dataset: Dataset, distractors: int) -> dict:
    def figures(score: Score) -> dict:
        return {
            "pairs": score.pairs,
            "positives": score.positives,
            "hits": score.hits,
            f"recall_at_{LIMIT}": score.recall,
            "relevant": score.relevant,
            "returned": score.returned,
            f"precision_at_{LIMIT}": score.precision,
            "mean_ms": round(score.mean_ms, 2),
        }

    misses = [
        {
            "category": outcome.pair.category,
            "language": outcome.pair.language,
            "query": outcome.pair.query,
            "expected": outcome.pair.key,
            "expected_title": dataset.corpus[outcome.pair.key].title if outcome.pair.key else None,
            "returned": [{"key": key, "title": title} for key, title in outcome.returned],
        }
        for score in by_category.values()
        for outcome in score.outcomes
        if (outcome.pair.key is not None and not outcome.hit) or (outcome.pair.key is None and outcome.returned)
    ]
    return {
        "limit": LIMIT,
        "distractors": distractors,
        "categories": {name: figures(score) for name, score in by_category.items()},
        OVERALL: figures(overall),
        "misses": misses,
    }
