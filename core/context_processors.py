from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def _staff_nav(user) -> list[dict]:
    items = [
        {"label": _("Inbox"), "url": reverse("feedback:triage_inbox"), "key": "inbox"},
        {"label": _("Roadmap"), "url": reverse("roadmap:index"), "key": "roadmap"},
        {"label": _("Clubs"), "url": reverse("clubs:index"), "key": "clubs"},
        {"label": _("Reports"), "url": reverse("reporting:index"), "key": "reports"},
        {"label": _("Organizations"), "url": reverse("accounts:organization_list"), "key": "organizations"},
    ]
    if user.is_product_owner:
        items.append({"label": _("Email log"), "url": reverse("core:email_list"), "key": "emails"})
    return items


def _client_nav(user) -> list[dict]:
    items = [
        {"label": _("Portal"), "url": reverse("feedback:portal_home"), "key": "portal"},
        {"label": _("Submit a request"), "url": reverse("feedback:portal_submit"), "key": "submit"},
        {"label": _("Roadmap"), "url": reverse("roadmap:public"), "key": "public_roadmap"},
        {"label": _("Changelog"), "url": reverse("roadmap:changelog"), "key": "changelog"},
        {"label": _("My clubs"), "url": reverse("clubs:mine"), "key": "my_clubs"},
    ]
    organization = user.organization
    if organization is not None:
        items.append(
            {
                "label": _("My company"),
                "url": reverse("accounts:organization_detail", args=[organization.slug]),
                "key": "company",
            }
        )
    return items


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": _staff_nav(user) if user.is_staff_member else _client_nav(user)}
