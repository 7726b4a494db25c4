"""Demo digests over the other demos: a French-speaking support team reading every section each
Monday morning in Paris, an English-speaking sales team (with a partner's outside address) reading
the enterprise accounts' demand, and last week's support digest already built and sent.

Everything goes through reporting.services and reporting.digests: the teams and subscriptions as
a product owner saves them, the digest built and sent in this process as the workers would (its
emails wait in the outbox for the worker, like the other demos' emails). Idempotent: teams and
subscriptions are found again by name, and a subscription that already has a sent digest gets no
second one.
"""

from django.utils import timezone

from accounts.models import Organization, Team, User
from reporting import schedule, services
from reporting.digests import digest_build, digest_send
from reporting.models import ALL_SECTIONS, Digest, DigestSubscription, Section

SUPPORT_TEAM = "Équipe support"
SALES_TEAM = "Sales team"
SUPPORT_DIGEST = "Support : le point de la semaine"
SALES_DIGEST = "Sales weekly: enterprise accounts"
PARTNER = "partner@outside.example"


def seed(*, password: str) -> list:
    staff = User.objects.filter(email="po@retour.example").first()
    if staff is None:
        return []
    sales = User.objects.filter(email="sales@retour.example").first()
    people = [u for u in (staff, sales) if u is not None]
    support = _team(actor=staff, name=SUPPORT_TEAM, members=people, language="fr")
    sales_team = _team(actor=staff, name=SALES_TEAM, members=[sales or staff], language="en", extra=[PARTNER])
    french = _subscription(
        actor=staff,
        name=SUPPORT_DIGEST,
        team=support,
        language="fr",
        weekday=DigestSubscription.Weekday.MONDAY,
        hour=8,
        timezone_name="Europe/Paris",
        sections=list(ALL_SECTIONS),
        waiting_days=5,
    )
    _subscription(
        actor=staff,
        name=SALES_DIGEST,
        team=sales_team,
        language="en",
        weekday=DigestSubscription.Weekday.MONDAY,
        hour=9,
        timezone_name="Europe/London",
        sections=[Section.INCOMING, Section.RISING, Section.DECISIONS, Section.ROADMAP],
        segments=[Organization.Segment.ENTERPRISE],
    )
    if not Digest.objects.filter(subscription=french, status=Digest.Status.SENT).exists():
        _last_week_sent(french)
    return []


def _team(*, actor: User, name: str, members: list, language: str, extra: list[str] = ()) -> Team:
    team = Team.objects.filter(name=name).first()
    if team is None:
        team = services.team_save(
            actor=actor, data={"name": name, "members": members, "language": language, "extra_emails": list(extra)}
        )
    return team


def _subscription(
    *, actor: User, name: str, team: Team, timezone_name: str, segments=(), **fields
) -> DigestSubscription:
    subscription = DigestSubscription.objects.filter(name=name).first()
    if subscription is None:
        subscription = services.subscription_save(
            actor=actor,
            data={
                "name": name,
                "team": team,
                "frequency": DigestSubscription.Frequency.WEEKLY,
                "minute": 0,
                "timezone": timezone_name,
                "segments": list(segments),
                **fields,
            },
        )
    return subscription


def _last_week_sent(subscription: DigestSubscription) -> Digest:
    """The digest of the last complete period, built and sent here as the build and send tasks do."""
    occurrence = schedule.latest_occurrence(subscription, timezone.now())
    digest, _created = Digest.objects.get_or_create(
        subscription=subscription,
        period_start=occurrence.period_start,
        defaults={
            "period_end": occurrence.period_end,
            "due_at": occurrence.due_at,
            "language": subscription.language,
        },
    )
    digest_build(digest_id=digest.pk)
    digest_send(digest_id=digest.pk)
    digest.refresh_from_db()
    return digest
