"""The requests' vocabulary (feedback.models.Lexeme), read by duplicate suggestions."""

from django.db import connection, transaction


def lexicon_refresh() -> int:
    """Rebuild the vocabulary from the search vectors (a few seconds at a million requests); returns
    the words kept. Readers see the old vocabulary until the new one commits."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("DELETE FROM feedback_lexeme")
        cursor.execute(
            """INSERT INTO feedback_lexeme (word, ndoc)
               SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM feedback_feedback WHERE status <> ''merged''')
               WHERE word !~ '^[0-9]+$'"""  # numbers (ticket numbers, #ids) are not vocabulary
        )
        kept = cursor.rowcount
        cursor.execute("ANALYZE feedback_lexeme")  # a fresh table's statistics would make the lookups scan it
        return kept
