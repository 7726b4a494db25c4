import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Language, Organization


class ProductArea(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    default_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("New requests in this area are assigned to this person."),
    )

    class Meta:
        verbose_name = _("product area")
        verbose_name_plural = _("product areas")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    # Tags are the team's vocabulary ("churn-risk", "big-deal"): clients see only those marked public.
    is_public = models.BooleanField(_("shown to clients"), default=False, help_text=_("Clients see only public tags."))

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Feedback(models.Model):
    class Kind(models.TextChoices):
        IDEA = "idea", _("Idea")
        PROBLEM = "problem", _("Problem")
        QUESTION = "question", _("Question")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        NEEDS_INFO = "needs_info", _("Needs information")
        UNDER_REVIEW = "under_review", _("Under review")
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        SHIPPED = "shipped", _("Shipped")
        DECLINED = "declined", _("Declined")
        MERGED = "merged", _("Merged")

    class Visibility(models.TextChoices):
        PRIVATE = "private", _("Private to my organization")
        PUBLIC = "public", _("Public in the portal")

    class Importance(models.TextChoices):
        NICE_TO_HAVE = "nice_to_have", _("Nice to have")
        IMPORTANT = "important", _("Important")
        CRITICAL = "critical", _("Critical")

    class Source(models.TextChoices):
        PORTAL = "portal", _("Portal")
        STAFF = "staff", _("Staff, on behalf of a client")
        API = "api", _("API")
        EMAIL = "email", _("Email")
        CLUB = "club", _("Club meeting")
        IMPORT = "import", _("Import")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.IDEA)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.EN)
    importance = models.CharField(
        _("importance"), max_length=20, choices=Importance.choices, default=Importance.IMPORTANT
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.PORTAL)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="feedback"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="feedback"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_logged",
    )
    product_area = models.ForeignKey(
        ProductArea,
        verbose_name=_("product area"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="feedback")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_feedback",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
    )
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    # Denormalized, kept exact by feedback.services under row locks.
    vote_count = models.PositiveIntegerField(_("votes"), default=0)
    organization_count = models.PositiveIntegerField(_("organizations"), default=0)
    revenue = models.DecimalField(_("revenue of the organizations asking"), max_digits=16, decimal_places=2, default=0)
    # log10(votes) + created_at in weeks: ten times the votes weighs as much as a week of
    # freshness. Its order does not change with time, so it is stored and indexed.
    hot_score = models.FloatField(_("trending score"), default=0, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback items")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="fb_created_idx"),
            models.Index(fields=["-hot_score", "-id"], name="fb_hot_idx"),
            models.Index(fields=["-vote_count", "-id"], name="fb_votes_idx"),
            models.Index(fields=["-revenue", "-id"], name="fb_revenue_idx"),
            models.Index(fields=["status", "-created_at"], name="fb_status_created_idx"),
            models.Index(fields=["status", "-vote_count", "-id"], name="fb_status_votes_idx"),
            models.Index(fields=["status", "-revenue", "-id"], name="fb_status_revenue_idx"),
            models.Index(fields=["status", "-organization_count", "-id"], name="fb_status_orgs_idx"),
            models.Index(fields=["organization", "-created_at"], name="fb_org_created_idx"),
            models.Index(fields=["visibility", "status", "-vote_count"], name="fb_public_votes_idx"),
            models.Index(fields=["product_area", "status"], name="fb_area_status_idx"),
            models.Index(fields=["assignee", "status"], name="fb_assignee_status_idx"),
            models.Index(fields=["author", "-created_at"], name="fb_author_idx"),
            models.Index(
                fields=["created_at"],
                name="fb_waiting_idx",
                condition=models.Q(first_response_at__isnull=True),
            ),
            # Requests of a period, first answers of a period and requests still waiting, each read
            # from the index alone (digests, the dashboard).
            models.Index(
                fields=["created_at"],
                include=["product_area", "kind", "organization"],
                name="fb_created_cover_idx",
            ),
            models.Index(
                fields=["first_response_at"],
                include=["created_at", "product_area", "assignee", "organization"],
                name="fb_first_response_idx",
                condition=models.Q(first_response_at__isnull=False),
            ),
            models.Index(
                fields=["created_at"],
                include=["id", "status", "product_area", "assignee", "organization"],
                name="fb_waiting_cover_idx",
                condition=models.Q(first_response_at__isnull=True),
            ),
            # A period's votes and events filtered by their request's scope (area, company, segment):
            # the request's keys read from the index alone.
            models.Index(fields=["id"], include=["organization", "product_area"], name="fb_scope_cover_idx"),
            GinIndex(fields=["search_vector"], name="fb_search_idx"),
            # GIN trigram index: duplicate suggestions filter titles by word similarity through it.
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="fb_title_trgm_gin_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC


class StatusCount(models.Model):
    """Requests per (status, product area, assignee, company segment), for the inbox's exact counts.

    Database triggers (migration 0013) add a +1/-1 row for every request inserted, deleted or moved
    between keys, and move a company's requests when its segment changes, in the writer's own
    transaction, whoever writes (services, bulk updates, imports). Rows are only appended, so
    concurrent writers never wait on each other; reads sum them; `status_counts_compact` folds them.
    """

    status = models.CharField(max_length=20)
    product_area_id = models.BigIntegerField(null=True)  # no foreign key: a deleted area's rows net to zero
    assignee_id = models.BigIntegerField(null=True)
    segment = models.CharField(max_length=20)
    n = models.IntegerField()

    class Meta:
        verbose_name = _("status count")
        verbose_name_plural = _("status counts")

    def __str__(self) -> str:
        return f"{self.status} {self.segment} {self.n:+d}"


class Lexeme(models.Model):
    """The requests' vocabulary: each stemmed word of the search vectors and how many requests hold
    it (rebuilt by `lexicon_refresh`). Duplicate suggestions take their candidates from the rarer
    words, and correct a typed word that no request holds to its nearest known word."""

    word = models.TextField(primary_key=True)
    ndoc = models.IntegerField()

    class Meta:
        verbose_name = _("word")
        verbose_name_plural = _("words")
        # GiST: the nearest word to a typo is a KNN walk (ORDER BY word <-> typed LIMIT 1).
        indexes = [GistIndex(fields=["word"], opclasses=["gist_trgm_ops"], name="lexeme_word_trgm_idx")]

    def __str__(self) -> str:
        return self.word


class Vote(models.Model):
    class Provenance(models.TextChoices):
        DIRECT = "direct", _("Direct")
        ON_BEHALF = "on_behalf", _("On behalf, by staff")
        MEETING = "meeting", _("Club meeting")

    feedback = models.ForeignKey(Feedback, verbose_name=_("feedback"), on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("voter"), on_delete=models.CASCADE, related_name="votes"
    )
    # The voter's organization, denormalized: counters and isolation are one indexed filter.
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="votes"
    )
    importance = models.CharField(
        _("importance"), max_length=20, choices=Feedback.Importance.choices, default=Feedback.Importance.IMPORTANT
    )
    provenance = models.CharField(_("provenance"), max_length=10, choices=Provenance.choices, default=Provenance.DIRECT)
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["feedback", "user"], name="vote_one_per_user")]
        indexes = [
            models.Index(fields=["feedback", "organization"], name="vote_feedback_org_idx"),
            models.Index(fields=["user", "-created_at"], name="vote_user_idx"),
            # A set of companies' demand (a club's members): their votes without reading everyone's.
            models.Index(fields=["organization", "feedback"], name="vote_org_feedback_idx"),
            # The votes of a period (digests, the dashboard), read from the index alone.
            models.Index(fields=["created_at"], include=["feedback", "organization"], name="vote_created_cover_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.feedback_id}"


class Comment(models.Model):
    feedback = models.ForeignKey(
        Feedback, verbose_name=_("feedback"), on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("text"))
    is_internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["feedback", "is_internal", "created_at"], name="comment_feedback_idx")]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"


