"""The client portal: thin views over feedback.selectors and feedback.services."""

import unicodedata
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.pagination import light_page
from feedback import extensions, selectors, services
from feedback.forms import CommentForm, FeedbackSubmitForm, PortalFilterForm, PreferencesForm, VoteForm
from feedback.models import Feedback, Notification, NotificationPreference, Vote
from feedback.policy import (
    attachment_get_visible_to,
    attachments_visible_to,
    comments_visible_to,
    feedback_is_visible_to,
)
from feedback.services.notifications import notifications_mark_all_read


def _client_or_404(user) -> None:
    if user.is_staff_member or user.organization is None:
        raise Http404


def _form_errors_from(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


SUBMIT_FIELDS = ("title", "description", "kind", "product_area", "importance", "visibility", "attachments")


def keep_files_notice(request, form) -> None:
    """A browser cannot keep chosen files across a refused form: say so rather than drop them silently."""
    if request.method == "POST" and request.FILES and form.errors and "attachments" not in form.errors:
        form.add_error(
            "attachments",
            _("Your files were not kept because of the errors above: choose them again before sending."),
        )


def submit_from_form(form, *, author, **extra):
    """feedback_submit with a submission form's cleaned data (portal, or staff on behalf)."""
    values = {name: form.cleaned_data[name] for name in SUBMIT_FIELDS}
    return services.feedback_submit(author=author, organization=author.organization, **values, **extra)


@login_required
def portal_home(request):
    if request.user.is_staff_member:
        return redirect("feedback:triage_inbox")
    if request.user.organization is None:
        return render(request, "feedback/portal_no_company.html")
    form = PortalFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.feedback_portal_list(
        user=request.user,
        status=filters.get("status", ""),
        product_area=filters["product_area"].pk if filters.get("product_area") else None,
        kind=filters.get("kind", ""),
        sort=filters.get("sort") or "trending",
        q=filters.get("q", ""),
        scope=filters.get("scope", ""),
    )
    page = light_page(queryset, page=request.GET.get("page"), per_page=25)
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return render(request, "feedback/portal_home.html", {"form": form, "page": page, "unread": unread})


@login_required
def portal_submit(request):
    _client_or_404(request.user)
    form = FeedbackSubmitForm(
        request.POST or None, request.FILES or None, initial={"visibility": "private", "importance": "important"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            feedback = submit_from_form(form, author=request.user)
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, _("Thank you: your request is recorded. You will be told of every decision."))
            return redirect("feedback:portal_detail", pk=feedback.pk)
    keep_files_notice(request, form)
    return render(request, "feedback/portal_submit.html", {"form": form})


@login_required
@require_GET
def portal_similar(request):
    """htmx: similar requests while the client types a title."""
    items = selectors.feedback_similar(user=request.user, title=request.GET.get("title", ""))
    return render(request, "feedback/_similar.html", {"items": items})


@login_required
def portal_detail(request, pk: int):
    if request.user.is_staff_member:
        return redirect("feedback:triage_detail", pk=pk)
    _client_or_404(request.user)
    if request.method == "POST":
        feedback = selectors.feedback_get_visible_to(user=request.user, pk=pk)
        action = request.POST.get("action")
        try:
            if action == "vote":
                form = VoteForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Choose how important it is for you."))
                services.vote_cast(feedback=feedback, user=request.user, importance=form.cleaned_data["importance"])
                messages.success(request, _("Your vote is counted."))
            elif action == "unvote":
                services.vote_remove(feedback=feedback, user=request.user)
                messages.success(request, _("Your vote is withdrawn."))
            elif action in ("follow", "unfollow"):
                services.follow_set(feedback=feedback, user=request.user, following=action == "follow")
                messages.success(
                    request,
                    _("You follow this request.") if action == "follow" else _("You no longer follow this request."),
                )
            elif action == "comment":
                comment_form = CommentForm(request.POST)
                if comment_form.is_valid():
                    try:
                        services.comment_add(
                            feedback=feedback, author=request.user, body=comment_form.cleaned_data["body"]
                        )
                    except ValidationError as exc:
                        _form_errors_from(comment_form, exc)
                if comment_form.errors:
                    # Show the page again with the text kept and the reason next to it.
                    return _portal_detail_page(request, pk, comment_form=comment_form, status=400)
                messages.success(request, _("Your message is posted."))
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        except PermissionDenied as exc:
            raise Http404 from exc
        return redirect("feedback:portal_detail", pk=feedback.pk)
    return _portal_detail_page(request, pk)


def _portal_detail_page(request, pk: int, *, comment_form=None, status: int = 200):
    detail = selectors.feedback_detail_for_client(user=request.user, pk=pk)
    Notification.objects.filter(user=request.user, feedback=detail, read_at__isnull=True).update(read_at=timezone.now())
    return render(
        request,
        "feedback/portal_detail.html",
        {
            "feedback": detail,
            "attachments": attachments_visible_to(user=request.user, feedback=detail),
            "panels": extensions.detail_panels(user=request.user, feedback=detail, staff_page=False),
            "vote_form": VoteForm(initial={"importance": detail.my_vote.importance if detail.my_vote else "important"}),
            "comment_form": comment_form or CommentForm(),
        },
        status=status,
    )


def _content_disposition(disposition: str, name: str) -> str:
    """RFC 6266: an ASCII fallback, then the real name in UTF-8 (filename*)."""
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = "".join(c for c in fallback if c.isprintable() and c not in '"\\;') or "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@login_required
def attachment_download(request, pk: int):
    attachment = attachment_get_visible_to(user=request.user, pk=pk)  # 404 unless the asking company or staff
    disposition = "inline" if attachment.content_type.startswith("image/") else "attachment"
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    # RFC 6266: an ASCII fallback plus filename* in UTF-8 for names such as "écran été.png".
    response["Content-Disposition"] = _content_disposition(disposition, attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def portal_preferences(request):
    _client_or_404(request.user)
    current = dict(NotificationPreference.objects.filter(user=request.user).values_list("event", "email"))
    form = PreferencesForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        services.notification_preferences_set(user=request.user, choices=form.cleaned_data)
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("feedback:portal_preferences")
    return render(request, "feedback/portal_preferences.html", {"form": form})


def _notifications_context(request, page) -> dict:
    notifications = Paginator(
        Notification.objects.filter(user=request.user)
        .select_related("feedback", "feedback__merged_into", "event", "event__actor")
        .order_by("-created_at", "-id"),
        30,
    ).get_page(page)
    for notification in notifications:
        # A merge names the request it led to only if this client may see it (feedback.policy decides).
        target = notification.feedback.merged_into
        notification.merge_target = (
            target if target and feedback_is_visible_to(user=request.user, feedback=target) else None
        )
    has_unread = Notification.objects.filter(user=request.user, read_at__isnull=True).exists()
    return {"notifications": notifications, "has_unread": has_unread}


@login_required
def portal_activity(request):
    _client_or_404(request.user)
    mine = selectors.feedback_portal_list(user=request.user, sort="newest").filter(author=request.user)[:20]
    context = _notifications_context(request, request.GET.get("page"))
    return render(request, "feedback/portal_activity.html", {**context, "mine": mine})


@login_required
@require_POST
def portal_notifications_read(request):
    """Mark all of the current user's notifications as read: htmx gets the list back, a plain form a redirect."""
    _client_or_404(request.user)
    notifications_mark_all_read(user=request.user)
    notice = _("All notifications are marked as read.")
    if request.headers.get("HX-Request"):
        context = _notifications_context(request, request.POST.get("page"))
        return render(request, "feedback/_portal_notifications.html", {**context, "notice": notice})
    messages.success(request, notice)
    return redirect("feedback:portal_activity")


def _back_to_list(request) -> str:
    """Where a card's form came from (a portal list with its filters), or the portal home."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("feedback:portal_home")


@login_required
@require_POST
def portal_vote(request, pk: int):
    """One click on a card of a portal list: vote with the default importance, change the importance,
    or withdraw the vote. htmx gets the card back (new count, voted state); without JavaScript, back to the list."""
    _client_or_404(request.user)
    feedback = selectors.feedback_get_visible_to(user=request.user, pk=pk)  # 404: missing or not theirs
    action = request.POST.get("action")
    notice = error = ""
    try:
        if action == "vote":
            # One click votes with the default importance, and never lowers one chosen before.
            importance = request.POST.get("importance") or (
                Vote.objects.filter(feedback=feedback, user=request.user).values_list("importance", flat=True).first()
                or Feedback.Importance.IMPORTANT
            )
            services.vote_cast(feedback=feedback, user=request.user, importance=importance)
            notice = _("Your vote is counted.")
        elif action == "unvote":
            services.vote_remove(feedback=feedback, user=request.user)
            notice = _("Your vote is withdrawn.")
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as exc:
        error = " ".join(exc.messages)
    except PermissionDenied as exc:
        raise Http404 from exc
    back = _back_to_list(request)
    if request.headers.get("HX-Request"):
        # The card as the list shows it (count, my vote), read again after the write.
        item = selectors.feedback_portal_list(user=request.user).filter(pk=feedback.pk).first()
        if item is None:  # merged meanwhile, so out of the lists: the card clicked says why (the error)
            item = feedback
            item.my_vote = None
            item.public_comment_count = comments_visible_to(user=request.user, feedback=feedback).count()
            item.description_head = feedback.description
        context = {"item": item, "notice": notice, "error": error, "card_next": back}
        return render(request, "feedback/_item_row.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(back if "#" in back else f"{back}#card-{feedback.pk}")
