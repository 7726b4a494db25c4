"""Requests coming in: from the portal, the API, or staff on behalf of a client."""

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Language, Organization, User
from feedback.limits import DESCRIPTION_MAX, TITLE_MAX, TITLE_MIN
from feedback.models import (
    Attachment,
    Feedback,
    FeedbackEvent,
    Follow,
    ProductArea,
    Tag,
    Vote,
)
from feedback.policy import Action, feedback_require
from feedback.services._common import _check_length, _event, hot_score_value


def feedback_submit(
    *,
    author: User,
    organization: Organization,
    title: str,
    description: str = "",
    kind: str = Feedback.Kind.IDEA,
    product_area: ProductArea | None = None,
    importance: str = Feedback.Importance.IMPORTANT,
    visibility: str = Feedback.Visibility.PRIVATE,
    language: str | None = None,
    source: str = Feedback.Source.PORTAL,
    submitted_by: User | None = None,
    attachments: list | None = None,
) -> Feedback:
    """A client's request, from the portal or logged by staff on their behalf.
    The author's own vote and follow come with it, so demand counts include the requester."""
    if author.organization is None or author.organization.pk != organization.pk:
        raise ValidationError({"author": _("The requester must be a user of the requesting organization.")})
    if submitted_by is not None:
        feedback_require(user=submitted_by, action=Action.LOG_ON_BEHALF)
    title = " ".join((title or "").split())
    description = (description or "").strip()
    errors: dict = {}
    if len(title) < TITLE_MIN:
        errors["title"] = _("Give your request a title of at least 5 characters.")
    _check_length(errors, "title", title, TITLE_MAX)
    _check_length(errors, "description", description, DESCRIPTION_MAX)
    if language is not None and language not in Language.values:
        errors["language"] = _("Choose a valid language.")
    if kind not in Feedback.Kind.values:
        errors["kind"] = _("Choose a valid kind.")
    if importance not in Feedback.Importance.values:
        errors["importance"] = _("Choose a valid importance.")
    if visibility not in Feedback.Visibility.values:
        errors["visibility"] = _("Choose a valid visibility.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        language = language or author.language
        config = "retour_fr" if language == "fr" else "retour_en"
        # Counters and search vector are known at creation: the INSERT carries them.
        feedback = Feedback.objects.create(
            title=title[:200],
            description=description,
            kind=kind,
            product_area=product_area,
            importance=importance,
            visibility=visibility,
            language=language,
            source=source,
            organization=organization,
            author=author,
            submitted_by=submitted_by,
            assignee=product_area.default_owner if product_area else None,
            vote_count=1,
            organization_count=1,
            revenue=organization.annual_contract_value,
            hot_score=hot_score_value(vote_count=1, created=timezone.now()),
            search_vector=SearchVector(Value(title[:200]), weight="A", config=config)
            + SearchVector(Value(description), weight="B", config=config),
        )
        del feedback.search_vector  # the instance holds the expression; leave the field deferred
        Vote.objects.create(
            feedback=feedback,
            user=author,
            organization=organization,
            importance=importance,
            provenance=Vote.Provenance.ON_BEHALF if submitted_by else Vote.Provenance.DIRECT,
            cast_by=submitted_by,
        )
        Follow.objects.create(feedback=feedback, user=author)
        for upload in attachments or []:
            Attachment.objects.create(
                feedback=feedback,
                organization=organization,
                file=upload,
                original_name=upload.name[:255],
                content_type=upload.sniffed_type,
                size=upload.size,
                uploaded_by=submitted_by or author,
            )
        _event(feedback, submitted_by or author, FeedbackEvent.Kind.CREATED, new=feedback.status)
    feedback._prefetched_objects_cache = {"tags": Tag.objects.none()}  # new: no tags, no query to say so
    return feedback
