from django.db import migrations, models


def mark_history_fanned_out(apps, schema_editor):
    """Events from before this change were notified (or never will be): the sweep must not replay them."""
    FeedbackEvent = apps.get_model("feedback", "FeedbackEvent")
    FeedbackEvent.objects.filter(fanned_out_at__isnull=True).update(fanned_out_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("feedback", "0005_title_trigram_gin")]

    operations = [
        migrations.AddField(
            model_name="feedbackevent",
            name="fanned_out_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="notified at"),
        ),
        migrations.RunPython(mark_history_fanned_out, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="feedbackevent",
            index=models.Index(
                condition=models.Q(("fanned_out_at__isnull", True), ("is_public", True)),
                fields=["created_at"],
                name="event_fanout_pending_idx",
            ),
        ),
        migrations.AlterField(
            model_name="notificationpreference",
            name="event",
            field=models.CharField(
                choices=[
                    ("status", "Status changes"),
                    ("reply", "Public replies"),
                    ("merged", "Merges"),
                    ("answered", "Answers from clients"),
                ],
                max_length=10,
                verbose_name="event",
            ),
        ),
    ]
