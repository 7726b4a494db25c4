from django.db import migrations, models

# The inbox's exact counts per status (feedback.models.StatusCount): the triggers append a -1 row for
# a request's old key and a +1 row for its new one, in the writer's transaction. The company row is
# read FOR SHARE, so a concurrent segment change waits for the writer (or the writer for it) and
# each sees the other's committed rows: the sums stay exact.
SQL = """
CREATE FUNCTION feedback_statuscount_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    seg varchar;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        SELECT segment INTO seg FROM accounts_organization WHERE id = OLD.organization_id FOR SHARE;
        INSERT INTO feedback_statuscount (status, product_area_id, assignee_id, segment, n)
            VALUES (OLD.status, OLD.product_area_id, OLD.assignee_id, coalesce(seg, ''), -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT segment INTO seg FROM accounts_organization WHERE id = NEW.organization_id FOR SHARE;
        INSERT INTO feedback_statuscount (status, product_area_id, assignee_id, segment, n)
            VALUES (NEW.status, NEW.product_area_id, NEW.assignee_id, coalesce(seg, ''), 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER feedback_statuscount_insert AFTER INSERT ON feedback_feedback
    FOR EACH ROW EXECUTE FUNCTION feedback_statuscount_row();
CREATE TRIGGER feedback_statuscount_delete AFTER DELETE ON feedback_feedback
    FOR EACH ROW EXECUTE FUNCTION feedback_statuscount_row();
CREATE TRIGGER feedback_statuscount_update
    AFTER UPDATE OF status, product_area_id, assignee_id, organization_id ON feedback_feedback
    FOR EACH ROW WHEN (
        OLD.status IS DISTINCT FROM NEW.status OR OLD.product_area_id IS DISTINCT FROM NEW.product_area_id
        OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR OLD.organization_id IS DISTINCT FROM NEW.organization_id
    ) EXECUTE FUNCTION feedback_statuscount_row();

CREATE FUNCTION feedback_statuscount_segment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feedback_statuscount (status, product_area_id, assignee_id, segment, n)
        SELECT f.status, f.product_area_id, f.assignee_id, k.segment, k.sign * count(*)
        FROM feedback_feedback f
        CROSS JOIN (VALUES (OLD.segment, -1), (NEW.segment, 1)) AS k (segment, sign)
        WHERE f.organization_id = NEW.id
        GROUP BY f.status, f.product_area_id, f.assignee_id, k.segment, k.sign;
    RETURN NULL;
END $$;

CREATE TRIGGER feedback_statuscount_segment AFTER UPDATE OF segment ON accounts_organization
    FOR EACH ROW WHEN (OLD.segment IS DISTINCT FROM NEW.segment)
    EXECUTE FUNCTION feedback_statuscount_segment();

INSERT INTO feedback_statuscount (status, product_area_id, assignee_id, segment, n)
    SELECT f.status, f.product_area_id, f.assignee_id, o.segment, count(*)
    FROM feedback_feedback f JOIN accounts_organization o ON o.id = f.organization_id
    GROUP BY 1, 2, 3, 4;
"""

REVERSE = """
DROP TRIGGER IF EXISTS feedback_statuscount_segment ON accounts_organization;
DROP TRIGGER IF EXISTS feedback_statuscount_insert ON feedback_feedback;
DROP TRIGGER IF EXISTS feedback_statuscount_delete ON feedback_feedback;
DROP TRIGGER IF EXISTS feedback_statuscount_update ON feedback_feedback;
DROP FUNCTION IF EXISTS feedback_statuscount_segment();
DROP FUNCTION IF EXISTS feedback_statuscount_row();
"""


class Migration(migrations.Migration):
    dependencies = [("feedback", "0012_reporting_scope_indexes"), ("accounts", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="StatusCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("status", models.CharField(max_length=20)),
                ("product_area_id", models.BigIntegerField(null=True)),
                ("assignee_id", models.BigIntegerField(null=True)),
                ("segment", models.CharField(max_length=20)),
                ("n", models.IntegerField()),
            ],
            options={"verbose_name": "status count", "verbose_name_plural": "status counts"},
        ),
        migrations.RunSQL(SQL, REVERSE),
    ]
