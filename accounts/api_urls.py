from django.urls import path

from accounts import api

urlpatterns = [
    path("me/", api.MeApi.as_view(), name="me"),
    path("organizations/", api.OrganizationListApi.as_view(), name="organization_list"),
    path("organizations/<int:pk>/", api.OrganizationDetailApi.as_view(), name="organization_detail"),
]
