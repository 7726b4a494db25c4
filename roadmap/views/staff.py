"""Staff roadmap pages: the board, the ranked list, an item with its business case and drill-downs,
the printable business-case sheet, linking from triage, the decision log and releases.

Thin: parse input, ask roadmap.policy, call a selector (roadmap.selectors.staff) or a service
(roadmap.services), render. Clients and strangers get 404 (staff_required); contributors read and
link requests, and get 403 on anything else (the services' roadmap_require, asked first here so
that a refused POST never reaches form validation)."""

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Organization, User
from core.pagination import light_page
from core.permissions import staff_required
from feedback.forms import share_choices
from feedback.models import Feedback, ProductArea
from feedback.policy import feedback_get_visible_to
from feedback.views.portal import _form_errors_from
from roadmap import services
from roadmap.forms import (
    DecisionFilterForm,
    DecisionForm,
    FeedbackLinkForm,
    ItemCreateForm,
    ItemForm,
    LinkForm,
    MoveForm,
    OutcomeForm,
    RankedFilterForm,
    ReleaseForm,
)
from roadmap.models import Decision, Release, RoadmapItem, RoadmapLink
from roadmap.policy import (
    Action,
    decision_get_visible_to,
    item_get_visible_to,
    roadmap_actions_for,
    roadmap_may,
    roadmap_require,
)
from roadmap.selectors import staff as selectors

RANKED_PER_PAGE = 50
DECISIONS_PER_PAGE = 50
FIGURE_PER_PAGE = 50


def _wants_json(request) -> bool:
    """The board's script posts with fetch and asks for JSON; a plain form gets a redirect."""
    return request.headers.get("X-Requested-With") == "fetch" or "application/json" in request.headers.get("Accept", "")


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        and (target.startswith("/roadmap/") or target.startswith("/triage/"))
    ):
        return target
    return default


def _staff_choices(forms_) -> None:
    """Owner and product area choices fetched once for all the forms of a page."""
    share_choices(forms_, "owner", list(User.objects.staff().order_by("name", "email")))
    share_choices(forms_, "product_area", list(ProductArea.objects.order_by("name")))


# Board ----------------------------------------------------------------------------------------


@staff_required
@require_GET
def board(request):
    can = roadmap_actions_for(user=request.user)
    columns = selectors.roadmap_board(limit=selectors.BOARD_LIMIT)
    # Each card's <select> differs only by the selected status: render the six variants once.
    move_options = {
        current: format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (value, mark_safe(" selected") if value == current else "", label)
                for value, label in RoadmapItem.Status.choices
            ),
        )
        for current in RoadmapItem.Status.values
    }
    for column in columns:
        for item in column.items:
            item.move_options = move_options[item.status]
    return render(
        request,
        "roadmap/board.html",
        {"columns": columns, "can": can, "limit": selectors.BOARD_LIMIT, "next_url": request.get_full_path()},
    )


@staff_required
@require_POST
def item_move(request, pk: int):
    """The board's per-card form, and the target of its drag and drop and keyboard moves (fetch)."""
    item = item_get_visible_to(user=request.user, pk=pk)
    roadmap_require(user=request.user, action=Action.EDIT)
    form = MoveForm(request.POST)
    error = None
    if form.is_valid():
        try:
            item = services.item_move(item=item, actor=request.user, status=form.cleaned_data["status"])
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    label = item.get_status_display()
    if _wants_json(request):
        if error:
            return JsonResponse({"ok": False, "error": error}, status=400)
        return JsonResponse(
            {
                "ok": True,
                "status": item.status,
                "label": str(label),
                "message": _("“%(title)s” moved to %(status)s.") % {"title": item.title, "status": label},
            }
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("“%(title)s” moved to %(status)s.") % {"title": item.title, "status": label})
    return redirect(_safe_next(request, reverse("roadmap:index")))


# Ranked list ----------------------------------------------------------------------------------


