"""Portal roadmap pages (being built)."""

from django.contrib.syndication.views import Feed
from django.http import Http404


def public_roadmap(request, **kwargs):
    raise Http404


def me_too(request, **kwargs):
    raise Http404


def changelog(request, **kwargs):
    raise Http404


class ChangelogFeed(Feed):
    title = "Retour"
    link = "/portal/changelog/"

    def items(self):
        return []
