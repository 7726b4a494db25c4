"""Subscriptions, teams, the archive of digests ("what did we tell whom, when") and the one-click
unsubscribe.

Thin: parse input, ask reporting.policy, call a service, render. Every page but unsubscribe is for
staff (404 for anyone else); a contributor reads the lists and the archive and gets 403 on every
write (reporting_require is asked before any form is validated, so a refused POST never writes nor
leaks a validation error). Unsubscribe needs no sign-in: the signed token is the key, and a mail
client's RFC 8058 one-click POST carries no cookie nor CSRF token.
"""

import datetime as dt

from csp.decorators import csp
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Organization, Team
from clubs.forms import form_errors_from
from clubs.models import Club
from core.lookups import object_or_404
from core.pagination import light_page
from core.permissions import staff_required
from feedback.models import ProductArea
from reporting import schedule, services
from reporting.digests import archive_html, archive_text, unsubscribe_read
from reporting.forms import ORG_SEARCH_LIMIT, ArchiveFilterForm, SubscriptionForm, TeamForm, org_boxes, organization_ids
from reporting.models import Digest, DigestDelivery, DigestSubscription, Section
from reporting.policy import (
    Action,
    digest_get_visible_to,
    digest_recipients,
    reporting_actions_for,
    reporting_require,
    subscription_get_visible_to,
)

ARCHIVE_PER_PAGE = 50
# A real token is about 80 characters; anything far longer is not one (and is not worth unsigning).
MAX_TOKEN_LENGTH = 1000


def _period_label(digest: Digest) -> str:
    """[start, end) as the reader says it: the first and the last day, or the day alone."""
    last = digest.period_end - dt.timedelta(days=1)
    if last <= digest.period_start:
        return date_format(digest.period_start, "DATE_FORMAT")
    return f"{date_format(digest.period_start, 'DATE_FORMAT')} \u2013 {date_format(last, 'DATE_FORMAT')}"


def _context(request, **extra) -> dict:
    return {"can": reporting_actions_for(user=request.user), **extra}


# Subscriptions ----------------------------------------------------------------------------------


