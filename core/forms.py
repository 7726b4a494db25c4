from django import forms
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
