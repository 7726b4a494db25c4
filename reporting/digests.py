"""Building and sending digests, exactly once per subscription and period.

The ledger is the `Digest` row, unique per (subscription, period_start):
- `digests_due_create` (beat) inserts the rows that are due with ON CONFLICT DO NOTHING, so a
  second beat creates nothing;
- `digest_build` locks the row, computes the figures, renders and stores the email (status
  built), then queues the send; a built or sent digest is not built again;
- `digest_send` locks the row and, only while it is "built", writes one outbox row per recipient
  (idempotency key per subscription, period and address) and marks it sent, in one transaction:
  a retried task, a second worker or a restart finds it sent and writes nothing;
- `digests_sweep` re-queues what a lost task left pending or built.
"""

import datetime as dt
import logging
from types import SimpleNamespace

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape

from core.models import OutboundEmail
from core.outbox import email_enqueue_rendered, render_email
from core.tasks_util import enqueue_on_commit
from reporting import schedule
from reporting.figures import Scope, Window, figures_cache_key, figures_cached, figures_compute, figures_labelled
from reporting.models import Digest, DigestDelivery, DigestSubscription
from reporting.policy import digest_recipients

logger = logging.getLogger(__name__)

BUILD_TASK = "reporting.digest_build"
SEND_TASK = "reporting.digest_send"
TEMPLATE = "reporting/emails/digest"
# Replaced in each recipient's copy by their own one-click unsubscribe link.
UNSUBSCRIBE_PLACEHOLDER = "https://retour.invalid/unsubscribe-placeholder"
# Replaced in each subscription's copy of a shared rendering by the subscription's name.
NAME_PLACEHOLDER = "retour-subscription-name-placeholder"
MAX_AUTOMATIC_ATTEMPTS = 3
# Digests of the same scope and period share their figures for this long (1,000 due at once).
FIGURES_CACHE_SECONDS = 600
UNSUBSCRIBE_SALT = "reporting.unsubscribe"


# Unsubscribe tokens ------------------------------------------------------------------------------


def unsubscribe_token(subscription_id: int, email: str) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object([subscription_id, email.lower()], compress=True)


def unsubscribe_read(token: str) -> tuple[int, str] | None:
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        return None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str)):
        return None
    return value[0], value[1]


def unsubscribe_url(subscription_id: int, email: str) -> str:
    return settings.SITE_URL + reverse("reporting:unsubscribe", args=[unsubscribe_token(subscription_id, email)])


# Windows -----------------------------------------------------------------------------------------


def digest_window(subscription: DigestSubscription, period_start: dt.date, period_end: dt.date) -> Window:
    tz = schedule.zone(subscription)
    prev_start, _prev_end = schedule.previous_period(subscription.frequency, period_start, period_end)
    start, end = schedule.local_bounds(tz, period_start, period_end)
    previous_start, _ = schedule.local_bounds(tz, prev_start, period_start)
    trend = schedule.trend_dates(subscription.frequency, period_start, period_end, 12)
    bounds = [schedule.local_bounds(tz, d, d)[0] for d in trend]
    return Window(
        start=start,
        end=end,
        previous_start=previous_start,
        trend_bounds=bounds,
        waiting_days=subscription.waiting_days,
        today=period_end,
    )


def _figures_cached(subscription: DigestSubscription, window: Window) -> tuple[dict, str]:
    """(figures, their cache key): computed once for every subscription of the same scope and period."""
    scope, sections = Scope.of(subscription), list(subscription.sections)
    key = figures_cache_key("figures", scope=scope, window=window, sections=sections)
    compute = lambda: figures_compute(scope=scope, window=window, sections=sections)  # noqa: E731
    return figures_cached(key, compute, timeout=FIGURES_CACHE_SECONDS), key


def _rendered_cached(
    *, subscription: DigestSubscription, digest: Digest, figures: dict, figures_key: str
) -> tuple[str, str, str]:
    """digest_render, shared by the subscriptions whose digest reads the same (figures, language, time
    zone, period): rendered once with a placeholder name, each copy then given its own name."""
    key = ":".join(
        [
            figures_key.replace(":figures:", ":render:"),
            subscription.language,
            subscription.timezone,
            digest.period_start.isoformat(),
            digest.period_end.isoformat(),
        ]
    )
    stand_in = SimpleNamespace(name=NAME_PLACEHOLDER, timezone=subscription.timezone, language=subscription.language)
    render = lambda: digest_render(subscription=stand_in, digest=digest, figures=figures)  # noqa: E731
    subject, text, html = figures_cached(key, render, timeout=FIGURES_CACHE_SECONDS)
    name = subscription.name
    return (
        subject.replace(NAME_PLACEHOLDER, name),
        text.replace(NAME_PLACEHOLDER, name),
        html.replace(NAME_PLACEHOLDER, escape(name)),
    )


