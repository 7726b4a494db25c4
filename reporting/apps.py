from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from core import navigation
        from feedback import extensions
        from reporting import panels

        extensions.register_detail_panel("reporting_dossier", panels.feedback_dossier_panel)

        navigation.register(
            navigation.NavEntry(
                key="reports", label=_("Reports"), url_name="reporting:index", audience=navigation.STAFF, order=40
            ),
        )
