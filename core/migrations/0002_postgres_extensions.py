from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    """Text search needs unaccent (French) and pg_trgm (similar titles)."""

    dependencies = [("core", "0001_initial")]

    operations = [TrigramExtension(), UnaccentExtension()]