# Rendering ---------------------------------------------------------------------------------------


def digest_render(*, subscription: DigestSubscription, digest: Digest, figures: dict) -> tuple[str, str, str]:
    """(subject, text, html) in the subscription's language, with the unsubscribe placeholder."""
    with translation.override(subscription.language):
        labelled = figures_labelled(figures)
        period_label = _period_label(digest.period_start, digest.period_end)
    context = {
        "subscription": subscription,
        "digest": digest,
        "f": labelled,
        "period_label": period_label,
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
    }
    return render_email(template=TEMPLATE, context=context, language=subscription.language)


def _period_label(start: dt.date, end: dt.date) -> str:
    last = end - dt.timedelta(days=1)
    if start == last:
        return date_format(start, "DATE_FORMAT")
    return f"{date_format(start, 'DATE_FORMAT')} \u2013 {date_format(last, 'DATE_FORMAT')}"


def archive_html(digest: Digest) -> str:
    """The stored rendering as the archive shows it: the personal unsubscribe link neutralized."""
    return digest.html_body.replace(UNSUBSCRIBE_PLACEHOLDER, "#")


def archive_text(digest: Digest) -> str:
    return digest.text_body.replace(UNSUBSCRIBE_PLACEHOLDER, "—")


# Due, build, send --------------------------------------------------------------------------------


def digests_due_create(*, now: dt.datetime | None = None) -> list[int]:
    """Create the Digest rows of every active subscription whose latest send time has passed.

    Only sends scheduled after the subscription was created count, and after its latest digest (a
    schedule changed to another weekday does not send at once the period of a day already passed;
    "send now" counts as a send); after an outage only the latest missed period is built. Returns
    the ids of the rows created now (none when another beat won).
    """
    now = now or timezone.now()
    subscriptions = list(DigestSubscription.objects.filter(is_active=True).order_by("id"))
    last_due = dict(
        Digest.objects.filter(subscription__is_active=True)
        .values("subscription_id")
        .annotate(last=Max("due_at"))
        .values_list("subscription_id", "last")
    )
    candidates = []
    for subscription in subscriptions:
        occurrence = schedule.latest_occurrence(subscription, now)
        if occurrence is None or occurrence.due_at < subscription.created_at:
            continue
        if subscription.pk in last_due and occurrence.due_at <= last_due[subscription.pk]:
            continue  # this send or a later one is done
        candidates.append(
            Digest(
                subscription=subscription,
                period_start=occurrence.period_start,
                period_end=occurrence.period_end,
                due_at=occurrence.due_at,
                language=subscription.language,
            )
        )
    if not candidates:
        return []
    with transaction.atomic():
        ids = _insert_new(candidates)
        for pk in ids:
            enqueue_on_commit(BUILD_TASK, pk)
    return ids


