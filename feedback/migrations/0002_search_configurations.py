from django.db import migrations

# Accent-insensitive, stemmed text search per language: "equipe" finds "équipes".
SQL = """
CREATE TEXT SEARCH CONFIGURATION retour_fr (COPY = french);
ALTER TEXT SEARCH CONFIGURATION retour_fr ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
CREATE TEXT SEARCH CONFIGURATION retour_en (COPY = english);
ALTER TEXT SEARCH CONFIGURATION retour_en ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
"""
REVERSE = "DROP TEXT SEARCH CONFIGURATION IF EXISTS retour_fr; DROP TEXT SEARCH CONFIGURATION IF EXISTS retour_en;"


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial"), ("core", "0002_postgres_extensions")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
