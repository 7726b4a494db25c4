from django.utils.translation import gettext_lazy as _

from core.permissions import staff_required
from core.views import coming_soon


@staff_required
def index(request):
    return coming_soon(request, title=_("Reports"), area=_("weekly digests, the dashboard and exports"))
