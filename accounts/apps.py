from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts import schema  # noqa: F401 - registers the OpenAPI description of token auth
        from core import navigation

        navigation.register(
            navigation.NavEntry(
                key="organizations",
                label=_("Organizations"),
                url_name="accounts:organization_list",
                audience=navigation.STAFF,
                order=50,
            ),
            navigation.NavEntry(
                key="company",
                label=_("My company"),
                url_name="accounts:organization_detail",
                audience=navigation.CLIENT,
                order=60,
                visible=lambda user: user.organization is not None,
                url_args=lambda user: [user.organization.slug],
            ),
        )
        navigation.register_profile(url_name="accounts:profile")
