import redis
from csp.decorators import csp_replace, csp_update
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from core import delivery, navigation, outbox
from core.forms import EmailFilterForm, RetryDeadForm, TestEmailForm
from core.models import OutboundEmail
from core.permissions import product_owner_required
from core.selectors import email_get, email_list, email_status_counts


def home(request):
    """Send each user to the landing page their audience's app registered (core.navigation)."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    landing = navigation.landing_url_for(request.user)
    if landing is None:
        raise Http404
    return redirect(landing)


@require_GET
def healthz(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "down"
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        checks["redis"] = "ok"
    except Exception:
        checks["redis"] = "down"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)


def coming_soon(request, *, title: str, area: str):
    """Placeholder for a page whose issue has not landed yet."""
    return render(request, "core/coming.html", {"title": title, "area": area})


@product_owner_required
def email_log(request):
    form = EmailFilterForm(request.GET or None)
    status = q = ""
    if form.is_valid():
        status, q = form.cleaned_data["status"], form.cleaned_data["q"]
    counts = email_status_counts()
    page = Paginator(email_list(status=status, q=q), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/email_list.html",
        {
            "form": form,
            "page": page,
            "status_counts": [(value, label, counts.get(value, 0)) for value, label in OutboundEmail.Status.choices],
            "test_form": TestEmailForm(initial={"language": request.user.language, "to": request.user.email}),
            "retry_dead_form": RetryDeadForm(),
        },
    )


@product_owner_required
def email_detail(request, pk: int):
    return render(request, "core/email_detail.html", {"email": email_get(pk=pk)})


@product_owner_required
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})
@csp_update({"style-src": ["'unsafe-inline'"], "sandbox": [""]})
def email_html(request, pk: int):
    """The email's HTML as the recipient sees it, shown in a sandboxed frame of the detail page."""
    email = email_get(pk=pk)
    return HttpResponse(email.html_body or "<pre></pre>", content_type="text/html; charset=utf-8")


@product_owner_required
@require_POST
def email_retry(request, pk: int):
    try:
        email = outbox.email_retry(email=email_get(pk=pk))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("core:email_detail", pk=pk)
    if email.status == OutboundEmail.Status.PENDING:
        messages.success(request, _("The email is queued again."))
    else:
        messages.info(request, _("Only failed or dead emails can be retried."))
    return redirect("core:email_detail", pk=email.pk)


@product_owner_required
@require_POST
def email_retry_dead(request):
    """Queue again, in one action, every dead email of a period (after an outage has been fixed)."""
    form = RetryDeadForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("core:email_list")
    since, until = form.window()
    count = outbox.email_retry_dead(since=since, until=until)
    if count:
        messages.success(
            request,
            ngettext("%(count)s dead email is queued again.", "%(count)s dead emails are queued again.", count)
            % {"count": count},
        )
    else:
        messages.info(request, _("No dead email to retry in that period."))
    return redirect("core:email_list")


@product_owner_required
@require_POST
def email_test(request):
    form = TestEmailForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid email address for the test email."))
        return redirect("core:email_list")
    email = delivery.email_send_test(
        to=form.cleaned_data["to"], actor=request.user, language=form.cleaned_data["language"]
    )
    if email.status == OutboundEmail.Status.SENT:
        messages.success(request, _("Test email sent to %(to)s.") % {"to": email.to_email})
    else:
        messages.error(
            request,
            _("The test email to %(to)s could not be sent: %(error)s")
            % {"to": email.to_email, "error": email.last_error or email.get_status_display()},
        )
    return redirect("core:email_detail", pk=email.pk)
