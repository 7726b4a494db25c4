from django.http import Http404

from core.permissions import product_owner_required, staff_required


@product_owner_required
def subscriptions(request):
    raise Http404


subscription_new = subscriptions


@product_owner_required
def subscription_edit(request, pk):
    raise Http404


subscription_delete = subscription_send_now = team_edit = subscription_edit
teams = team_new = subscriptions


@staff_required
def archive(request):
    raise Http404


@staff_required
def digest_detail(request, pk):
    raise Http404


digest_preview = digest_rebuild = digest_detail


def unsubscribe(request, token):
    raise Http404
