from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoadmapConfig(AppConfig):
    name = "roadmap"
    verbose_name = _("Roadmap")

    def ready(self) -> None:
        from core import navigation
        from feedback import extensions
        from roadmap import panels, services

        extensions.register_demand_listener(services.business_case_on_demand_change)
        extensions.register_detail_panel("roadmap", panels.feedback_roadmap_panel)

        navigation.register(
            navigation.NavEntry(
                key="roadmap", label=_("Roadmap"), url_name="roadmap:index", audience=navigation.STAFF, order=20
            ),
            navigation.NavEntry(
                key="public_roadmap",
                label=_("Roadmap"),
                url_name="roadmap:public",
                audience=navigation.CLIENT,
                order=30,
            ),
            navigation.NavEntry(
                key="changelog",
                label=_("Changelog"),
                url_name="roadmap:changelog",
                audience=navigation.CLIENT,
                order=40,
            ),
        )
