"""Digest subscriptions, the digests built for them (the idempotency ledger) and who received what."""

import zoneinfo

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organization, Team
from clubs.models import Club
from core.choices import Language
from core.models import OutboundEmail
from feedback.models import ProductArea


class Section(models.TextChoices):
    INCOMING = "incoming", _("Incoming requests")
    RISING = "rising", _("Rising demand")
    DECISIONS = "decisions", _("Decisions")
    RESPONSIVENESS = "responsiveness", _("Responsiveness")
    ROADMAP = "roadmap", pgettext_lazy("digest section", "Roadmap")
    CLUBS = "clubs", pgettext_lazy("digest section", "Clubs")


ALL_SECTIONS = [s.value for s in Section]


def all_sections() -> list[str]:
    return list(ALL_SECTIONS)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(value)s."), params={"value": value}, code="timezone")


class DigestSubscription(models.Model):
    """Who receives which digest, when (in the subscription's own time zone) and about what."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    name = models.CharField(_("name"), max_length=120)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="digest_subscriptions",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="digest_subscriptions",
    )
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.EN)
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices, default=Frequency.WEEKLY)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, default=Weekday.MONDAY)
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"), default=1, help_text=_("Monthly digests: 1 to 28.")
    )
    hour = models.PositiveSmallIntegerField(_("hour"), default=8)
    minute = models.PositiveSmallIntegerField(_("minute"), default=0)
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris", validators=[validate_timezone])
    product_areas = models.ManyToManyField(ProductArea, verbose_name=_("product areas"), blank=True, related_name="+")
    segments = ArrayField(
        models.CharField(max_length=20, choices=Organization.Segment.choices),
        verbose_name=_("segments"),
        default=list,
        blank=True,
    )
    organizations = models.ManyToManyField(Organization, verbose_name=_("organizations"), blank=True, related_name="+")
    clubs = models.ManyToManyField(Club, verbose_name=_("clubs"), blank=True, related_name="+")
    sections = ArrayField(
        models.CharField(max_length=20, choices=Section.choices),
        verbose_name=_("sections"),
        default=all_sections,
    )
    waiting_days = models.PositiveSmallIntegerField(
        _("waiting longer than (days)"),
        default=7,
        help_text=_("Requests without a first answer for longer are listed."),
    )
    # Addresses that used their one-click unsubscribe link (a team keeps its other readers).
    unsubscribed = ArrayField(models.EmailField(), verbose_name=_("unsubscribed addresses"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("digest subscription")
        verbose_name_plural = _("digest subscriptions")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(team__isnull=False, user__isnull=True) | models.Q(team__isnull=True, user__isnull=False)
                ),
                name="digest_sub_team_xor_user",
            ),
            models.CheckConstraint(condition=models.Q(hour__lte=23, minute__lte=59), name="digest_sub_time_valid"),
            models.CheckConstraint(
                condition=models.Q(day_of_month__gte=1, day_of_month__lte=28), name="digest_sub_day_valid"
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="digest_sub_weekday_valid"),
        ]
        indexes = [models.Index(fields=["is_active"], name="digest_sub_active_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def recipient_label(self) -> str:
        return str(self.team) if self.team_id else str(self.user)


class Digest(models.Model):
    """One digest per subscription and period: unique, so no beat, retry or restart builds a second."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be built")
        BUILT = "built", _("Built, waiting to be sent")
        SENT = "sent", pgettext_lazy("digest status", "Sent")
        FAILED = "failed", _("Build failed")

    subscription = models.ForeignKey(
        DigestSubscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="digests"
    )
    # Local dates in the subscription's time zone: [period_start, period_end).
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.EN)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    html_body = models.TextField(_("HTML body"), blank=True)
    text_body = models.TextField(_("text body"), blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    had_activity = models.BooleanField(_("had activity"), default=False)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("build attempts"), default=0)
    # Set by "send now": built and sent at once, whatever the schedule.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "period_start"], name="digest_one_per_period"),
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"], name="digest_status_idx"),
            models.Index(fields=["-created_at", "-id"], name="digest_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} {self.period_start}"


class DigestDelivery(models.Model):
    """One recipient of one digest, and the outbox email that carries it."""

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="deliveries")
    email = models.EmailField(_("address"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outbound = models.ForeignKey(
        OutboundEmail, verbose_name=_("email"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("digest recipient")
        verbose_name_plural = _("digest recipients")
        ordering = ["email", "id"]
        constraints = [models.UniqueConstraint(fields=["digest", "email"], name="digest_delivery_once")]

    def __str__(self) -> str:
        return self.email
