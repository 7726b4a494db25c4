"""Organization pages: the list, the company dossier, create and edit, and the CSV import.

Thin: parse input, ask reporting.policy, call reporting.dossier (reads) or reporting.org_services /
reporting.org_import (writes), render. Anyone not on staff gets 404; a contributor reads the list
and the dossiers and gets 403 on create, edit and import (asked before any form is read).

The import keeps the uploaded file between the preview and the confirmation in the cache (1 hour),
under a random key held in the user's session together with the file's SHA-256; the confirmation
posts the SHA-256 of the preview it confirms. So only the session that uploaded a file can import
it, only the exact bytes previewed are imported, and the file never travels back through the
browser. The import service then checks every row again inside its transaction.
"""

import secrets

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Organization
from clubs.forms import form_errors_from
from core.pagination import light_page
from core.permissions import staff_required
from reporting import dossier as dossiers
from reporting.org_forms import ImportConfirmForm, ImportUploadForm, OrganizationFilterForm, OrganizationForm
from reporting.org_import import COLUMNS, ImportRefused, content_hash, organizations_import, preview
from reporting.org_services import organization_save
from reporting.policy import Action, organization_get_visible_to, reporting_actions_for, reporting_require

PER_PAGE = 50
IMPORT_SESSION_KEY = "reporting_org_import"
IMPORT_CACHE_PREFIX = "reporting:org-import:"
IMPORT_CACHE_SECONDS = 3600


# The list ---------------------------------------------------------------------------------------


@staff_required
@require_GET
def index(request):
    reporting_require(user=request.user, action=Action.VIEW)
    form = OrganizationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = dossiers.organization_list(
        q=filters.get("q", ""),
        segment=filters.get("segment", ""),
        tier=filters.get("tier", ""),
        sort=filters.get("sort") or "name",
    )
    page = light_page(rows, page=request.GET.get("page"), per_page=PER_PAGE)
    counts = dossiers.contact_counts(organization_ids=[o.pk for o in page])
    for organization in page:
        organization.contact_count = counts.get(organization.pk, 0)
        organization.renewal_soon = dossiers.renewal_soon(organization.renewal_date)
    return render(
        request,
        "reporting/organizations/index.html",
        {
            "form": form,
            "page": page,
            "can": reporting_actions_for(user=request.user),
            "filtered": bool(filters.get("q") or filters.get("segment") or filters.get("tier")),
        },
    )


# The dossier ------------------------------------------------------------------------------------

_MARK = 2_147_483_647  # an id no row has: reversed once per route, then replaced by each row's id


def _linker():
    """`link(route, pk)`: reverse each route once per page (a dossier links to ~100 rows)."""
    patterns: dict[str, str] = {}

    def link(route: str, pk: int) -> str:
        if route not in patterns:
            patterns[route] = reverse(route, args=[_MARK])
        return patterns[route].replace(str(_MARK), str(int(pk)))

    return link


def _add_links(d: dict, *, emails: bool) -> dict:
    link = _linker()
    requests = d["requests"]
    for line in [*requests["open_list"], *requests["decided_list"], *requests["shipped_list"], *d["votes"]["top"]]:
        line["url"] = link("feedback:triage_detail", line["id"])
    for line in [*d["loop"]["told_list"], *d["loop"]["not_told_list"]]:
        line["url"] = link("feedback:triage_detail", line["feedback_id"])
    for line in d["decisions"]["list"]:
        line["url"] = (
            link("roadmap:item", line["item_id"])
            if line["item_id"]
            else link("feedback:triage_detail", line["feedback_id"])
        )
    for line in d["roadmap"]["items"]:
        line["url"] = link("roadmap:item", line["id"])
    clubs = d["clubs"]
    for line in clubs["memberships"]:
        line["url"] = link("clubs:club", line["club_id"])
    for line in clubs["meetings"]["list"]:
        line["url"] = link("clubs:meeting", line["id"])
    for line in clubs["actions"]["list"]:
        line["club_url"] = link("clubs:club", line["club_id"])
    for line in d["emails"]["list"]:
        # The email log is a product owner's page (core.views): linked only for them.
        line["url"] = link("core:email_detail", line["id"]) if emails else ""
    return d


