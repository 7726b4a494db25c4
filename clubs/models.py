"""User clubs: communities of client users from several companies who meet the product team.

A club spans organizations. Its members see each other's names and companies within the club
only; what a member may read of a request or a roadmap item is still decided by feedback.policy
and roadmap.policy (clubs.policy asks them), so an agenda topic written about another company's
private request shows its client-facing wording and never links to it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Language, Organization
from feedback.models import Feedback, ProductArea
from roadmap.models import RoadmapItem


class Club(models.Model):
    class Visibility(models.TextChoices):
        INVITATION = "invitation", _("Invitation only")
        OPEN = "open", _("Open: client users ask to join, an organizer approves")

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.EN)
    # No area means the whole product.
    product_areas = models.ManyToManyField(ProductArea, verbose_name=_("product scope"), blank=True, related_name="+")
    region = models.CharField(_("region"), max_length=120, blank=True)
    organizers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("organizers"), blank=True, related_name="organized_clubs"
    )
    visibility = models.CharField(
        _("visibility"), max_length=12, choices=Visibility.choices, default=Visibility.INVITATION
    )
    is_archived = models.BooleanField(_("archived"), default=False)
    # Denormalized: active members, kept by clubs.services.
    member_count = models.PositiveIntegerField(_("members"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("club")
        verbose_name_plural = _("clubs")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["visibility", "is_archived"], name="club_visibility_idx")]

    def __str__(self) -> str:
        return self.name


class ClubMembership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", pgettext_lazy("club role", "Member")
        AMBASSADOR = "ambassador", _("Ambassador")
        CHAIR = "chair", _("Chair")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Asked to join")
        ACTIVE = "active", pgettext_lazy("club membership", "Active")
        LEFT = "left", _("Left")
        REFUSED = "refused", _("Refused")

    club = models.ForeignKey(Club, verbose_name=_("club"), on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="club_memberships"
    )
    # The member's company, denormalized (null for staff): suggestions and tallies group by it.
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    joined_at = models.DateTimeField(_("joined"), null=True, blank=True)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("club membership")
        verbose_name_plural = _("club memberships")
        constraints = [models.UniqueConstraint(fields=["club", "user"], name="club_membership_unique")]
        indexes = [
            models.Index(fields=["user", "status"], name="club_member_user_idx"),
            models.Index(fields=["club", "status", "organization"], name="club_member_club_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.club_id}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("meeting status", "Planned")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", pgettext_lazy("meeting status", "Cancelled")

    club = models.ForeignKey(Club, verbose_name=_("club"), on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    place = models.CharField(_("place"), max_length=300, blank=True)
    video_url = models.URLField(_("video link"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    # The calendar event: one UID for its whole life, SEQUENCE raised by each update sent.
    ical_uid = models.CharField(max_length=100, unique=True, default="", editable=False)
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0)
    invitations_sent_at = models.DateTimeField(_("invitations sent at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["club", "-starts_at"], name="meeting_club_idx"),
            models.Index(fields=["status", "starts_at"], name="meeting_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after")
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self.ical_uid:
            self.ical_uid = f"{uuid.uuid4()}@retour"
        super().save(*args, **kwargs)


class AgendaItem(models.Model):
    """A topic. Its title is the organizer's client-facing wording: for a private request it is a
    summary written for the club, never the request's own title."""

    class Origin(models.TextChoices):
        MANUAL = "manual", _("Written by the organizer")
        DEMAND = "demand", _("Most voted by the club's companies")
        CHANGED = "changed", _("Changed status since the last meeting")
        AWAITING = "awaiting", _("Awaiting a decision")
        ACTION = "action", _("Open action item")

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveIntegerField(_("order"), default=0)
    title = models.CharField(_("topic"), max_length=200)
    notes = models.TextField(_("notes for the members"), blank=True)
    minutes_allotted = models.PositiveSmallIntegerField(_("minutes allotted"), default=10)
    feedback = models.ForeignKey(
        Feedback, verbose_name=_("request"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    roadmap_item = models.ForeignKey(
        RoadmapItem, verbose_name=_("roadmap item"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action_item = models.ForeignKey(
        "ActionItem", verbose_name=_("action item"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices, default=Origin.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["meeting", "position"], name="agenda_meeting_idx"),
            models.Index(fields=["feedback"], name="agenda_feedback_idx", condition=models.Q(feedback__isnull=False)),
            models.Index(
                fields=["roadmap_item"], name="agenda_item_idx", condition=models.Q(roadmap_item__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Invitation(models.Model):
    """One person's place at a meeting: invited (with their answer), and whether they came.

    A row with `invited_at` null is someone who came without being invited (attendance taken on the day).
    """

    class Rsvp(models.TextChoices):
        PENDING = "pending", _("No answer yet")
        YES = "yes", _("Yes")
        NO = "no", _("No")
        MAYBE = "maybe", _("Maybe")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meeting_invitations")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    rsvp = models.CharField(_("answer"), max_length=8, choices=Rsvp.choices, default=Rsvp.PENDING)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    attended = models.BooleanField(_("attended"), default=False)
    # The reminder goes once: set in the transaction that queued it.
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="invitation_unique")]
        indexes = [models.Index(fields=["user", "meeting"], name="invitation_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} → {self.meeting_id} ({self.rsvp})"


class MeetingVote(models.Model):
    """Dot voting on some agenda topics: each attendee spreads `budget` points, once."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Not open yet")
        OPEN = "open", pgettext_lazy("vote status", "Open")
        CLOSED = "closed", pgettext_lazy("vote status", "Closed")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="votes")
    title = models.CharField(_("question"), max_length=200)
    budget = models.PositiveSmallIntegerField(_("points per attendee"), default=5)
    topics = models.ManyToManyField(AgendaItem, verbose_name=_("topics"), related_name="votes")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Stored when the vote closes (casting only takes a shared lock on the vote row).
    ballot_count = models.PositiveIntegerField(_("ballots"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("meeting vote")
        verbose_name_plural = _("meeting votes")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(budget__gte=1, budget__lte=100), name="vote_budget_range")
        ]

    def __str__(self) -> str:
        return self.title


class Ballot(models.Model):
    """One attendee's points in one vote: cast once (the constraint makes a second one impossible)."""

    vote = models.ForeignKey(MeetingVote, on_delete=models.CASCADE, related_name="ballots")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    total = models.PositiveSmallIntegerField(default=0)
    cast_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vote", "user"], name="ballot_once_per_vote")]

    def __str__(self) -> str:
        return f"{self.user} in {self.vote_id}"


class BallotPoints(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="points")
    vote = models.ForeignKey(MeetingVote, on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="+")
    points = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "topic"], name="ballot_points_unique"),
            models.CheckConstraint(condition=models.Q(points__gte=1), name="ballot_points_positive"),
        ]
        indexes = [models.Index(fields=["vote", "topic"], name="ballot_points_vote_idx")]

    def __str__(self) -> str:
        return f"{self.points} → {self.topic_id}"


class VoteResult(models.Model):
    """The tally stored when a vote closes: points per topic and per organization (null: staff)."""

    vote = models.ForeignKey(MeetingVote, on_delete=models.CASCADE, related_name="results")
    topic = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="results")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    points = models.PositiveIntegerField(default=0)
    voters = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vote", "topic", "organization"], name="vote_result_unique", nulls_distinct=False
            )
        ]
        indexes = [models.Index(fields=["topic"], name="vote_result_topic_idx")]

    def __str__(self) -> str:
        return f"{self.topic_id}: {self.points}"


class Minutes(models.Model):
    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="minutes")
    body = models.TextField(_("minutes (Markdown)"), blank=True)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    # Members read the minutes once they are published; attendees get them by email then.
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")

    def __str__(self) -> str:
        return f"Minutes of {self.meeting_id}"