@staff_required
@require_GET
def ranked(request):
    params = request.GET.copy()
    params.pop("page", None)
    form = RankedFilterForm(params)
    filters = form.cleaned_data if form.is_valid() else {}
    sort = filters.get("sort") or "at_risk"
    page = light_page(
        selectors.roadmap_ranked(filters=filters, sort=sort), page=request.GET.get("page"), per_page=RANKED_PER_PAGE
    )
    _staff_choices([form])
    return render(
        request,
        "roadmap/ranked.html",
        {
            "form": form,
            "page": page,
            "sort": sort,
            "querystring": params.urlencode(),
            "quarters": selectors.roadmap_quarters(),
            "filters_open": any(key not in ("page", "sort") for key in request.GET),
            "can": roadmap_actions_for(user=request.user),
        },
    )


# Items ----------------------------------------------------------------------------------------


def _item_values(form) -> dict:
    data = dict(form.cleaned_data)
    data.pop("status", None)
    return data


@staff_required
def item_new(request):
    roadmap_require(user=request.user, action=Action.EDIT)  # product owners only, GET included
    form = ItemCreateForm(
        request.POST or None,
        initial={"impact": RoadmapItem.Impact.MEDIUM, "confidence": 50, "effort": 1, "owner": request.user.pk},
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = services.item_create(actor=request.user, status=form.cleaned_data["status"], **_item_values(form))
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("Roadmap item created."))
            return redirect("roadmap:item", pk=item.pk)
    _staff_choices([form])
    return render(request, "roadmap/item_new.html", {"form": form})


# Each POST action of the item page and who may do it (roadmap.policy decides).
ITEM_ACTIONS = {
    "edit": Action.EDIT,
    "move": Action.EDIT,
    "link": Action.LINK,
    "unlink": Action.LINK,
    "decide": Action.DECIDE,
}


@staff_required
def item_detail(request, pk: int):
    item = selectors.roadmap_item_detail(user=request.user, pk=pk)
    bound: dict = {}
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ITEM_ACTIONS:
            raise Http404
        roadmap_require(user=request.user, action=ITEM_ACTIONS[action])  # 403 for a contributor
        result, form = _item_action(request, item, action)
        if result is not None:
            return result
        bound[action] = form
        item = selectors.roadmap_item_detail(user=request.user, pk=pk)  # the page again, with what was typed
    can = roadmap_actions_for(user=request.user)
    links = selectors.item_links_shown(item=item)
    context = {
        "item": item,
        "links": links,
        "decisions": list(item.decisions.all()),
        "events": list(item.events.all()),
        "releases": list(item.releases.all()),
        "can": can,
        "figures": _figures(item),
        "segments": _segments(item),
        "move_form": MoveForm(initial={"status": item.status}),
        "link_form": bound.get("link") or LinkForm(),
        "unlink_error": bound["unlink"].errors.get("feedback") if "unlink" in bound else None,
    }
    if "edit" in can and ("edit" in bound or request.GET.get("form") == "edit"):
        edit_form = bound.get("edit") or ItemForm(initial=ItemForm.initial_for(item), links=links, item=item)
        _staff_choices([edit_form])
        context["edit_form"] = edit_form
    if "decide" in can:
        context["decision_form"] = bound.get("decide") or DecisionForm()
    if "move" in bound:
        context["move_form"] = bound["move"]
    return render(request, "roadmap/item_detail.html", context)


