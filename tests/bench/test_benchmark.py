"""The benchmark tooling runs: a small data set, then every benchmark case through the real views."""

import pytest
from django.core.management import call_command

from accounts.models import Organization
from feedback.models import Feedback, Vote


@pytest.mark.parametrize("vocabulary", [0, 600])
def test_generate_dataset_then_benchmark(db, capsys, vocabulary, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", password="bench-pass-123")
    call_command("generate_dataset", feedback=300, organizations=10, users=60, votes_per_item=3, vocabulary=vocabulary)
    bench = Feedback.objects.filter(title__contains="#")
    assert bench.count() == 300
    assert Organization.objects.filter(slug__startswith="bench-").count() == 10
    sample = bench.order_by("pk").first()
    assert sample.vote_count == Vote.objects.filter(feedback=sample).count() > 0
    assert sample.search_vector is not None and sample.hot_score > 0
    call_command("benchmark", runs=2, submissions=3)
    out = capsys.readouterr().out
    assert "inbox: default" in out and "portal: client portal home" in out
    assert "per second" in out
