import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from feedback.models import Feedback, FeedbackEvent, ProductArea

QUARTER_RE = re.compile(r"^\d{4}-Q[1-4]$")


def validate_quarter(value: str) -> None:
    if value and not QUARTER_RE.match(value):
        raise ValidationError(_("Write the quarter as 2027-Q1."))


class RoadmapItem(models.Model):
    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("Candidate")
        NOW = "now", _("Now")
        NEXT = "next", pgettext_lazy("roadmap status", "Next")
        LATER = "later", _("Later")
        SHIPPED = "shipped", pgettext_lazy("roadmap status", "Shipped")
        CANCELLED = "cancelled", pgettext_lazy("roadmap status", "Cancelled")

    class Impact(models.TextChoices):
        # RICE impact: 3 massive, 2 high, 1 medium, 0.5 low, 0.25 minimal
        MASSIVE = "3", _("Massive (3)")
        HIGH = "2", _("High (2)")
        MEDIUM = "1", _("Medium (1)")
        LOW = "0.5", _("Low (0.5)")
        MINIMAL = "0.25", _("Minimal (0.25)")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.CANDIDATE)
    target_quarter = models.CharField(_("target quarter"), max_length=7, blank=True, validators=[validate_quarter])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="roadmap_items",
    )
    product_area = models.ForeignKey(
        ProductArea, verbose_name=_("product area"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Client-facing wording: the internal title and description never reach a client.
    is_public = models.BooleanField(_("on the public roadmap"), default=False)
    public_title = models.CharField(_("public title"), max_length=200, blank=True)
    public_text = models.TextField(_("public text"), blank=True)
    # The request a client's "me too" on the public roadmap votes for.
    main_request = models.ForeignKey(
        Feedback, verbose_name=_("main request"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # RICE inputs entered by the product owner; reach defaults to the demand (organizations asking).
    reach_override = models.PositiveIntegerField(_("reach (override)"), null=True, blank=True)
    impact = models.CharField(_("impact"), max_length=4, choices=Impact.choices, default=Impact.MEDIUM)
    confidence = models.PositiveSmallIntegerField(_("confidence (%)"), default=50)
    effort = models.DecimalField(_("effort (person-months)"), max_digits=6, decimal_places=1, default=1)

    # Business case, denormalized and kept exact by roadmap.services (business_case_refresh).
    request_count = models.PositiveIntegerField(_("requests"), default=0)
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    votes_nice_to_have = models.PositiveIntegerField(default=0)
    votes_important = models.PositiveIntegerField(default=0)
    votes_critical = models.PositiveIntegerField(default=0)
    votes_direct = models.PositiveIntegerField(default=0)
    votes_on_behalf = models.PositiveIntegerField(default=0)
    votes_meeting = models.PositiveIntegerField(default=0)
    organization_count = models.PositiveIntegerField(_("organizations"), default=0)
    revenue = models.DecimalField(_("revenue of the organizations asking"), max_digits=16, decimal_places=2, default=0)
    revenue_at_risk = models.DecimalField(_("revenue at risk"), max_digits=16, decimal_places=2, default=0)
    segments = models.JSONField(_("segments"), default=dict, blank=True)
    club_priority = models.PositiveIntegerField(_("club priority"), default=0)
    rice_score = models.FloatField(_("RICE score"), default=0)
    business_case_at = models.DateTimeField(_("business case computed at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("roadmap item")
        verbose_name_plural = _("roadmap items")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "-revenue_at_risk", "-id"], name="rm_status_risk_idx"),
            models.Index(fields=["-revenue_at_risk", "-id"], name="rm_risk_idx"),
            models.Index(fields=["-rice_score", "-id"], name="rm_rice_idx"),
            models.Index(fields=["-revenue", "-id"], name="rm_revenue_idx"),
            models.Index(fields=["-vote_count", "-id"], name="rm_votes_idx"),
            models.Index(fields=["-organization_count", "-id"], name="rm_orgs_idx"),
            models.Index(fields=["is_public", "status"], name="rm_public_idx"),
            models.Index(fields=["product_area", "status"], name="rm_area_idx"),
            models.Index(fields=["owner", "status"], name="rm_owner_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(confidence__lte=100), name="rm_confidence_percent"),
            models.CheckConstraint(condition=models.Q(effort__gt=0), name="rm_effort_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def reach(self) -> int:
        return self.reach_override if self.reach_override is not None else self.organization_count


class RoadmapLink(models.Model):
    """A request belongs to at most one roadmap item."""

    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="links")
    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="roadmap_link")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The request's vote count, copied by the demand hook: an item's most voted requests in one index scan.
    vote_count = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        indexes = [
            models.Index(fields=["item", "created_at"], name="rm_link_item_idx"),
            models.Index(fields=["item", "-vote_count", "-feedback"], name="rm_link_item_votes_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.feedback_id} → {self.item_id}"


class RoadmapEvent(models.Model):
    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("roadmap event", "Created")
        STATUS = "status", _("Status changed")
        EDITED = "edited", _("Edited")
        LINKED = "linked", _("Request linked")
        UNLINKED = "unlinked", _("Request unlinked")
        DECISION = "decision", _("Decision recorded")
        OUTCOME = "outcome", _("Outcome recorded")
        RELEASED = "released", _("Released")

    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    old_value = models.CharField(_("old value"), max_length=200, blank=True)
    new_value = models.CharField(_("new value"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["item", "created_at"], name="rm_event_item_idx"),
            models.Index(fields=["kind", "created_at"], name="rm_event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.kind}"


class Decision(models.Model):
    """A yes, a no or a not-now, on a roadmap item or on a request, and what it was expected to achieve."""

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        DEFERRED = "deferred", _("Deferred")

    class Outcome(models.TextChoices):
        UNKNOWN = "unknown", _("Not yet known")
        REACHED = "reached", _("Reached")
        MISSED = "missed", _("Missed")

    item = models.ForeignKey(RoadmapItem, null=True, blank=True, on_delete=models.CASCADE, related_name="decisions")
    feedback = models.ForeignKey(Feedback, null=True, blank=True, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(_("decision"), max_length=10, choices=Kind.choices)
    rationale = models.TextField(_("rationale (internal)"), blank=True)
    public_message = models.TextField(_("message to the clients"), blank=True)
    expected_outcome = models.TextField(_("expected outcome"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.UNKNOWN)
    actual_outcome = models.TextField(_("actual outcome"), blank=True)
    lesson = models.TextField(_("lesson learned"), blank=True)
    outcome_recorded_at = models.DateTimeField(_("outcome recorded at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)
    clients_told_at = models.DateTimeField(_("clients told at"), null=True, blank=True)
    # The public events (one per request concerned) whose notifications told the clients.
    told_events = models.ManyToManyField(FeedbackEvent, blank=True, related_name="+")
    # Denormalized for the log's filters: the product area and organizations concerned.
    product_area = models.ForeignKey(ProductArea, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    search_text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(fields=["-decided_at", "-id"], name="decision_date_idx"),
            models.Index(fields=["kind", "-decided_at"], name="decision_kind_idx"),
            models.Index(fields=["outcome", "-decided_at"], name="decision_outcome_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(item__isnull=False) | models.Q(feedback__isnull=False),
                name="decision_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.item_id or self.feedback_id}"


class DecisionOrganization(models.Model):
    """Which companies a decision concerned (the requesters and voters of its requests), for filtering."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="organization_links")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["decision", "organization"], name="decision_org_unique"),
        ]
        indexes = [models.Index(fields=["organization", "decision"], name="decision_org_idx")]

    def __str__(self) -> str:
        return f"{self.decision_id} {self.organization_id}"


class Release(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("release notes"), blank=True)
    release_date = models.DateField(_("release date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    items = models.ManyToManyField(RoadmapItem, verbose_name=_("shipped items"), blank=True, related_name="releases")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Set in the transaction that queued the announcement emails: the fan-out runs once.
    fanned_out_at = models.DateTimeField(_("announced at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["-release_date", "-id"]
        indexes = [models.Index(fields=["status", "-release_date", "-id"], name="release_status_idx")]

    def __str__(self) -> str:
        return self.title