def _item_action(request, item: RoadmapItem, action: str):
    """(redirect, None) on success, or (None, the bound form with its errors)."""
    user = request.user
    if action == "edit":
        form = ItemForm(request.POST, links=[], item=item)
    elif action == "move":
        form = MoveForm(request.POST)
    elif action in ("link", "unlink"):
        form = LinkForm(request.POST)
    else:
        form = DecisionForm(request.POST)
    if not form.is_valid():
        return None, form
    data = form.cleaned_data
    try:
        if action == "edit":
            services.item_update(item=item, actor=user, **data)
            messages.success(request, _("Saved."))
        elif action == "move":
            services.item_move(item=item, actor=user, status=data["status"])
            messages.success(request, _("Moved to %(status)s.") % {"status": RoadmapItem.Status(data["status"]).label})
        elif action in ("link", "unlink"):
            feedback = Feedback.objects.filter(pk=data["feedback"]).first()
            if feedback is None:
                raise ValidationError({"feedback": _("There is no request with that number.")})
            if action == "link":
                services.item_link_feedback(item=item, feedback=feedback, actor=user)
                messages.success(request, _("Request #%(n)d linked.") % {"n": feedback.pk})
            else:
                services.item_unlink_feedback(item=item, feedback=feedback, actor=user)
                messages.success(request, _("Request #%(n)d unlinked.") % {"n": feedback.pk})
        else:
            services.decision_record(
                actor=user,
                item=item,
                kind=data["kind"],
                rationale=data["rationale"],
                public_message=data["public_message"],
                expected_outcome=data["expected_outcome"],
            )
            messages.success(request, _("Decision recorded; the clients who asked are told."))
    except ValidationError as exc:
        _form_errors_from(form, exc)
        return None, form
    return redirect("roadmap:item", pk=item.pk), None


def _figures(item: RoadmapItem) -> list[tuple[str, str, object]]:
    """The figures of the business case, each with the key of its drill-down."""
    return [
        ("requests", _("Requests"), item.request_count),
        ("votes", _("Votes"), item.vote_count),
        ("organizations", _("Organizations"), item.organization_count),
        ("revenue", _("Revenue of the organizations asking"), item.revenue),
        ("at_risk", _("Revenue at risk"), item.revenue_at_risk),
        ("segments", _("Segments"), sum(item.segments.values()) if isinstance(item.segments, dict) else 0),
    ]


def _segments(item: RoadmapItem) -> list[tuple[str, int]]:
    labels = dict(Organization.Segment.choices)
    segments = item.segments if isinstance(item.segments, dict) else {}
    return [(str(labels.get(key, key)), n) for key, n in sorted(segments.items(), key=lambda kv: (-kv[1], kv[0]))]


FIGURE_TITLES = {
    "requests": _("Requests behind the figure"),
    "votes": _("Votes behind the figure"),
    "organizations": _("Organizations behind the figure"),
    "revenue": _("Revenue: the organizations asking and their annual contract value"),
    "at_risk": _("Revenue at risk: organizations renewing within %(days)d days"),
    "segments": _("Segments of the organizations asking"),
}


@staff_required
@require_GET
def item_figure(request, pk: int, figure: str):
    item = item_get_visible_to(user=request.user, pk=pk)
    if figure not in selectors.FIGURES:
        raise Http404
    today = timezone.localdate()
    rows = selectors.item_figure_rows(item=item, figure=figure, today=today)
    page = Paginator(rows, FIGURE_PER_PAGE).get_page(request.GET.get("page"))
    totals = selectors.item_figure_totals(item=item, figure=figure, today=today)
    title = FIGURE_TITLES[figure]
    if figure == "at_risk":
        title = title % {"days": services.AT_RISK_DAYS}
    return render(
        request,
        "roadmap/item_figure.html",
        {
            "item": item,
            "figure": figure,
            "figure_title": title,
            "page": page,
            "totals": totals,
            "figures": _figures(item),
            "today": today,
        },
    )


@staff_required
@require_GET
def item_sheet(request, pk: int):
    item = selectors.roadmap_item_for_sheet(user=request.user, pk=pk)
    decisions = list(item.decisions.all())
    return render(
        request,
        "roadmap/item_sheet.html",
        {
            "item": item,
            "figures": _figures(item),
            "segments": _segments(item),
            "decision": next((d for d in decisions if d.kind == Decision.Kind.ACCEPTED), None),
            "latest_decision": decisions[0] if decisions else None,
            "requests": selectors.item_top_requests(item=item),
            "organizations": selectors.item_top_organizations(item=item),
            "printed_at": timezone.now(),
        },
    )


