from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext_lazy as _

from core.permissions import staff_required
from core.views import coming_soon


@staff_required
def index(request):
    return coming_soon(request, title=_("Roadmap"), area=_("the roadmap and its business case"))


@login_required
def public(request):
    return coming_soon(request, title=_("Roadmap"), area=_("the public roadmap"))


@login_required
def changelog(request):
    return coming_soon(request, title=_("Changelog"), area=_("the changelog"))