class Follow(models.Model):
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [models.UniqueConstraint(fields=["feedback", "user"], name="follow_one_per_user")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.feedback_id}"


class FeedbackEvent(models.Model):
    """One change to a feedback item: the history shown in triage and, when public, in the portal."""

    class Kind(models.TextChoices):
        CREATED = "created", pgettext_lazy("feedback event", "Created")
        STATUS = "status", _("Status changed")
        ASSIGNED = "assigned", _("Assigned")
        AREA = "area", _("Product area changed")
        TAGS = "tags", _("Tags changed")
        MERGED = "merged", _("Merged")
        MERGED_IN = "merged_in", _("Received a merge")
        REPLY = "reply", _("Public reply")
        NOTE = "note", _("Internal note")
        SNOOZED = "snoozed", _("Snoozed")
        INFO_PROVIDED = "info_provided", _("Information provided")

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    old_value = models.CharField(_("old value"), max_length=200, blank=True)
    new_value = models.CharField(_("new value"), max_length=200, blank=True)
    public_message = models.TextField(_("public message"), blank=True)
    is_public = models.BooleanField(_("shown to clients"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set in the transaction that created the notifications and emails; while it is null for an
    # event that notifies people, the sweep re-queues the fan-out (the broker may have been down).
    fanned_out_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    # A public change made without telling anyone (the product owner unticked "notify").
    silent = models.BooleanField(_("nobody told"), default=False)

    class Meta:
        verbose_name = _("feedback event")
        verbose_name_plural = _("feedback events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["feedback", "created_at"], name="event_feedback_idx"),
            # The status changes of a period (digests, the dashboard).
            models.Index(
                fields=["kind", "created_at"],
                include=["feedback", "new_value", "is_public", "fanned_out_at", "silent"],
                name="event_kind_created_cover_idx",
            ),
            models.Index(
                fields=["created_at"],
                name="event_fanout_pending_idx",
                condition=models.Q(fanned_out_at__isnull=True, is_public=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feedback_id} {self.kind}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Random names: the original name is kept in the row, never in the path.
    return f"attachments/{instance.organization_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="attachments")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class NotificationPreference(models.Model):
    """Per user and event kind: email on or off. No row means on."""

    class Event(models.TextChoices):
        STATUS = "status", _("Status changes")
        REPLY = "reply", _("Public replies")
        MERGED = "merged", _("Merges")
        # Staff only: a client answered a question on a request you handle.
        ANSWERED = "answered", _("Answers from clients")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(_("event"), max_length=10, choices=Event.choices)
    email = models.BooleanField(_("email"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="notification_pref_unique")]

    def __str__(self) -> str:
        return f"{self.user} {self.event} {self.email}"


class Notification(models.Model):
    """What the portal shows a client user: the same facts as the email, never an internal note."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(FeedbackEvent, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="notification_once_per_event")]
        indexes = [models.Index(fields=["user", "-created_at"], name="notification_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} ← {self.event_id}"


class SavedView(models.Model):
    """A product owner's saved inbox filters."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_view_unique_name")]

    def __str__(self) -> str:
        return self.name
