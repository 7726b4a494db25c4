"""Choices shared by every app. core imports no app, so what several apps share lives here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    EN = "en", _("English")
    FR = "fr", _("French")
