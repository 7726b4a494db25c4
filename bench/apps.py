from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenchConfig(AppConfig):
    """A project tool, not a product app: the data set generator and the benchmark (README, "Measure it")."""

    name = "bench"
    verbose_name = _("Benchmark")