def _insert_new(digests: list[Digest], batch_size: int = 500) -> list[int]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the ids of the rows this call created, exactly.

    (`bulk_create(ignore_conflicts=True)` returns no ids, and reading the rows back by time cannot tell
    this beat's rows from those of a concurrent or earlier beat, nor works for a `now` in the future.)
    """
    fields = [f for f in Digest._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    ids: list[int] = []
    with connection.cursor() as cursor:
        for offset in range(0, len(digests), batch_size):
            batch = digests[offset : offset + batch_size]
            params = [f.get_db_prep_save(f.pre_save(d, add=True), connection) for d in batch for f in fields]
            cursor.execute(
                f"INSERT INTO {Digest._meta.db_table} ({columns}) VALUES {', '.join([row] * len(batch))} "  # noqa: S608
                "ON CONFLICT ON CONSTRAINT digest_one_per_period DO NOTHING RETURNING id",
                params,
            )
            ids.extend(pk for (pk,) in cursor.fetchall())
    return sorted(ids)


def digest_build(*, digest_id: int) -> Digest | None:
    """Compute, render and store one digest; queue its send. A built or sent digest is left alone."""
    with transaction.atomic():
        digest = (
            Digest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(pk=digest_id)
            .first()
        )
        if digest is None:
            return None  # gone, or another worker holds it
        if digest.status in (Digest.Status.BUILT, Digest.Status.SENT):
            if digest.status == Digest.Status.BUILT:
                enqueue_on_commit(SEND_TASK, digest.pk)
            return digest
        digest.attempts += 1
        subscription = digest.subscription
        try:
            with transaction.atomic():
                window = digest_window(subscription, digest.period_start, digest.period_end)
                figures, figures_key = _figures_cached(subscription, window)
                subject, text, html = _rendered_cached(
                    subscription=subscription, digest=digest, figures=figures, figures_key=figures_key
                )
        except Exception as exc:  # a failed build is shown with its error and rebuilt from the browser
            logger.exception("digest %s build failed", digest.pk)
            digest.status = Digest.Status.FAILED
            digest.error = f"{type(exc).__name__}: {exc}"[:2000]
            digest.save(update_fields=["status", "error", "attempts", "updated_at"])
            return digest
        digest.figures = figures
        digest.had_activity = figures["had_activity"]
        digest.subject, digest.text_body, digest.html_body = subject, text, html
        digest.language = subscription.language
        digest.status = Digest.Status.BUILT
        digest.error = ""
        digest.built_at = timezone.now()
        digest.save(
            update_fields=[
                "figures",
                "had_activity",
                "subject",
                "text_body",
                "html_body",
                "language",
                "status",
                "error",
                "attempts",
                "built_at",
                "updated_at",
            ]
        )
        enqueue_on_commit(SEND_TASK, digest.pk)
    return digest


def digest_send(*, digest_id: int) -> int:
    """Write one outbox email per recipient and mark the digest sent, once. Returns emails written."""
    with transaction.atomic():
        digest = (
            Digest.objects.select_for_update(of=("self",))
            .select_related("subscription", "subscription__team")
            .filter(pk=digest_id)
            .first()
        )
        if digest is None or digest.status != Digest.Status.BUILT:
            return 0
        subscription = digest.subscription
        written = 0
        for address, user in digest_recipients(subscription):
            link = unsubscribe_url(subscription.pk, address)
            key = f"digest:{subscription.pk}:{digest.period_start.isoformat()}:{address.lower()}"
            email = email_enqueue_rendered(
                to=address,
                subject=digest.subject,
                text_body=digest.text_body.replace(UNSUBSCRIBE_PLACEHOLDER, link),
                html_body=digest.html_body.replace(UNSUBSCRIBE_PLACEHOLDER, link),
                template=TEMPLATE,
                language=digest.language,
                idempotency_key=key,
                recipient=user,
                headers={
                    "List-Unsubscribe": f"<{link}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "Auto-Submitted": "auto-generated",
                },
            )
            written += email is not None
            if email is None:  # already in the outbox (a digest deleted and built again): link that one
                email = OutboundEmail.objects.filter(idempotency_key=key).first()
            DigestDelivery.objects.get_or_create(
                digest=digest, email=address.lower(), defaults={"user": user, "outbound": email}
            )
        digest.status = Digest.Status.SENT
        digest.sent_at = timezone.now()
        digest.save(update_fields=["status", "sent_at", "updated_at"])
    return written


def digests_sweep(*, now: dt.datetime | None = None, stale_after: dt.timedelta = dt.timedelta(minutes=2)) -> int:
    """Re-queue builds and sends a lost task left undone (broker down, worker killed)."""
    now = now or timezone.now()
    stale = now - stale_after
    pending = list(
        Digest.objects.filter(
            Q(status=Digest.Status.PENDING) | Q(status=Digest.Status.FAILED, attempts__lt=MAX_AUTOMATIC_ATTEMPTS),
            updated_at__lt=stale,
        )
        .order_by("id")
        .values_list("id", flat=True)[:2000]
    )
    built = list(
        Digest.objects.filter(status=Digest.Status.BUILT, updated_at__lt=stale)
        .order_by("id")
        .values_list("id", flat=True)[:2000]
    )
    with transaction.atomic():
        for pk in pending:
            enqueue_on_commit(BUILD_TASK, pk)
        for pk in built:
            enqueue_on_commit(SEND_TASK, pk)
    return len(pending) + len(built)
