"""The product owner's triage: inbox, detail, bulk actions, on-behalf logging."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.selectors import organization_search
from core.pagination import light_page
from core.permissions import staff_required
from feedback import extensions, selectors, services
from feedback.forms import (
    AreaForm,
    AssignForm,
    BulkActionForm,
    InboxFilterForm,
    MergeForm,
    NoteForm,
    OnBehalfForm,
    OnBehalfVoteForm,
    PreferencesForm,
    ReplyForm,
    SnoozeForm,
    StatusForm,
    TagsForm,
)
from feedback.limits import SEARCH_MAX
from feedback.models import Feedback, NotificationPreference, ProductArea, SavedView, Tag
from feedback.policy import Action, feedback_actions_for, feedback_may, feedback_require
from feedback.views.portal import _form_errors_from, keep_files_notice, submit_from_form

DEFAULT_INBOX_STATUSES = [Feedback.Status.NEW, Feedback.Status.UNDER_REVIEW]


# The columns the inbox shows: a request's description and search vector stay in the database.
INBOX_COLUMNS = (
    "id",
    "title",
    "kind",
    "status",
    "snoozed_until",
    "vote_count",
    "organization_count",
    "revenue",
    "created_at",
    "organization__name",
    "product_area__name",
    "assignee__name",
    "assignee__email",
)
# Column headers that sort, most first, by the sort of the same name; "Created" toggles newest / oldest.
SORTABLE_COLUMNS = ("votes", "organizations", "revenue")
SEARCH_LIMIT = 10


def _inbox_params(query) -> QueryDict:
    """The inbox's filters without the page; none at all means the default: what needs a decision."""
    params = query.copy()
    params.pop("page", None)
    if not params:
        params.setlist("status", DEFAULT_INBOX_STATUSES)
    return params


def _compact(params: QueryDict) -> QueryDict:
    """The filters that hold a value (a submitted form also sends every empty field)."""
    compact = QueryDict(mutable=True)
    for key, values in params.lists():
        kept = [value for value in values if value.strip()]
        if kept:
            compact.setlist(key, kept)
    return compact


def _inbox_query(params: QueryDict) -> str:
    """An inbox address's query string; nothing left means "every status", not the default filters."""
    return params.urlencode() or "status="


def _inbox_menus() -> dict[str, list]:
    """The areas, tags and staff of the filter and bulk menus: fetched once, each column it shows only."""
    return {
        "product_area": list(ProductArea.objects.only("id", "name").order_by("name")),
        "tag": list(Tag.objects.only("id", "name").order_by("name")),
        "assignee": list(User.objects.staff().only("id", "name", "email").order_by("name", "email")),
    }


def _filter_chips(form: InboxFilterForm, compact: QueryDict, menus: dict[str, list]) -> list[dict]:
    """One removable chip per active filter value, in the form's order, each with the query without it."""
    names = {
        "status": dict(Feedback.Status.choices),
        **{key: {str(obj.pk): str(obj) for obj in objects} for key, objects in menus.items()},
    }
    organization = form.cleaned_data.get("organization") if hasattr(form, "cleaned_data") else None
    chips = []
    for key, field in form.fields.items():
        if key == "sort":
            continue
        for value in compact.getlist(key):
            if key == "unassigned":
                shown = _("yes")
            elif key == "organization" and organization is not None:
                shown = organization.name
            elif key in names:
                shown = names[key].get(value, value)
            else:
                shown = dict(getattr(field, "choices", ())).get(value, value)
            rest = compact.copy()
            rest.setlist(key, [other for other in compact.getlist(key) if other != value])
            chips.append({"name": key, "label": field.label, "value": shown, "query": _inbox_query(rest)})
    return chips


def _sort_links(compact: QueryDict, sort: str) -> dict[str, dict]:
    links = {}
    for column in SORTABLE_COLUMNS:
        query = compact.copy()
        query["sort"] = column
        links[column] = {"query": query.urlencode(), "current": sort == column}
    created = compact.copy()
    created["sort"] = "oldest_waiting" if sort == "newest" else "newest"
    links["created"] = {
        "query": created.urlencode(),
        "current": sort in ("newest", "oldest_waiting"),
        "ascending": sort == "oldest_waiting",
    }
    return links


