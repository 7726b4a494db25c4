"""The client portal's roadmap and changelog: thin views over roadmap.selectors.portal and
feedback.services.vote_cast, on the model of feedback.views.portal."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from feedback import services as feedback_services
from feedback.forms import VoteForm
from feedback.models import Feedback
from feedback.templatetags.feedback_tags import markdown
from roadmap import policy
from roadmap.selectors import portal as selectors


def _client_or_404(user) -> None:
    if user.is_staff_member or user.organization is None:
        raise Http404


def _roadmap_url(*, item_pk: int | None = None, status: str = "") -> str:
    url = reverse("roadmap:public")
    if status in selectors.PORTAL_STATUSES:
        url += f"?status={status}"
    return f"{url}#item-{item_pk}" if item_pk else url


@login_required
@require_GET
def public_roadmap(request):
    if request.user.is_staff_member:
        return redirect("roadmap:index")
    _client_or_404(request.user)
    context = {
        "importance_choices": Feedback.Importance.choices,
        "shipped_days": selectors.SHIPPED_RECENTLY_DAYS,
    }
    status = request.GET.get("status", "")
    if status in selectors.PORTAL_STATUSES:
        section, page = selectors.portal_roadmap_section(user=request.user, status=status, page=request.GET.get("page"))
        context |= {"sections": [section], "page": page, "one_section": section}
    else:
        context["sections"] = selectors.portal_roadmap(user=request.user)
    return render(request, "roadmap/portal_roadmap.html", context)


@login_required
@require_POST
def me_too(request, pk: int):
    """Vote on the item's main request: a private item, or one whose main request this client may not
    see, does not exist for them (404)."""
    _client_or_404(request.user)
    item = policy.item_get_visible_to(user=request.user, pk=pk)
    feedback = policy.main_request_for_me_too(user=request.user, item=item)
    back = _roadmap_url(item_pk=item.pk, status=request.POST.get("status", ""))
    if feedback is None or item.status not in selectors.ME_TOO_STATUSES:
        raise Http404
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how important it is for you."))
        return redirect(back)
    try:
        feedback_services.vote_cast(feedback=feedback, user=request.user, importance=form.cleaned_data["importance"])
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return redirect(back)
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(
        request,
        _("Your vote is counted: the team sees that you need “%(title)s” too.")
        % {"title": policy.item_title_for(user=request.user, item=item)},
    )
    return redirect(back)


@login_required
@require_GET
def changelog(request):
    if request.user.is_staff_member:
        return redirect("roadmap:releases")
    _client_or_404(request.user)
    page = selectors.portal_changelog(user=request.user, page=request.GET.get("page"))
    return render(request, "roadmap/portal_changelog.html", {"page": page})


def release_anchor(release) -> str:
    return f"release-{release.pk}"


class ChangelogFeed(Feed):
    """Atom feed of the published releases. Public, without sign-in: a feed reader cannot sign in,
    and a published release is an announcement. It carries only what the changelog shows a client:
    the release's title, date and notes, and the public titles of its public items."""

    feed_type = Atom1Feed
    title = gettext_lazy("Retour changelog")
    subtitle = gettext_lazy("What shipped, release by release.")
    author_name = gettext_lazy("Retour product team")

    def link(self):
        return reverse("roadmap:changelog")

    def feed_url(self):
        return reverse("roadmap:changelog_feed")

    def items(self):
        return selectors.changelog_feed_releases()

    def item_title(self, item):
        return item.title

    def item_link(self, item):
        return f"{reverse('roadmap:changelog')}#{release_anchor(item)}"

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        # A published release is not edited (roadmap.services.release_save): published_at is its last change.
        return item.published_at or timezone.now()

    def item_description(self, item):
        shipped = "".join(f"<li>{escape(i.public_title)}</li>" for i in item.public_items)
        heading = _("Shipped:")
        shipped_html = f"<p>{escape(heading)}</p><ul>{shipped}</ul>" if shipped else ""
        return f"{markdown(item.body)}{shipped_html}"
