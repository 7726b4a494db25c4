"""HTML input for the organization pages. The rules (unique slug and domains, staff account owner,
the amount's digits) live in reporting.org_services; these forms only turn text into values."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, User
from clubs.forms import NoNulCharField
from reporting.org_import import MAX_BYTES
from reporting.org_services import ACV_DECIMALS, ACV_MAX_DIGITS, NAME_MAX, SLUG_MAX

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SORT_CHOICES = [
    ("name", _("Name")),
    ("-acv", _("Annual contract value")),
    ("renewal", _("Renewal date")),
]


class OrganizationFilterForm(forms.Form):
    q = NoNulCharField(label=_("Search"), required=False, max_length=100, help_text=_("Name, slug or email domain"))
    segment = forms.ChoiceField(
        label=_("Segment"), required=False, choices=[("", _("All segments")), *Organization.Segment.choices]
    )
    tier = forms.ChoiceField(
        label=_("Tier"), required=False, choices=[("", _("All tiers")), *Organization.Tier.choices]
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)


class OrganizationForm(forms.Form):
    name = NoNulCharField(label=_("Name"), max_length=NAME_MAX)
    slug = NoNulCharField(
        label=_("Slug"),
        max_length=SLUG_MAX,
        required=False,
        help_text=_("Leave blank to make one from the name."),
    )
    email_domains = NoNulCharField(
        label=_("Email domains"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line or separated by commas, such as acme.com. A person signing up with an address "
            "at one of these domains joins this organization."
        ),
    )
    segment = forms.ChoiceField(label=_("Segment"), choices=Organization.Segment.choices)
    tier = forms.ChoiceField(label=_("Tier"), choices=Organization.Tier.choices)
    annual_contract_value = forms.DecimalField(
        label=_("Annual contract value"),
        min_value=0,
        max_digits=ACV_MAX_DIGITS,
        decimal_places=ACV_DECIMALS,
        initial=0,
    )
    renewal_date = forms.DateField(label=_("Renewal date"), required=False, widget=DATE_WIDGET)
    account_owner = forms.ModelChoiceField(
        label=_("Account owner"),
        queryset=User.objects.staff().filter(is_active=True).order_by("name", "email"),
        required=False,
        empty_label=_("Nobody"),
    )

    @staticmethod
    def initial_for(organization: Organization) -> dict:
        return {
            "name": organization.name,
            "slug": organization.slug,
            "email_domains": "\n".join(organization.email_domains),
            "segment": organization.segment,
            "tier": organization.tier,
            "annual_contract_value": organization.annual_contract_value,
            "renewal_date": organization.renewal_date,
            "account_owner": organization.account_owner_id,
        }


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, columns separated by commas or semicolons, at most 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(n)s MB: split it into smaller files.") % {"n": MAX_BYTES // (1024 * 1024)}
            )
        return upload


class ImportConfirmForm(forms.Form):
    sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
