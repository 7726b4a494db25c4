from feedback.views.portal import (  # noqa: F401
    attachment_download,
    portal_activity,
    portal_detail,
    portal_home,
    portal_notifications_read,
    portal_preferences,
    portal_similar,
    portal_submit,
    portal_vote,
)
from feedback.views.triage import (  # noqa: F401
    triage_activity,
    triage_bulk,
    triage_counts,
    triage_detail,
    triage_duplicates,
    triage_feedback_search,
    triage_inbox,
    triage_log_on_behalf,
    triage_organization_search,
    triage_saved_view_delete,
    triage_saved_view_rename,
)
