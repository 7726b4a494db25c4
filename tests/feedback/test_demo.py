from django.core.management import call_command

from feedback.models import Feedback, ProductArea, Vote


def test_seed_demo_adds_feedback_idempotently(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", password="demo-pass-123")
    counts = (Feedback.objects.count(), Vote.objects.count(), ProductArea.objects.count())
    call_command("seed_demo", password="demo-pass-123")
    assert (Feedback.objects.count(), Vote.objects.count(), ProductArea.objects.count()) == counts
    assert counts[0] >= 24
    assert set(Feedback.objects.values_list("language", flat=True)) == {"en", "fr"}
    assert set(Feedback.objects.values_list("organization__slug", flat=True)) == {"acme", "globex"}
    merged = Feedback.objects.get(status="merged")
    assert merged.merged_into.status != "merged"
    # Every declined request (feedback's demo, and the roadmap's declines) carries its public reason.
    for declined in Feedback.objects.filter(status="declined"):
        assert declined.events.filter(kind="status", public_message__gt="").exists()
