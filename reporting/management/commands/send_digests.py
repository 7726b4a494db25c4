"""Build (and send, unless --dry-run) digests by hand, for operators."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reporting import digests, schedule
from reporting.figures import Scope, figures_compute
from reporting.models import Digest, DigestSubscription


class Command(BaseCommand):
    help = (
        "Build and send the digests of active subscriptions for the period a send on --period would cover "
        "(default: today in each subscription's time zone). A period already sent is not sent again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--subscription", type=int, help="Only this subscription (id).")
        parser.add_argument("--period", help="The send date YYYY-MM-DD whose period is built (default: today).")
        parser.add_argument("--dry-run", action="store_true", help="Build and show, write and send nothing.")

    def handle(self, *args, subscription=None, period=None, dry_run=False, **options):
        self.verbosity = options.get("verbosity", 1)
        send_date = None
        if period:
            try:
                send_date = dt.date.fromisoformat(period)
            except ValueError:
                raise CommandError(f"--period must be a date YYYY-MM-DD, not {period!r}.") from None
        subscriptions = DigestSubscription.objects.order_by("id")
        if subscription is not None:
            subscriptions = subscriptions.filter(pk=subscription)
            if not subscriptions.exists():
                raise CommandError(f"No subscription with id {subscription}.")
        else:
            subscriptions = subscriptions.filter(is_active=True)
        for sub in subscriptions:
            day = send_date or timezone.now().astimezone(schedule.zone(sub)).date()
            occurrence = schedule.occurrence_on(sub, day)
            label = f"#{sub.pk} {sub.name} [{occurrence.period_start} → {occurrence.period_end})"
            if dry_run:
                self._dry_run(sub, occurrence, label)
                continue
            digest, _created = Digest.objects.get_or_create(
                subscription=sub,
                period_start=occurrence.period_start,
                defaults={
                    "period_end": occurrence.period_end,
                    "due_at": timezone.now(),
                    "language": sub.language,
                },
            )
            if digest.status == Digest.Status.SENT:
                self.stdout.write(f"{label}: already sent on {digest.sent_at:%Y-%m-%d %H:%M} (digest {digest.pk}).")
                continue
            if digest.status == Digest.Status.FAILED:
                Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.PENDING, attempts=0)
            digest = digests.digest_build(digest_id=digest.pk)
            if digest is None or digest.status == Digest.Status.FAILED:
                error = digest.error if digest else "locked by a worker"
                self.stderr.write(f"{label}: build failed: {error}")
                continue
            digests.digest_send(digest_id=digest.pk)
            # The send task queued by the build may have won the race: count what this digest has.
            queued = digest.deliveries.count()
            self.stdout.write(f"{label}: digest {digest.pk} sent, {queued} email(s) queued.")

    def _dry_run(self, sub, occurrence, label):
        """Compute and render in memory: no row is written, nothing is queued."""
        digest = Digest(
            subscription=sub,
            period_start=occurrence.period_start,
            period_end=occurrence.period_end,
            due_at=timezone.now(),
            language=sub.language,
        )
        window = digests.digest_window(sub, occurrence.period_start, occurrence.period_end)
        figures = figures_compute(scope=Scope.of(sub), window=window, sections=sub.sections)
        subject, text, _html = digests.digest_render(subscription=sub, digest=digest, figures=figures)
        recipients = [address for address, _user in digests.digest_recipients(sub)]
        self.stdout.write(f"{label}: {subject}")
        self.stdout.write(f"  recipients: {', '.join(recipients) or '(none)'}")
        self.stdout.write("  activity: " + ("yes" if figures["had_activity"] else "none in this period"))
        if self.verbosity > 1:
            self.stdout.write(text)