# Linking from triage --------------------------------------------------------------------------


@staff_required
@require_GET
def item_search(request):
    """htmx: the link picker's results (title contains q, or number q)."""
    q = (request.GET.get("q") or request.GET.get("item") or "")[:200]  # the picker's input is named item
    feedback_id = request.GET.get("feedback") or ""
    return render(
        request,
        "roadmap/_search_results.html",
        {
            "items": selectors.item_search(q=q),
            "q": q.strip(),
            "feedback_id": int(feedback_id) if feedback_id.isdigit() and len(feedback_id) < 10 else None,
            "can_link": roadmap_may(user=request.user, action=Action.LINK),
        },
    )


@staff_required
@require_POST
def feedback_link(request, pk: int):
    feedback = feedback_get_visible_to(user=request.user, pk=pk)
    roadmap_require(user=request.user, action=Action.LINK)
    back = redirect("feedback:triage_detail", pk=feedback.pk)
    form = FeedbackLinkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return back
    try:
        if form.cleaned_data["action"] == "link":
            item = RoadmapItem.objects.filter(pk=form.cleaned_data["item"]).first()
            if item is None:
                raise ValidationError(_("There is no roadmap item with that number."))
            services.item_link_feedback(item=item, feedback=feedback, actor=request.user)
            messages.success(request, _("Linked to the roadmap item “%(title)s”.") % {"title": item.title})
        else:
            link = RoadmapLink.objects.filter(feedback=feedback).select_related("item").first()
            if link is None:
                raise ValidationError(_("This request is not on the roadmap."))
            services.item_unlink_feedback(item=link.item, feedback=feedback, actor=request.user)
            messages.success(request, _("Unlinked from the roadmap item “%(title)s”.") % {"title": link.item.title})
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    return back


# Decisions ------------------------------------------------------------------------------------


def _decision_filters(request) -> tuple[DecisionFilterForm, dict]:
    params = request.GET.copy()
    params.pop("page", None)
    form = DecisionFilterForm(params)
    return form, (form.cleaned_data if form.is_valid() else {})


@staff_required
@require_GET
def decision_log(request):
    form, filters = _decision_filters(request)
    valid = not form.errors
    queryset = selectors.decision_log(filters=filters)
    page = light_page(queryset, page=request.GET.get("page"), per_page=DECISIONS_PER_PAGE)
    share_choices([form], "product_area", list(ProductArea.objects.order_by("name")))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "roadmap/decisions.html",
        {
            "form": form,
            "page": page,
            # An invalid filter shows its errors, not a rate over everything that would mislead.
            "success": selectors.decision_success(queryset=queryset) if valid else None,
            "querystring": params.urlencode(),
            "filters_open": any(key != "page" for key in request.GET),
            "can": roadmap_actions_for(user=request.user),
        },
    )


def csv_cell(value) -> str:
    """A spreadsheet must not run a cell as a formula: text starting with = + - @ tab or CR is
    prefixed with a single quote (OWASP's CSV injection advice)."""
    text = "" if value is None else str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


EXPORT_HEADER = (
    "id",
    "decided_at",
    "kind",
    "subject",
    "item",
    "request",
    "product_area",
    "decided_by",
    "rationale",
    "public_message",
    "expected_outcome",
    "outcome",
    "actual_outcome",
    "lesson",
    "clients_told_at",
)


