from datetime import datetime, time, timedelta
from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
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


class FlatSelect(forms.Select):
    """A select whose options are written in Python, not one template each: a list of hundreds of
    people (a club's members) renders in a millisecond instead of tens. Flat choices only."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        selected = {str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v is not None}
        options = "".join(
            f'<option value="{escape(str(key))}"{" selected" if str(key) in selected else ""}>{escape(str(label))}</option>'
            for key, label in self.choices
        )
        return format_html("<select{}>{}</select>", flatatt(attrs), mark_safe(options))  # noqa: S308 (escaped above)
