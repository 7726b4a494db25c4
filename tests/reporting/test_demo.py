"""seed_demo's reporting: a French-speaking support team and an English-speaking sales team (with an
outside address), their weekly subscriptions, and last week's support digest already sent, in French;
seeding again adds nothing."""

from django.core.management import call_command
from django.utils import formats, timezone, translation

from accounts.models import Team
from core.models import OutboundEmail
from reporting import schedule
from reporting.models import Digest, DigestDelivery, DigestSubscription, Section

MODELS = [Team, DigestSubscription, Digest, DigestDelivery, OutboundEmail]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def seed():
    call_command("seed_demo", password="demo-pass-123")


def test_seed_demo_adds_teams_subscriptions_and_a_sent_digest(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    first = counts()
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    assert counts() == first

    support = Team.objects.get(name="Équipe support")
    assert support.language == "fr"
    assert set(support.members.values_list("email", flat=True)) == {"po@retour.example", "sales@retour.example"}
    assert support.extra_emails == []
    sales = Team.objects.get(name="Sales team")
    assert sales.language == "en"
    assert sales.extra_emails == ["partner@outside.example"]
    assert list(sales.members.values_list("email", flat=True)) == ["sales@retour.example"]

    french = DigestSubscription.objects.get(team=support)
    assert (french.language, french.frequency, french.is_active) == ("fr", "weekly", True)
    assert french.sections == [s.value for s in Section]
    assert french.segments == [] and not french.product_areas.exists() and not french.organizations.exists()
    english = DigestSubscription.objects.get(team=sales)
    assert (english.language, english.frequency) == ("en", "weekly")
    assert english.segments == ["enterprise"]
    assert Section.CLUBS not in english.sections and Section.RESPONSIVENESS not in english.sections

    # One digest, sent: last week's period of the support subscription, one delivery per staff member.
    digest = Digest.objects.get()
    assert digest.subscription == french and digest.status == Digest.Status.SENT
    occurrence = schedule.latest_occurrence(french, timezone.now())
    assert (digest.period_start, digest.period_end) == (occurrence.period_start, occurrence.period_end)
    assert (digest.period_end - digest.period_start).days == 7
    assert digest.sent_at is not None and digest.built_at is not None and digest.language == "fr"
    deliveries = DigestDelivery.objects.filter(digest=digest).select_related("outbound")
    assert sorted(d.email for d in deliveries) == ["po@retour.example", "sales@retour.example"]
    for delivery in deliveries:
        assert delivery.outbound.to_email == delivery.email
        assert delivery.outbound.idempotency_key.startswith(f"digest:{french.pk}:{digest.period_start.isoformat()}:")
        assert "List-Unsubscribe" in delivery.outbound.headers
    # In French, dates formatted the French way ("3 mars 2025"), the figures stored.
    with translation.override("fr"):
        start = formats.date_format(digest.period_start, "DATE_FORMAT")
    with translation.override("en"):
        english_start = formats.date_format(digest.period_start, "DATE_FORMAT")
    assert start != english_start
    assert start in digest.subject and start in digest.text_body and start in digest.html_body
    assert english_start not in digest.text_body
    assert set(digest.figures["sections"]) == set(french.sections)
    assert digest.figures["period"]["start"] < digest.figures["period"]["end"]
    # The sales team's outside address got nothing yet: no digest of its subscription exists.
    assert not OutboundEmail.objects.filter(to_email="partner@outside.example").exists()