@staff_required
@require_GET
def decision_export(request):
    form, filters = _decision_filters(request)
    if form.errors:
        messages.error(request, _("Fix the filters before exporting."))
        return redirect(f"{reverse('roadmap:decisions')}?{request.GET.urlencode()}")
    queryset = selectors.decision_log(filters=filters)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(EXPORT_HEADER)
        for decision in queryset.iterator(chunk_size=2000):
            subject = (
                decision.item.title if decision.item_id else (decision.feedback.title if decision.feedback_id else "")
            )
            yield writer.writerow(
                [
                    csv_cell(value)
                    for value in (
                        decision.pk,
                        decision.decided_at.isoformat(),
                        decision.kind,
                        subject,
                        decision.item_id or "",
                        decision.feedback_id or "",
                        decision.product_area.name if decision.product_area_id else "",
                        decision.decided_by.email if decision.decided_by_id else "",
                        decision.rationale,
                        decision.public_message,
                        decision.expected_outcome,
                        decision.outcome,
                        decision.actual_outcome,
                        decision.lesson,
                        decision.clients_told_at.isoformat() if decision.clients_told_at else "",
                    )
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="decisions-{timezone.localdate().isoformat()}.csv"'
    return response


@staff_required
def decision_outcome(request, pk: int):
    """Record whether an accepted decision's expected outcome was reached (GET shows the form)."""
    decision = decision_get_visible_to(user=request.user, pk=pk)
    roadmap_require(user=request.user, action=Action.DECIDE)
    form = OutcomeForm(request.POST or None, prefix=f"d{decision.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            services.decision_record_outcome(decision=decision, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("Outcome recorded."))
            default = (
                reverse("roadmap:item", args=[decision.item_id]) if decision.item_id else reverse("roadmap:decisions")
            )
            return redirect(_safe_next(request, default))
    return render(
        request,
        "roadmap/decision_outcome.html",
        {"decision": decision, "form": form, "next": _safe_next(request, "")},
    )


# Releases -------------------------------------------------------------------------------------


@staff_required
@require_GET
def release_list(request):
    page = Paginator(selectors.release_list(), 50).get_page(request.GET.get("page"))
    return render(request, "roadmap/releases.html", {"page": page, "can": roadmap_actions_for(user=request.user)})


@staff_required
def release_new(request):
    roadmap_require(user=request.user, action=Action.RELEASE)
    form = ReleaseForm(
        request.POST or None,
        item_queryset=selectors.release_item_choices(),
        initial={"release_date": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            release = services.release_save(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("Draft release saved."))
            return redirect("roadmap:release", pk=release.pk)
    return render(request, "roadmap/release_form.html", {"form": form, "release": None})


@staff_required
def release_detail(request, pk: int):
    release = selectors.release_detail(user=request.user, pk=pk)
    can = roadmap_actions_for(user=request.user)
    form = None
    publish_error = None
    if request.method == "POST":
        roadmap_require(user=request.user, action=Action.RELEASE)
        action = request.POST.get("action")
        if action not in ("save", "publish"):
            raise Http404
        if release.status == Release.Status.PUBLISHED:
            messages.error(request, _("A published release cannot be changed."))
            return redirect("roadmap:release", pk=release.pk)
        if action == "save":
            form = ReleaseForm(request.POST, item_queryset=selectors.release_item_choices(release=release))
            if form.is_valid():
                try:
                    services.release_save(actor=request.user, release=release, **form.cleaned_data)
                except ValidationError as exc:
                    _form_errors_from(form, exc)
                else:
                    messages.success(request, _("Draft release saved."))
                    return redirect("roadmap:release", pk=release.pk)
        else:
            if request.POST.get("confirm") != "yes":
                publish_error = _("Tick the confirmation: publishing tells every client who asked, once.")
            else:
                try:
                    services.release_publish(release=release, actor=request.user)
                except (ValidationError, PermissionDenied) as exc:
                    publish_error = " ".join(getattr(exc, "messages", [str(exc)]))
                else:
                    messages.success(request, _("Release published: the clients who asked are being told, once each."))
                    return redirect("roadmap:release", pk=release.pk)
    if release.status == Release.Status.DRAFT and "release" in can and form is None:
        form = ReleaseForm(
            item_queryset=selectors.release_item_choices(release=release),
            initial={
                "title": release.title,
                "release_date": release.release_date,
                "body": release.body,
                "items": [item.pk for item in release.items.all()],
            },
        )
    return render(
        request,
        "roadmap/release_detail.html",
        {"release": release, "form": form, "can": can, "publish_error": publish_error},
    )