def _palette_presets(user) -> list[tuple[str, str]]:
    """Filter presets offered in the command palette: (label, query string)."""
    open_statuses = "&".join(
        f"status={s}"
        for s in (
            Feedback.Status.NEW,
            Feedback.Status.NEEDS_INFO,
            Feedback.Status.UNDER_REVIEW,
            Feedback.Status.PLANNED,
            Feedback.Status.IN_PROGRESS,
        )
    )
    return [
        (_("Needs a decision (new, under review)"), "status=new&status=under_review"),
        (_("Everything open"), open_statuses),
        (_("Waiting for the client's answer"), "status=needs_info"),
        (_("Unassigned, needing a decision"), "status=new&status=under_review&unassigned=on"),
        (_("Assigned to me"), f"{open_statuses}&assignee={user.pk}"),
        (_("Waiting more than 7 days for a first response"), "status=new&status=under_review&waiting_days=7"),
        (_("Most voted open requests"), f"{open_statuses}&sort=votes"),
        (_("Snoozed"), "snoozed=yes"),
    ]


def _inbox_rows(*, ids: list[int]) -> list[Feedback]:
    """Rows of the inbox for some requests (after an action), whatever their status now."""
    queryset = selectors.feedback_inbox(filters={"status": Feedback.Status.values}, sort="newest")
    return _prepare_rows(list(queryset.filter(pk__in=ids).only(*INBOX_COLUMNS)))


def _prepare_rows(rows: list[Feedback]) -> list[Feedback]:
    """Each row's labels and links, worked out in Python once per page: the template only prints them
    (a `get_status_display` per row builds the whole choices dict, a `{% url %}` per link reverses)."""
    statuses = {value: str(label) for value, label in Feedback.Status.choices}
    kinds = {value: str(label) for value, label in Feedback.Kind.choices}
    sentinel = "2147483647"
    detail = reverse("feedback:triage_detail", args=[sentinel]).split(sentinel)
    dossier = reverse("reporting:organization", args=[sentinel]).split(sentinel)
    for item in rows:
        item.status_label = statuses.get(item.status, item.status)
        item.kind_label = kinds.get(item.kind, item.kind)
        item.detail_url = f"{detail[0]}{item.pk}{detail[1]}"
        item.dossier_url = f"{dossier[0]}{item.organization_id}{dossier[1]}"
    return rows


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _inbox_update(request, *, notices: list[tuple[str, str]], ids: list[int] | None = None):
    """htmx: the notice of an action taken from the inbox, and its rows as they are now (swapped in place)."""
    return render(
        request,
        "feedback/_inbox_update.html",
        {"notices": notices, "rows": _inbox_rows(ids=ids) if ids else []},
    )


@staff_required
def triage_inbox(request):
    params = _inbox_params(request.GET)
    compact = _compact(params)
    if request.method == "POST" and request.POST.get("save_view"):
        try:
            view = services.saved_view_save(
                user=request.user, name=request.POST.get("view_name", ""), query=_inbox_query(compact)
            )
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
        return redirect(f"{request.path}?{_inbox_query(compact)}")
    menus = _inbox_menus()
    form = InboxFilterForm(params, known=menus)
    valid = form.is_valid()
    sort = (form.cleaned_data.get("sort") if valid else "") or "newest"
    page = None
    if valid:  # invalid filters (an unknown company) say so, rather than listing everything
        queryset = selectors.feedback_inbox(filters=form.cleaned_data, sort=sort).only(*INBOX_COLUMNS)
        page = light_page(queryset, page=request.GET.get("page"), per_page=50)
        _prepare_rows(page.object_list)
    current_query = _inbox_query(compact)
    saved_views = list(SavedView.objects.filter(user=request.user).only("id", "name", "query"))
    advanced = {key for key in compact if key not in ("q", "status", "organization", "sort")}
    return render(
        request,
        "feedback/triage_inbox.html",
        {
            "form": form,
            "page": page,
            "querystring": params.urlencode(),
            "current_query": current_query,
            "chips": _filter_chips(form, compact, menus),
            "sort": sort,
            "sort_links": _sort_links(compact, sort),
            "filters_open": bool(advanced) or bool(form.errors),
            "selected_statuses": compact.getlist("status"),
            "values": {key: compact.get(key, "") for key in form.fields},
            "selected": {key: getattr(form.cleaned_data.get(key), "pk", None) for key in menus},
            "menus": menus,
            "saved_views": saved_views,
            "current_view": next((view for view in saved_views if view.query == current_query), None),
            "presets": _palette_presets(request.user),
            "statuses": [c for c in Feedback.Status.choices if c[0] != Feedback.Status.MERGED],
            "bulk_actions": BulkActionForm.ACTIONS,
            "can_decide": feedback_may(user=request.user, action=Action.DECIDE),
            "can_merge": feedback_may(user=request.user, action=Action.MERGE),
        },
    )


