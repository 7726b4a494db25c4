from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.choices import Language
from core.models import OutboundEmail


class EmailFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *OutboundEmail.Status.choices]
    )
    q = forms.CharField(label=_("Recipient or subject"), required=False, max_length=200)


class TestEmailForm(forms.Form):
    to = forms.EmailField(label=_("Send a test email to"))
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)


class RetryDeadForm(forms.Form):
    """Which dead emails to queue again, by when they were created."""

    PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}

    period = forms.ChoiceField(
        label=_("Dead emails created"),
        choices=[
            ("24h", _("in the last 24 hours")),
            ("7d", _("in the last 7 days")),
            ("range", _("between these dates")),
        ],
        initial="24h",
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To (included)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("period") == "range":
            since, until = data.get("since"), data.get("until")
            if not since or not until:
                raise forms.ValidationError(_("Give both dates of the period."))
            if since > until:
                raise forms.ValidationError(_("The first date must come before the second."))
        return data

    def window(self) -> tuple[datetime, datetime]:
        """[since, until) as aware datetimes; a date range includes its last day."""
        now = timezone.now()
        period = self.cleaned_data["period"]
        if period in self.PERIODS:
            return now - self.PERIODS[period], now
        tz = timezone.get_current_timezone()
        since = datetime.combine(self.cleaned_data["since"], time.min, tzinfo=tz)
        until = datetime.combine(self.cleaned_data["until"] + timedelta(days=1), time.min, tzinfo=tz)
        return since, until
