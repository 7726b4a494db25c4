from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from core import navigation

        navigation.register(
            navigation.NavEntry(
                key="emails",
                label=_("Email log"),
                url_name="core:email_list",
                audience=navigation.STAFF,
                order=60,
                visible=lambda user: user.is_product_owner,
            ),
        )