@staff_required
def triage_duplicates(request, pk: int):
    """htmx: possible duplicates of a request, loaded after its page."""
    feedback = selectors.feedback_get_visible_to(user=request.user, pk=pk)
    items = selectors.feedback_similar(user=request.user, title=feedback.title, exclude_id=feedback.pk)
    return render(request, "feedback/_duplicates.html", {"duplicates": items})


@staff_required
def triage_counts(request):
    """htmx: requests per status for the inbox's filters, loaded after the page so that counting
    never delays the list. Exact from the rollup for area, segment, assignee and organization; for
    other filters each count stops at STATUS_COUNT_CAP and a statement timeout bounds the rest."""
    params = request.GET.copy()
    params.pop("page", None)
    form = InboxFilterForm(params)
    exact = False
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if k != "status"}
        counts = selectors.feedback_status_counts_exact(filters=filters)
        exact = counts is not None
        if not exact:
            counts = selectors.feedback_status_counts_bounded(filters=filters)
    else:
        counts = None  # the inbox shows the filter errors; counting "everything" instead would mislead
    cap = None if exact else selectors.STATUS_COUNT_CAP
    base = {k: v for k, v in params.lists() if k != "status"}
    status_links = [
        (
            value,
            label,
            "?" if counts is None else (f"{cap}+" if cap is not None and counts[value] > cap else counts[value]),
            urlencode({**base, "status": value}, doseq=True),
        )
        for value, label in Feedback.Status.choices
    ]
    return render(request, "feedback/_status_counts.html", {"status_links": status_links})


@staff_required
@require_POST
def triage_saved_view_delete(request, pk: int):
    services.saved_view_delete(user=request.user, pk=pk)
    return redirect("feedback:triage_inbox")


@staff_required
@require_POST
def triage_saved_view_rename(request, pk: int):
    """Another user's view is not found (404), as if it did not exist."""
    try:
        view = services.saved_view_rename(user=request.user, pk=pk, name=request.POST.get("name", ""))
    except SavedView.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return redirect("feedback:triage_inbox")
    messages.success(request, _("View renamed “%(name)s”.") % {"name": view.name})
    return redirect(f"{reverse('feedback:triage_inbox')}?{view.query}")


@staff_required
def triage_organization_search(request):
    """JSON: companies whose name starts with q, for the inbox's organization filter (10 at most)."""
    results = [{"name": name, "slug": slug} for name, slug in organization_search(prefix=request.GET.get("q") or "")]
    return JsonResponse({"results": results})


@staff_required
def triage_feedback_search(request):
    """JSON: requests matching q (words of the title, or its number), for the merge picker (10 at most)."""
    q = " ".join((request.GET.get("q") or "").split())[:SEARCH_MAX]
    number = q.lstrip("#")
    if number.isdigit() and len(number) < 10:
        open_or_closed = [status for status in Feedback.Status.values if status != Feedback.Status.MERGED]
        queryset = selectors.feedback_inbox(filters={"status": open_or_closed}).filter(pk=int(number))
    elif len(q) >= 2:
        queryset = selectors.feedback_inbox(filters={"q": q}, sort="votes")
    else:
        return JsonResponse({"results": []})
    exclude = request.GET.get("exclude") or ""
    if exclude.isdigit() and len(exclude) < 10:
        queryset = queryset.exclude(pk=int(exclude))
    rows = (
        queryset.select_related(None)
        .prefetch_related(None)
        .select_related("organization")
        .only("id", "title", "status", "organization__name")[:SEARCH_LIMIT]
    )
    return JsonResponse(
        {
            "results": [
                {
                    "id": item.pk,
                    "title": item.title,
                    "status": item.get_status_display(),
                    "organization": item.organization.name,
                }
                for item in rows
            ]
        }
    )


