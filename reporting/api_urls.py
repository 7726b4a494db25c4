from django.urls import path

from reporting import api

urlpatterns = [
    path("digests/", api.DigestListApi.as_view(), name="digest_list"),
    path("digests/<int:pk>/", api.DigestDetailApi.as_view(), name="digest_detail"),
    path("digest-subscriptions/", api.SubscriptionListCreateApi.as_view(), name="digest_subscription_list"),
    path("digest-subscriptions/<int:pk>/", api.SubscriptionDetailApi.as_view(), name="digest_subscription_detail"),
    path("reports/summary/", api.SummaryApi.as_view(), name="report_summary"),
    path("organizations/<int:pk>/dossier/", api.OrganizationDossierApi.as_view(), name="organization_dossier"),
]
