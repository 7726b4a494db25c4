"""Writes for feedback. Each service owns its transaction, validates, locks what it reads then writes,
keeps the denormalized counters exact and records a FeedbackEvent for every change."""

from feedback.services._common import (
    CLOSED_STATUSES,
    HOT_SCORE_PERIOD_SECONDS,
    IMPORTANCE_RANK,
    feedback_recount,
    hot_score_expression,
    hot_score_value,
)
from feedback.services.conversation import comment_add
from feedback.services.counts import status_counts_compact
from feedback.services.intake import feedback_submit
from feedback.services.lexicon import lexicon_refresh
from feedback.services.merge import feedback_merge
from feedback.services.triage import (
    feedback_assign,
    feedback_bulk_apply,
    feedback_change_status,
    feedback_set_product_area,
    feedback_set_tags,
    feedback_ship_many,
    feedback_snooze,
    feedback_update,
    notification_preferences_set,
    saved_view_delete,
    saved_view_rename,
    saved_view_save,
)
from feedback.services.votes import follow_set, vote_cast, vote_remove

__all__ = [
    "CLOSED_STATUSES",
    "HOT_SCORE_PERIOD_SECONDS",
    "IMPORTANCE_RANK",
    "comment_add",
    "feedback_assign",
    "feedback_bulk_apply",
    "feedback_change_status",
    "feedback_merge",
    "feedback_recount",
    "feedback_set_product_area",
    "feedback_set_tags",
    "feedback_ship_many",
    "feedback_snooze",
    "feedback_submit",
    "feedback_update",
    "follow_set",
    "hot_score_expression",
    "hot_score_value",
    "lexicon_refresh",
    "notification_preferences_set",
    "saved_view_delete",
    "saved_view_rename",
    "saved_view_save",
    "status_counts_compact",
    "vote_cast",
    "vote_remove",
]