def _subscription_list() -> list[DigestSubscription]:
    """Every subscription with what its row shows, in a fixed number of queries."""
    through = DigestSubscription.organizations.through
    org_count = (
        through.objects.filter(digestsubscription_id=OuterRef("pk"))
        .order_by()
        .values("digestsubscription_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    rows = list(
        DigestSubscription.objects.select_related("team", "user")
        .prefetch_related(
            Prefetch("product_areas", queryset=ProductArea.objects.order_by("name").only("id", "name")),
            Prefetch("clubs", queryset=Club.objects.order_by("name").only("id", "name")),
        )
        .annotate(organization_count=Coalesce(Subquery(org_count, output_field=IntegerField()), Value(0)))
        .order_by("name", "id")
    )
    last = {
        d.subscription_id: d
        for d in Digest.objects.filter(subscription__in=[s.pk for s in rows])
        .order_by("subscription_id", "-period_start", "-id")
        .distinct("subscription_id")
        .only("id", "subscription_id", "status", "period_start", "period_end", "sent_at", "error")
    }
    now = timezone.now()
    for subscription in rows:
        _describe(subscription)
        subscription.last_digest = last.get(subscription.pk)
        occurrence = schedule.next_occurrence(subscription, now) if subscription.is_active else None
        subscription.next_send = occurrence.due_at.astimezone(schedule.zone(subscription)) if occurrence else None
    return rows


def _describe(subscription: DigestSubscription) -> DigestSubscription:
    """Labels a page shows: the send time, the segments and sections in the reader's language."""
    segments, sections = dict(Organization.Segment.choices), dict(Section.choices)
    subscription.time_label = f"{subscription.hour:02d}:{subscription.minute:02d}"
    subscription.segment_labels = [str(segments.get(s, s)) for s in subscription.segments]
    subscription.section_labels = [str(sections.get(s, s)) for s in subscription.sections]
    return subscription


@staff_required
@require_GET
def subscriptions(request):
    reporting_require(user=request.user, action=Action.VIEW)
    return render(request, "reporting/subscriptions.html", _context(request, subscriptions=_subscription_list()))


def _org_search(request) -> HttpResponse:
    """The organization picker's results: the ticked ones kept, up to 20 more matching the query."""
    chosen_ids = organization_ids(request.GET.getlist("organizations"))
    query = " ".join(request.GET.get("org_q", "").replace("\x00", "").split())[:100]
    chosen = list(Organization.objects.filter(pk__in=chosen_ids).order_by("name", "id").values_list("pk", "name"))
    found = []
    if len(query) >= 2:
        found = list(
            Organization.objects.filter(name__icontains=query)
            .exclude(pk__in=chosen_ids)
            .order_by("name", "id")
            .values_list("pk", "name")[:ORG_SEARCH_LIMIT]
        )
    return render(
        request,
        "reporting/_org_choices.html",
        {
            "boxes": org_boxes(name="organizations", chosen=chosen, found=found),
            "query": query,
            "chosen": chosen,
            "found": found,
            "limit": ORG_SEARCH_LIMIT,
        },
    )


def _subscription_form_page(request, form: SubscriptionForm, subscription: DigestSubscription | None):
    status = 400 if form.errors else 200
    return render(
        request,
        "reporting/subscription_form.html",
        _context(request, form=form, subscription=subscription),
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def subscription_new(request):
    reporting_require(user=request.user, action=Action.MANAGE)
    return _subscription_save_page(request, None)


@staff_required
@require_http_methods(["GET", "POST"])
def subscription_edit(request, pk: int):
    subscription = subscription_get_visible_to(user=request.user, pk=pk)
    reporting_require(user=request.user, action=Action.MANAGE)
    return _subscription_save_page(request, subscription)


def _subscription_save_page(request, subscription: DigestSubscription | None):
    if request.method == "GET" and "org_q" in request.GET and request.headers.get("HX-Request"):
        return _org_search(request)
    if subscription is None:
        form = SubscriptionForm(request.POST or None, initial={"language": request.user.language or "en"})
    else:
        form = SubscriptionForm(request.POST or None, subscription=subscription)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.subscription_save(actor=request.user, data=form.values(), subscription=subscription)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("The subscription “%(name)s” is saved.") % {"name": saved.name})
            return redirect("reporting:subscriptions")
    return _subscription_form_page(request, form, subscription)


@staff_required
@require_http_methods(["GET", "POST"])
def subscription_delete(request, pk: int):
    """GET asks to confirm, POST deletes (the subscription's digests and their archive with it)."""
    subscription = subscription_get_visible_to(user=request.user, pk=pk)
    reporting_require(user=request.user, action=Action.MANAGE)
    if request.method == "POST":
        services.subscription_delete(actor=request.user, subscription=subscription)
        messages.success(request, _("The subscription “%(name)s” is deleted.") % {"name": subscription.name})
        return redirect("reporting:subscriptions")
    digest_count = Digest.objects.filter(subscription=subscription).count()
    return render(
        request,
        "reporting/subscription_delete.html",
        _context(request, subscription=subscription, digest_count=digest_count),
    )


@staff_required
@require_POST
def subscription_send_now(request, pk: int):
    subscription = subscription_get_visible_to(user=request.user, pk=pk)
    reporting_require(user=request.user, action=Action.MANAGE)
    try:
        digest = services.digest_send_now(actor=request.user, subscription=subscription)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    else:
        messages.success(
            request,
            format_html(
                '{} <a href="{}" data-testid="sent-digest-link">{}</a>',
                _("The digest of “%(name)s” is queued; it will be in the archive in a moment.")
                % {"name": subscription.name},
                reverse("reporting:digest", args=[digest.pk]),
                _("Open it"),
            ),
        )
    return redirect("reporting:subscriptions")


# Teams ------------------------------------------------------------------------------------------


@staff_required
@require_GET
def teams(request):
    reporting_require(user=request.user, action=Action.VIEW)
    rows = list(
        Team.objects.annotate(
            member_count=Count("members", distinct=True),
            subscription_count=Count("digest_subscriptions", distinct=True),
        ).order_by("name")
    )
    return render(request, "reporting/teams.html", _context(request, teams=rows))


def _team_form_page(request, form: TeamForm, team: Team | None):
    status = 400 if form.errors else 200
    return render(request, "reporting/team_form.html", _context(request, form=form, team=team), status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def team_new(request):
    reporting_require(user=request.user, action=Action.MANAGE)
    return _team_save_page(request, None)


@staff_required
@require_http_methods(["GET", "POST"])
def team_edit(request, pk: int):
    team = object_or_404(Team.objects.all(), pk)
    reporting_require(user=request.user, action=Action.MANAGE)
    return _team_save_page(request, team)


def _team_save_page(request, team: Team | None):
    initial = TeamForm.initial_for(team) if team else {"language": request.user.language or "en"}
    form = TeamForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.team_save(actor=request.user, data=form.values(), team=team)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("The team “%(name)s” is saved.") % {"name": saved.name})
            return redirect("reporting:teams")
    return _team_form_page(request, form, team)


# The archive ------------------------------------------------------------------------------------


@staff_required
@require_GET
def archive(request):
    reporting_require(user=request.user, action=Action.VIEW)
    subscription_choices = list(DigestSubscription.objects.order_by("name", "id").values_list("pk", "name"))
    form = ArchiveFilterForm(request.GET or None, subscriptions=subscription_choices)
    recipients = (
        DigestDelivery.objects.filter(digest_id=OuterRef("pk"))
        .order_by()
        .values("digest_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    digests = (
        Digest.objects.select_related("subscription")
        .only(
            "id",
            "period_start",
            "period_end",
            "status",
            "error",
            "sent_at",
            "built_at",
            "created_at",
            "had_activity",
            "subscription__id",
            "subscription__name",
        )
        .annotate(recipient_count=Coalesce(Subquery(recipients, output_field=IntegerField()), Value(0)))
        .order_by("-created_at", "-id")
    )
    if form.is_valid():
        if form.cleaned_data["subscription"]:
            digests = digests.filter(subscription_id=form.cleaned_data["subscription"])
        if form.cleaned_data["status"]:
            digests = digests.filter(status=form.cleaned_data["status"])
    page = light_page(digests, page=request.GET.get("page"), per_page=ARCHIVE_PER_PAGE)
    for digest in page:
        digest.period_label = _period_label(digest)
    return render(request, "reporting/digests.html", _context(request, form=form, page=page))


@staff_required
@require_GET
def digest_detail(request, pk: int):
    reporting_require(user=request.user, action=Action.VIEW)
    digest = digest_get_visible_to(user=request.user, pk=pk)
    digest.period_label = _period_label(digest)
    deliveries = list(
        DigestDelivery.objects.filter(digest=digest)
        .select_related("user", "outbound")
        .defer(
            "outbound__html_body",
            "outbound__text_body",
            "outbound__secret_html_body",
            "outbound__secret_text_body",
            "outbound__attachments",
        )
        .order_by("email", "id")
    )
    # Not sent yet: who it would go to today (team members come and go until it is sent).
    planned = [] if deliveries or digest.status == Digest.Status.SENT else digest_recipients(digest.subscription)
    return render(
        request,
        "reporting/digest.html",
        _context(
            request,
            digest=digest,
            subscription=digest.subscription,
            deliveries=deliveries,
            planned=planned,
            text=archive_text(digest),
            can_see_emails=request.user.is_product_owner,
        ),
    )


@staff_required
@require_GET
@xframe_options_sameorigin
@csp(
    {
        "default-src": ["'none'"],
        "style-src": ["'unsafe-inline'"],
        "img-src": ["data:"],
        "frame-ancestors": ["'self'"],
    }
)
def digest_preview(request, pk: int):
    """The digest's HTML, inside the sandboxed frame of its archive page. Its CSS is inline (an
    email's), so this response carries a policy of its own: inline styles, nothing else."""
    reporting_require(user=request.user, action=Action.VIEW)
    digest = digest_get_visible_to(user=request.user, pk=pk)
    html = archive_html(digest) or "<!DOCTYPE html><title></title>"
    return HttpResponse(html, content_type="text/html; charset=utf-8")


@staff_required
@require_POST
def digest_rebuild(request, pk: int):
    digest = digest_get_visible_to(user=request.user, pk=pk)
    reporting_require(user=request.user, action=Action.MANAGE)
    try:
        services.digest_rebuild(actor=request.user, digest=digest)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    else:
        messages.success(request, _("The digest is being built again; reload this page in a moment."))
    return redirect("reporting:digest", pk=digest.pk)


# Unsubscribe ------------------------------------------------------------------------------------


def _is_one_click(request) -> bool:
    """RFC 8058: the mail client POSTs exactly `List-Unsubscribe=One-Click`, with no cookie."""
    return request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click"


def _unsubscribe_error(request, message: str) -> HttpResponse:
    return render(request, "reporting/unsubscribe.html", {"error": message}, status=404)


def _unsubscribe_render(request, *, subscription, email: str, token: str, done: str = "") -> HttpResponse:
    with translation.override(subscription.language):
        return render(
            request,
            "reporting/unsubscribe.html",
            {
                "subscription": subscription,
                "email": email,
                "token": token,
                "unsubscribed": email in {e.lower() for e in subscription.unsubscribed},
                "done": done,
            },
        )


@csrf_protect
def _unsubscribe_page(request, token: str) -> HttpResponse:
    """The page a person opens from the email's link: confirm, or subscribe again (CSRF-protected)."""
    value = unsubscribe_read(token)
    if value is None:
        return _unsubscribe_error(request, _("This unsubscribe link is not valid."))
    subscription = DigestSubscription.objects.filter(pk=value[0]).first()
    if subscription is None:
        return _unsubscribe_error(request, _("This subscription no longer exists: nothing more will be sent."))
    done = ""
    if request.method == "POST":
        action = request.POST.get("action", "unsubscribe")
        try:
            if action == "resubscribe":
                subscription, _email = services.resubscribe(token=token)
                done = "resubscribed"
            else:
                subscription, _email = services.unsubscribe(token=token)
                done = "unsubscribed"
        except ValidationError as exc:
            return _unsubscribe_error(request, " ".join(exc.messages))
    return _unsubscribe_render(request, subscription=subscription, email=value[1], token=token, done=done)


@csrf_exempt  # only for the RFC 8058 one-click POST; every other request goes through csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    if len(token) > MAX_TOKEN_LENGTH or "\x00" in token:
        return _unsubscribe_error(request, _("This unsubscribe link is not valid."))
    if not _is_one_click(request):
        return _unsubscribe_page(request, token)
    try:
        subscription, email = services.unsubscribe(token=token)
    except ValidationError as exc:
        return _unsubscribe_error(request, " ".join(exc.messages))
    return _unsubscribe_render(request, subscription=subscription, email=email, token=token, done="unsubscribed")
