from django.http import Http404

from core.permissions import staff_required


@staff_required
def index(request):
    raise Http404  # built by the dashboard work


@staff_required
def export(request, table):
    raise Http404
