from django.http import Http404

from core.permissions import staff_required


@staff_required
def index(request):
    raise Http404


organization_new = organization_import = index


@staff_required
def dossier(request, pk):
    raise Http404


organization_edit = dossier