class ActionItem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("action item status", "Open")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="action_items")
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items")
    title = models.CharField(_("what"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="club_action_items",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    feedback = models.ForeignKey(
        Feedback, verbose_name=_("request"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    roadmap_item = models.ForeignKey(
        RoadmapItem, verbose_name=_("roadmap item"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["club", "status", "due_date"], name="action_club_idx"),
            models.Index(fields=["owner", "status"], name="action_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class CapturedRequest(models.Model):
    """A request raised during a meeting: ordinary feedback (source "club meeting") and this link."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="captured")
    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="club_meeting")
    captured_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.feedback_id} @ {self.meeting_id}"


class Mailing(models.Model):
    """The ledger of club emails to write: one line per cause (an invitation round, an update with
    its SEQUENCE, a cancellation, the minutes, a welcome). Written in the cause's transaction; the
    task writes one outbox email per person with a stable key, then marks the line done. The sweep
    re-queues a line left undone (broker down, worker lost)."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", pgettext_lazy("club email", "Invitation")
        UPDATE = "update", pgettext_lazy("club email", "Update")
        CANCEL = "cancel", pgettext_lazy("club email", "Cancellation")
        MINUTES = "minutes", pgettext_lazy("club email", "Minutes")
        WELCOME = "welcome", pgettext_lazy("club email", "Welcome to the club")

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="mailings")
    membership = models.ForeignKey(ClubMembership, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "meeting", "membership", "sequence"], name="mailing_unique", nulls_distinct=False
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="mailing_pending_idx", condition=models.Q(done_at=None))]

    def __str__(self) -> str:
        return f"{self.kind} {self.meeting_id or self.membership_id}"
