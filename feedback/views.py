from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext_lazy as _

from core.permissions import staff_required
from core.views import coming_soon


@staff_required
def triage_inbox(request):
    return coming_soon(request, title=_("Inbox"), area=_("the triage inbox"))


@login_required
def portal_home(request):
    return coming_soon(request, title=_("Portal"), area=_("your company's requests and public ideas"))


@login_required
def portal_submit(request):
    return coming_soon(request, title=_("Submit a request"), area=_("request submission"))