@staff_required
@require_GET
def dossier(request, pk: int):
    organization = organization_get_visible_to(user=request.user, pk=pk)
    return render(
        request,
        "reporting/organizations/dossier.html",
        {
            "organization": organization,
            "d": _add_links(dossiers.dossier_for(organization), emails=request.user.is_product_owner),
            "can": reporting_actions_for(user=request.user),
        },
    )


# Create and edit --------------------------------------------------------------------------------


def _save(request, form: OrganizationForm, organization: Organization | None):
    if request.method == "POST" and form.is_valid():
        try:
            saved = organization_save(actor=request.user, organization=organization, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": saved.name})
            return redirect("reporting:organization", pk=saved.pk)
    return render(
        request,
        "reporting/organizations/form.html",
        {"form": form, "organization": organization},
        status=400 if form.errors else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def organization_new(request):
    reporting_require(user=request.user, action=Action.MANAGE)
    return _save(request, OrganizationForm(request.POST or None), None)


@staff_required
@require_http_methods(["GET", "POST"])
def organization_edit(request, pk: int):
    organization = organization_get_visible_to(user=request.user, pk=pk)
    reporting_require(user=request.user, action=Action.MANAGE)
    form = OrganizationForm(request.POST or None, initial=OrganizationForm.initial_for(organization))
    return _save(request, form, organization)


# Import -----------------------------------------------------------------------------------------


def _import_page(request, *, upload_form=None, plan=None, sha256="", file_name="", status=200):
    return render(
        request,
        "reporting/organizations/import.html",
        {
            "upload_form": upload_form or ImportUploadForm(),
            "columns": COLUMNS,
            "plan": plan,
            "summary": plan.summary() if plan is not None else None,
            "confirm_form": ImportConfirmForm(initial={"sha256": sha256}) if plan is not None and plan.ok else None,
            "file_name": file_name,
        },
        status=status,
    )


def _forget_upload(request) -> None:
    stored = request.session.pop(IMPORT_SESSION_KEY, None)
    if stored:
        cache.delete(IMPORT_CACHE_PREFIX + stored["token"])


@staff_required
@require_http_methods(["GET", "POST"])
def organization_import(request):
    reporting_require(user=request.user, action=Action.MANAGE)
    if request.method == "GET":
        return _import_page(request)
    if request.POST.get("action") == "confirm":
        return _import_confirm(request)
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, upload_form=form, status=400)
    upload = form.cleaned_data["file"]
    content = upload.read()
    try:
        plan = preview(content)
    except ValidationError as exc:
        form.add_error("file", exc)
        return _import_page(request, upload_form=form, status=400)
    _forget_upload(request)
    sha256, token = content_hash(content), secrets.token_urlsafe(24)
    cache.set(IMPORT_CACHE_PREFIX + token, content, IMPORT_CACHE_SECONDS)
    request.session[IMPORT_SESSION_KEY] = {"token": token, "sha256": sha256, "name": upload.name[:200]}
    return _import_page(request, plan=plan, sha256=sha256, file_name=upload.name)


def _import_confirm(request):
    form = ImportConfirmForm(request.POST)
    stored = request.session.get(IMPORT_SESSION_KEY)
    content = cache.get(IMPORT_CACHE_PREFIX + stored["token"]) if stored else None
    if (
        not form.is_valid()
        or content is None
        or form.cleaned_data["sha256"] != stored["sha256"]
        or content_hash(content) != stored["sha256"]
    ):
        messages.error(request, _("This preview is no longer available: upload the file again."))
        return redirect("reporting:organization_import")
    try:
        result = organizations_import(actor=request.user, content=content)
    except ImportRefused as exc:
        # The database changed since the preview (a domain or a person taken meanwhile): show why.
        messages.error(request, exc.messages[0])
        return _import_page(request, plan=exc.plan, file_name=stored["name"], status=400)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return _import_page(request, status=400)
    _forget_upload(request)
    messages.success(
        request,
        " ".join(
            [
                ngettext("%(n)s organization created,", "%(n)s organizations created,", result.created)
                % {"n": result.created},
                ngettext("%(n)s updated;", "%(n)s updated;", result.updated) % {"n": result.updated},
                ngettext("%(n)s person invited,", "%(n)s people invited,", result.invited) % {"n": result.invited},
                ngettext("%(n)s role changed.", "%(n)s roles changed.", result.roles) % {"n": result.roles},
            ]
        ),
    )
    return redirect("reporting:organizations")