@staff_required
@require_POST
def triage_bulk(request):
    """One action on the selected requests. With htmx: the notice and the changed rows, swapped in place."""
    form = BulkActionForm(request.POST)
    back = request.POST.get("next") or "/triage/"
    if not back.startswith("/triage/"):
        back = "/triage/"
    notices: list[tuple[str, str]] = []
    ids: list[int] = []
    if not form.is_valid():
        notices = [("error", error) for errors in form.errors.values() for error in errors]
    else:
        data = form.cleaned_data
        try:
            count = services.feedback_bulk_apply(
                actor=request.user,
                ids=data["ids"],
                action=data["action"],
                status=data.get("status") or "",
                public_message=data.get("public_message") or "",
                assignee=data.get("assignee"),
                product_area=data.get("product_area"),
                tag=data.get("tag"),
                target_id=data.get("target"),
                until=data.get("until"),
            )
        except ValidationError as exc:
            notices = [("error", " ".join(exc.messages))]
        except PermissionDenied as exc:
            notices = [("error", str(exc) or _("You are not allowed to do this."))]
        else:
            updated = ngettext("%(count)d request updated.", "%(count)d requests updated.", count)
            notices = [("success", updated % {"count": count})]
            ids = data["ids"] + ([data["target"]] if data.get("target") else [])
    if _is_htmx(request):
        return _inbox_update(request, notices=notices, ids=ids)
    for level, text in notices:
        (messages.success if level == "success" else messages.error)(request, text)
    return redirect(back)


# Each action of the triage page: its form, and the policy action that decides who may do it.
ACTION_FORMS = {
    "status": (StatusForm, Action.DECIDE),
    "assign": (AssignForm, Action.ASSIGN),
    "area": (AreaForm, Action.SET_AREA),
    "tags": (TagsForm, Action.SET_TAGS),
    "snooze": (SnoozeForm, Action.SNOOZE),
    "merge": (MergeForm, Action.MERGE),
    "note": (NoteForm, Action.NOTE),
    "reply": (ReplyForm, Action.REPLY),
    "vote": (OnBehalfVoteForm, Action.VOTE_ON_BEHALF),
}


@staff_required
def triage_detail(request, pk: int):
    feedback = selectors.feedback_detail_for_staff(pk=pk)
    bound = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ACTION_FORMS:
            raise Http404
        form_class, policy_action = ACTION_FORMS[action]
        feedback_require(user=request.user, action=policy_action, feedback=feedback)  # 403 otherwise
        bound = form_class(request.POST)
        result = _triage_action(request, feedback, action, bound)
        if _is_htmx(request):  # from the inbox (snooze): its notice and the row as it is now, no page
            notices = [(message.level_tag, str(message)) for message in messages.get_messages(request)]
            notices += [("error", error) for errors in bound.errors.values() for error in errors]
            return _inbox_update(request, notices=notices, ids=[feedback.pk] if result is not None else None)
        if result is not None:
            return result
        feedback = selectors.feedback_detail_for_staff(pk=pk)  # show the form again, with what was typed
    voters_by_org: dict = {}
    for vote in feedback.votes.all():
        voters_by_org.setdefault(vote.organization, []).append(vote)
    forms = {
        "status_form": StatusForm(initial={"status": feedback.status}),
        "assign_form": AssignForm(initial={"assignee": feedback.assignee}),
        "area_form": AreaForm(initial={"product_area": feedback.product_area}),
        "tags_form": TagsForm(initial={"tags": list(feedback.tags.all())}),
        "snooze_form": SnoozeForm(initial={"until": feedback.snoozed_until}),
        "merge_form": MergeForm(),
        "note_form": NoteForm(),
        "reply_form": ReplyForm(),
        "vote_form": OnBehalfVoteForm(),
    }
    if bound is not None:
        forms[f"{request.POST['action']}_form"] = bound
    can = feedback_actions_for(user=request.user, feedback=feedback)
    return render(
        request,
        "feedback/triage_detail.html",
        {
            "feedback": feedback,
            "voters_by_org": voters_by_org.items(),
            "can": can,
            # The command palette: the same actions and shortcuts as in the inbox.
            "can_decide": Action.DECIDE in can,
            "can_merge": Action.MERGE in can,
            "statuses": [c for c in Feedback.Status.choices if c[0] != Feedback.Status.MERGED],
            "presets": _palette_presets(request.user),
            "panels": extensions.detail_panels(user=request.user, feedback=feedback, staff_page=True),
            **forms,
        },
    )


