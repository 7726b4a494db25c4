from allauth.account.utils import perform_login
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from accounts import selectors, services
from accounts.forms import ApiTokenForm, InvitationAcceptForm, InvitationForm, ProfileForm
from core.permissions import staff_required


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(
        request.POST or None, initial={"name": user.name, "language": user.language, "timezone": user.timezone}
    )
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(
            user=user,
            name=form.cleaned_data["name"],
            language=form.cleaned_data["language"],
            timezone_name=form.cleaned_data["timezone"],
        )
        messages.success(request, _("Your profile was saved."))
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "token_form": ApiTokenForm(),
            "tokens": selectors.api_token_list(user=user),
            "has_totp": Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists(),
            "new_token_key": request.session.pop("new_token_key", None),
        },
    )


@login_required
@require_POST
def api_token_create(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        token, raw_key = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
        request.session["new_token_key"] = raw_key
        messages.success(
            request, _("Token “%(name)s” created. Copy it now: it will not be shown again.") % {"name": token.name}
        )
    else:
        messages.error(request, _("Give the token a name."))
    return redirect("accounts:profile")


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    token = services.api_token_revoke(token=selectors.api_token_get_for(user=request.user, pk=pk))
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:profile")


@staff_required
def organization_list(request):
    return render(
        request,
        "accounts/organization_list.html",
        {"organizations": selectors.organization_list_visible_to(user=request.user)},
    )


@login_required
def organization_detail(request, slug: str):
    organization = selectors.organization_get_visible_to(user=request.user, slug=slug)
    can_invite = services.user_can_invite_to(user=request.user, organization=organization)
    form = InvitationForm(initial={"language": request.user.language})
    if request.method == "POST":
        if not can_invite:
            raise Http404
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                services.invitation_create(inviter=request.user, organization=organization, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
                return redirect("accounts:organization_detail", slug=organization.slug)
    return render(
        request,
        "accounts/organization_detail.html",
        {
            "organization": organization,
            "members": selectors.organization_members(organization=organization),
            "invitations": selectors.organization_pending_invitations(organization=organization) if can_invite else [],
            "can_invite": can_invite,
            "form": form,
        },
    )


def invitation_accept(request, token: str):
    invitation = selectors.invitation_get_by_token(token=token)
    if not invitation.is_usable:
        return render(request, "accounts/invitation_invalid.html", status=410)
    signed_in = request.user if request.user.is_authenticated else None
    form = InvitationAcceptForm(request.POST or None)
    if signed_in is not None:
        form.fields["password"].required = False
        form.fields["name"].required = False
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password"],
                user=signed_in,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("password" if signed_in is None and "password" in message.lower() else None, message)
        else:
            messages.success(
                request, _("Welcome to %(organization)s on Retour.") % {"organization": invitation.organization.name}
            )
            if signed_in is None:
                return perform_login(request, user, email_verification="none", redirect_url="/")
            return redirect("home")
    return render(
        request, "accounts/invitation_accept.html", {"invitation": invitation, "form": form, "signed_in": signed_in}
    )


@require_POST
def set_language(request):
    """Django's language switch, and for a signed-in user, their saved preference too."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        services.user_set_language(user=request.user, language=language)
    response = django_set_language(request)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    return response if response.status_code in (301, 302) else redirect(next_url)
