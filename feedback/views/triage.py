"""The product owner's triage: inbox, detail, bulk actions, on-behalf logging."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
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
    share_choices,
)
from feedback.models import Feedback, NotificationPreference, ProductArea, SavedView, Tag
from feedback.policy import Action, feedback_actions_for, feedback_require
from feedback.views.portal import _form_errors_from, keep_files_notice, submit_from_form

DEFAULT_INBOX_STATUSES = [Feedback.Status.NEW, Feedback.Status.UNDER_REVIEW]


@staff_required
def triage_inbox(request):
    params = request.GET.copy()
    params.pop("page", None)
    if not params:
        params.setlist("status", DEFAULT_INBOX_STATUSES)  # what needs a decision
    form = InboxFilterForm(params)
    filters = form.cleaned_data if form.is_valid() else {}
    sort = filters.get("sort") or "newest"
    if request.method == "POST" and request.POST.get("save_view"):
        try:
            view = services.saved_view_save(
                user=request.user, name=request.POST.get("view_name", ""), query=params.urlencode()
            )
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
        return redirect(f"{request.path}?{params.urlencode()}")
    queryset = selectors.feedback_inbox(filters=filters, sort=sort)
    page = light_page(queryset, page=request.GET.get("page"), per_page=50)
    bulk_form = BulkActionForm()
    share_choices([form, bulk_form], "product_area", list(ProductArea.objects.order_by("name")))
    share_choices([form, bulk_form], "tag", list(Tag.objects.order_by("name")))
    share_choices([form, bulk_form], "assignee", list(User.objects.staff().order_by("name", "email")))
    return render(
        request,
        "feedback/triage_inbox.html",
        {
            "form": form,
            "page": page,
            "querystring": params.urlencode(),
            "filters_open": any(key not in ("page", "sort") for key in request.GET),
            "saved_views": SavedView.objects.filter(user=request.user),
            "bulk_form": bulk_form,
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
    never delays the list. Each count stops at STATUS_COUNT_CAP; a statement timeout bounds the rest."""
    params = request.GET.copy()
    params.pop("page", None)
    form = InboxFilterForm(params)
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if k != "status"}
        counts = selectors.feedback_status_counts_bounded(filters=filters)
    else:
        counts = None  # the inbox shows the filter errors; counting "everything" instead would mislead
    cap = selectors.STATUS_COUNT_CAP
    base = {k: v for k, v in params.lists() if k != "status"}
    status_links = [
        (
            value,
            label,
            "?" if counts is None else (f"{cap}+" if counts[value] > cap else counts[value]),
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
def triage_bulk(request):
    form = BulkActionForm(request.POST)
    back = request.POST.get("next") or "/triage/"
    if not back.startswith("/triage/"):
        back = "/triage/"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
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
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You are not allowed to do this."))
    else:
        messages.success(request, _("%(count)d requests updated.") % {"count": count})
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
    return render(
        request,
        "feedback/triage_detail.html",
        {
            "feedback": feedback,
            "voters_by_org": voters_by_org.items(),
            "can": feedback_actions_for(user=request.user, feedback=feedback),
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