def _triage_action(request, feedback: Feedback, action: str, form):
    """Returns a redirect on success, or None after adding the errors to `form`."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    user = request.user
    try:
        if action == "status":
            services.feedback_change_status(
                feedback=feedback, actor=user, status=data["status"], public_message=data["public_message"]
            )
        elif action == "assign":
            services.feedback_assign(feedback=feedback, actor=user, assignee=data["assignee"])
        elif action == "area":
            services.feedback_set_product_area(feedback=feedback, actor=user, product_area=data["product_area"])
        elif action == "tags":
            services.feedback_set_tags(feedback=feedback, actor=user, tags=list(data["tags"]))
        elif action == "snooze":
            services.feedback_snooze(feedback=feedback, actor=user, until=data["until"])
        elif action == "merge":
            target = Feedback.objects.filter(pk=data["target"]).select_related("organization").first()
            if target is None:
                raise ValidationError({"target": _("There is no request with that number.")})
            services.feedback_merge(source=feedback, target=target, actor=user)
            messages.success(request, _("Merged. You are now on the request that received it."))
            return redirect("feedback:triage_detail", pk=target.pk)
        elif action in ("note", "reply"):
            services.comment_add(feedback=feedback, author=user, body=data["body"], is_internal=action == "note")
        elif action == "vote":
            services.vote_cast(
                feedback=feedback,
                user=data["user"],
                importance=data["importance"],
                provenance="on_behalf",
                cast_by=user,
            )
    except ValidationError as exc:
        _form_errors_from(form, exc)
        return None
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or _("You are not allowed to do this."))
        return None
    messages.success(request, _("Saved."))
    return redirect("feedback:triage_detail", pk=feedback.pk)


@staff_required
def triage_log_on_behalf(request):
    form = OnBehalfForm(request.POST or None, request.FILES or None, initial={"language": request.user.language})
    if request.method == "POST" and form.is_valid():
        author = form.cleaned_data["author"]
        try:
            feedback = submit_from_form(
                form,
                author=author,
                language=form.cleaned_data["language"],
                source=Feedback.Source.STAFF,
                submitted_by=request.user,
            )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("Request logged for %(name)s.") % {"name": author.get_full_name()})
            return redirect("feedback:triage_detail", pk=feedback.pk)
    keep_files_notice(request, form)
    return render(request, "feedback/triage_log.html", {"form": form})


@staff_required
def triage_activity(request):
    """A staff member's notifications (a client answered a question on a request they handle)."""
    from django.core.paginator import Paginator
    from django.utils import timezone

    from feedback.models import Notification

    mine = Notification.objects.filter(user=request.user)
    current = dict(NotificationPreference.objects.filter(user=request.user).values_list("event", "email"))
    preferences = PreferencesForm(
        request.POST if request.POST.get("action") == "preferences" else None, current=current, staff=True
    )
    if request.method == "POST" and request.POST.get("action") == "preferences":
        if preferences.is_valid():
            services.notification_preferences_set(user=request.user, choices=preferences.cleaned_data)
            messages.success(request, _("Your notification preferences are saved."))
        return redirect("feedback:triage_activity")
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        messages.success(request, _("All notifications are marked as read."))
        return redirect("feedback:triage_activity")
    unread = mine.filter(read_at__isnull=True).count()
    page = Paginator(
        mine.select_related("feedback__organization", "event__actor").order_by("-created_at", "-id"), 50
    ).get_page(request.GET.get("page"))
    return render(
        request, "feedback/triage_activity.html", {"page": page, "unread": unread, "preferences": preferences}
    )
