"""Staff roadmap pages (being built)."""

from django.http import Http404

from core.permissions import staff_required


@staff_required
def board(request, **kwargs):
    raise Http404


@staff_required
def ranked(request, **kwargs):
    raise Http404


@staff_required
def item_new(request, **kwargs):
    raise Http404


@staff_required
def item_search(request, **kwargs):
    raise Http404


@staff_required
def item_detail(request, **kwargs):
    raise Http404


@staff_required
def item_move(request, **kwargs):
    raise Http404


@staff_required
def item_sheet(request, **kwargs):
    raise Http404


@staff_required
def item_figure(request, **kwargs):
    raise Http404


@staff_required
def feedback_link(request, **kwargs):
    raise Http404


@staff_required
def decision_log(request, **kwargs):
    raise Http404


@staff_required
def decision_export(request, **kwargs):
    raise Http404


@staff_required
def decision_outcome(request, **kwargs):
    raise Http404


@staff_required
def release_list(request, **kwargs):
    raise Http404


@staff_required
def release_new(request, **kwargs):
    raise Http404


@staff_required
def release_detail(request, **kwargs):
    raise Http404
