from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

# Each app may have a `demo.py` with `seed(password=...)`; they run in dependency order.
# Discovered by name so that accounts never imports a higher app.
DEMO_APPS = ["accounts", "feedback", "roadmap", "clubs", "reporting"]


class Command(BaseCommand):
    help = "Create or refresh the demo data (idempotent) and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="retour-demo", help="Password for every demo user.")

    @transaction.atomic
    def handle(self, *args, password: str, **options):
        logins = []
        for app in DEMO_APPS:
            try:
                module = import_module(f"{app}.demo")
            except ModuleNotFoundError:
                continue
            logins.extend(module.seed(password=password) or [])
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Sign in at {settings.SITE_URL} with:"))
        for email, what in logins:
            self.stdout.write(f"  {email:<26} {what:<24} password: {password}")
