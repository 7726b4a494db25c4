"""The navigation registry: each app declares its menu entries and landing pages in its
AppConfig.ready(); core renders what is registered and never names another app's URLs.

    from core import navigation

    navigation.register(
        navigation.NavEntry(key="inbox", label=_("Inbox"), url_name="feedback:triage_inbox",
                            audience=navigation.STAFF, order=10),
    )
    navigation.register_landing(audience=navigation.STAFF, url_name="feedback:triage_inbox")

Entries are sorted by `order` within an audience, so the menu does not depend on INSTALLED_APPS.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse

STAFF = "staff"
CLIENT = "client"
AUDIENCES = (STAFF, CLIENT)


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str  # a lazy translation
    url_name: str
    audience: str
    order: int
    # Optional: who among the audience sees it, and the URL's arguments for this user.
    visible: Callable[..., bool] | None = field(default=None, compare=False)
    url_args: Callable[..., list] | None = field(default=None, compare=False)


_entries: dict[str, list[NavEntry]] = {audience: [] for audience in AUDIENCES}
_landings: dict[str, str] = {}
_profile_url_name: list[str] = []


def register(*entries: NavEntry) -> None:
    for entry in entries:
        if entry.audience not in AUDIENCES:
            raise ValueError(f"Unknown audience {entry.audience!r} for navigation entry {entry.key!r}")
        registered = _entries[entry.audience]
        if any(existing.key == entry.key for existing in registered):
            continue  # ready() may run twice (tests); registering is idempotent by key
        registered.append(entry)
        registered.sort(key=lambda item: item.order)


def register_landing(*, audience: str, url_name: str) -> None:
    """Where the home page sends a signed-in user of this audience."""
    if audience not in AUDIENCES:
        raise ValueError(f"Unknown audience {audience!r}")
    _landings[audience] = url_name


def register_profile(*, url_name: str) -> None:
    """The page the user's name links to in the header."""
    _profile_url_name[:] = [url_name]


def audience_of(user) -> str:
    return STAFF if user.is_staff_member else CLIENT


def nav_items_for(user) -> list[dict]:
    items = []
    for entry in _entries[audience_of(user)]:
        if entry.visible is not None and not entry.visible(user):
            continue
        args = entry.url_args(user) if entry.url_args is not None else None
        items.append({"label": entry.label, "url": reverse(entry.url_name, args=args), "key": entry.key})
    return items


def landing_url_for(user) -> str | None:
    url_name = _landings.get(audience_of(user))
    return reverse(url_name) if url_name else None


def profile_url() -> str | None:
    return reverse(_profile_url_name[0]) if _profile_url_name else None
