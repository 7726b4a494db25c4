from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClubsConfig(AppConfig):
    name = "clubs"
    verbose_name = _("Clubs")

    def ready(self) -> None:
        from clubs import panels
        from core import navigation
        from feedback import extensions

        extensions.register_detail_panel("clubs", panels.feedback_clubs_panel)

        navigation.register(
            navigation.NavEntry(
                key="clubs", label=_("Clubs"), url_name="clubs:index", audience=navigation.STAFF, order=30
            ),
            navigation.NavEntry(
                key="my_clubs", label=_("My clubs"), url_name="clubs:mine", audience=navigation.CLIENT, order=50
            ),
        )
