from core import navigation as registry


def navigation(request) -> dict:
    """The menu and the profile link, as the apps registered them (core.navigation)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_profile_url": None}
    return {"nav_items": registry.nav_items_for(user), "nav_profile_url": registry.profile_url()}
