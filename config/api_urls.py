from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("accounts.api_urls")),
    path("", include("feedback.api_urls")),
]
