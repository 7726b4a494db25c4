from django.urls import path

from reporting.views import dashboard, digests, organizations

app_name = "reporting"

urlpatterns = [
    # Dashboard and its CSV exports
    path("reports/", dashboard.index, name="index"),
    path("reports/export/<slug:table>.csv", dashboard.export, name="export"),
    # Subscriptions, teams, the digest archive, unsubscribe
    path("reports/subscriptions/", digests.subscriptions, name="subscriptions"),
    path("reports/subscriptions/new/", digests.subscription_new, name="subscription_new"),
    path("reports/subscriptions/<int:pk>/", digests.subscription_edit, name="subscription_edit"),
    path("reports/subscriptions/<int:pk>/delete/", digests.subscription_delete, name="subscription_delete"),
    path("reports/subscriptions/<int:pk>/send/", digests.subscription_send_now, name="subscription_send_now"),
    path("reports/teams/", digests.teams, name="teams"),
    path("reports/teams/new/", digests.team_new, name="team_new"),
    path("reports/teams/<int:pk>/", digests.team_edit, name="team_edit"),
    path("reports/digests/", digests.archive, name="digests"),
    path("reports/digests/<int:pk>/", digests.digest_detail, name="digest"),
    path("reports/digests/<int:pk>/preview/", digests.digest_preview, name="digest_preview"),
    path("reports/digests/<int:pk>/rebuild/", digests.digest_rebuild, name="digest_rebuild"),
    path("reports/unsubscribe/<str:token>/", digests.unsubscribe, name="unsubscribe"),
    # Organizations: the company dossier, create, edit, import
    path("reports/organizations/", organizations.index, name="organizations"),
    path("reports/organizations/new/", organizations.organization_new, name="organization_new"),
    path("reports/organizations/import/", organizations.organization_import, name="organization_import"),
    path("reports/organizations/<int:pk>/", organizations.dossier, name="organization"),
    path("reports/organizations/<int:pk>/edit/", organizations.organization_edit, name="organization_edit"),
]
