from django.contrib.auth.decorators import login_required
from django.utils.translation import gettext_lazy as _

from core.permissions import staff_required
from core.views import coming_soon


@staff_required
def index(request):
    return coming_soon(request, title=_("Clubs"), area=_("user clubs and their meetings"))


@login_required
def mine(request):
    return coming_soon(request, title=_("My clubs"), area=_("your user club meetings"))


@staff_required
def meeting(request, pk):
    return coming_soon(request, title=_("Clubs"), area=_("user clubs and their meetings"))


@login_required
def portal_meeting(request, pk):
    return coming_soon(request, title=_("My clubs"), area=_("your user club meetings"))
