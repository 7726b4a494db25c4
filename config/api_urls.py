from django.urls import include, path, re_path

from core.api import api_not_found

app_name = "api"

urlpatterns = [
    path("", include("accounts.api_urls")),
    path("", include("feedback.api_urls")),
    path("", include("roadmap.api_urls")),
    path("", include("clubs.api_urls")),
    path("", include("reporting.api_urls")),
    # Last: any other /api/v1/ address (an id that is not a number, a typo) answers 404 in the
    # API's error shape rather than with the HTML error page.
    # ([\s\S], not "."): an id holding a line break ("%0A") is no endpoint either.
    re_path(r"^(?P<path>[\s\S]*)$", api_not_found, name="not_found"),
]
