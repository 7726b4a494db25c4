from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("triage/", views.triage_inbox, name="triage_inbox"),
    path("triage/bulk/", views.triage_bulk, name="triage_bulk"),
    path("triage/counts/", views.triage_counts, name="triage_counts"),
    path("triage/log/", views.triage_log_on_behalf, name="triage_log"),
    path("triage/activity/", views.triage_activity, name="triage_activity"),
    path("triage/views/<int:pk>/delete/", views.triage_saved_view_delete, name="triage_saved_view_delete"),
    path("triage/views/<int:pk>/rename/", views.triage_saved_view_rename, name="triage_saved_view_rename"),
    path("triage/organizations/", views.triage_organization_search, name="triage_organization_search"),
    path("triage/search/", views.triage_feedback_search, name="triage_feedback_search"),
    path("triage/feedback/<int:pk>/", views.triage_detail, name="triage_detail"),
    path("triage/feedback/<int:pk>/duplicates/", views.triage_duplicates, name="triage_duplicates"),
    path("portal/", views.portal_home, name="portal_home"),
    path("portal/feedback/new/", views.portal_submit, name="portal_submit"),
    path("portal/feedback/similar/", views.portal_similar, name="portal_similar"),
    path("portal/feedback/<int:pk>/", views.portal_detail, name="portal_detail"),
    path("portal/feedback/<int:pk>/vote/", views.portal_vote, name="portal_vote"),
    path("portal/activity/", views.portal_activity, name="portal_activity"),
    path("portal/activity/read/", views.portal_notifications_read, name="portal_notifications_read"),
    path("portal/preferences/", views.portal_preferences, name="portal_preferences"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
