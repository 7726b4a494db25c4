"""The rollup behind the inbox's exact counts (feedback.models.StatusCount)."""

from django.db import connection, transaction


def status_counts_compact() -> int:
    """Fold the +1/-1 rows the triggers appended into one row per key; returns the rows left.
    The DELETE removes only the rows its snapshot sees, so rows appended meanwhile stay: the sums
    are the same before and after, for every reader."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """WITH folded AS (
                   DELETE FROM feedback_statuscount
                   RETURNING status, product_area_id, assignee_id, segment, n
               )
               INSERT INTO feedback_statuscount (status, product_area_id, assignee_id, segment, n)
               SELECT status, product_area_id, assignee_id, segment, sum(n) FROM folded
               GROUP BY status, product_area_id, assignee_id, segment HAVING sum(n) <> 0"""
        )
        return cursor.rowcount
