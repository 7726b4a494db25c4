from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        from core import navigation

        navigation.register(
            navigation.NavEntry(
                key="inbox", label=_("Inbox"), url_name="feedback:triage_inbox", audience=navigation.STAFF, order=10
            ),
            navigation.NavEntry(
                key="portal", label=_("Portal"), url_name="feedback:portal_home", audience=navigation.CLIENT, order=10
            ),
            navigation.NavEntry(
                key="submit",
                label=_("Submit a request"),
                url_name="feedback:portal_submit",
                audience=navigation.CLIENT,
                order=20,
            ),
        )
        navigation.register_landing(audience=navigation.STAFF, url_name="feedback:triage_inbox")
        navigation.register_landing(audience=navigation.CLIENT, url_name="feedback:portal_home")
