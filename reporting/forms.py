"""HTML input for the subscriptions, teams and archive pages. The rules (a team xor a person, staff
only, no client address, at least one section, a real time zone...) live in reporting.services;
these forms only turn text into values, and the services' ValidationErrors are put back next to
the fields (clubs.forms.form_errors_from)."""

import zoneinfo
from functools import cache
from html import escape

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organization, Team, User
from clubs.forms import NoNulCharField
from clubs.models import Club
from core.choices import Language
from core.forms import FlatSelect
from feedback.models import ProductArea
from reporting.models import Digest, DigestSubscription, Section

# A subscription names a few companies; more than this is a segment's job.
MAX_ORGANIZATIONS = 500
MAX_EXTRA_EMAILS = 200
ORG_SEARCH_LIMIT = 20

Frequency = DigestSubscription.Frequency


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


class OrganizationPicker(forms.SelectMultiple):
    """The chosen organizations as ticked boxes, never the 20,000 of the data set.

    The search box beside it (in the page, `reporting/_org_search.html`) asks the page for the
    companies matching a few letters and adds them as unticked boxes in `#org-choices`.
    """

    def render(self, name, value, attrs=None, renderer=None):
        ids = organization_ids(value)
        chosen = list(Organization.objects.filter(pk__in=ids).order_by("name", "id").values_list("pk", "name"))
        attrs = self.build_attrs(self.attrs, attrs or {})
        return format_html(
            '<div{}><div id="org-choices" class="org-choices" data-testid="org-choices">{}</div></div>',
            flatatt({"id": attrs.get("id", "id_organizations"), "class": "org-picker"}),
            mark_safe(org_boxes(name=name, chosen=chosen, found=[])),  # noqa: S308 (escaped in org_boxes)
        )


def organization_ids(value) -> list[int]:
    values = value if isinstance(value, list | tuple) else [value]
    out = []
    for v in values:
        v = getattr(v, "pk", v)
        if v is not None and str(v).isdigit() and len(str(v)) < 10:
            out.append(int(v))
    return out[:MAX_ORGANIZATIONS]


def org_boxes(*, name: str, chosen: list[tuple[int, str]], found: list[tuple[int, str]]) -> str:
    """Ticked boxes for the chosen organizations, unticked ones for those found; escaped here."""

    def box(pk: int, label: str, checked: bool) -> str:
        tick = " checked" if checked else ""
        return (
            f'<li><label class="check"><input type="checkbox" name="{escape(name)}" value="{pk}"{tick}'
            f' data-testid="org-{pk}"> {escape(label)}</label></li>'
        )

    parts = []
    if chosen:
        parts.append('<ul class="checks">' + "".join(box(pk, label, True) for pk, label in chosen) + "</ul>")
    if found:
        parts.append('<ul class="checks org-found">' + "".join(box(pk, label, False) for pk, label in found) + "</ul>")
    return "".join(parts)


class OrganizationsField(forms.ModelMultipleChoiceField):
    widget = OrganizationPicker

    def clean(self, value):
        if value and len(value) > MAX_ORGANIZATIONS:
            raise ValidationError(
                _("Choose at most %(max)d organizations; use segments for more."), params={"max": MAX_ORGANIZATIONS}
            )
        return super().clean(value)


class SubscriptionForm(forms.Form):
    RECIPIENTS = [("team", _("A team")), ("person", _("One person"))]

    name = NoNulCharField(label=_("Name"), max_length=120)
    recipients = forms.ChoiceField(
        label=_("Who receives it"), choices=RECIPIENTS, initial="team", required=False, widget=forms.RadioSelect
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False, empty_label="—", widget=FlatSelect
    )
    user = forms.ModelChoiceField(
        label=_("Person"),
        queryset=User.objects.staff().filter(is_active=True).order_by("name", "email"),
        required=False,
        empty_label="—",
        help_text=_("Staff members only."),
        widget=FlatSelect,
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices, initial=Frequency.WEEKLY)
    weekday = forms.TypedChoiceField(
        label=_("Day of the week"),
        coerce=int,
        choices=DigestSubscription.Weekday.choices,
        initial=0,
        help_text=_("Weekly digests."),
    )
    day_of_month = forms.IntegerField(
        label=_("Day of the month"), min_value=1, max_value=28, initial=1, help_text=_("Monthly digests: 1 to 28.")
    )
    hour = forms.IntegerField(label=_("Hour"), min_value=0, max_value=23, initial=8)
    minute = forms.IntegerField(label=pgettext_lazy("time", "Minute"), min_value=0, max_value=59, initial=0)
    timezone = forms.ChoiceField(
        label=_("Time zone"), choices=timezone_choices, initial="Europe/Paris", widget=FlatSelect
    )
    product_areas = forms.ModelMultipleChoiceField(
        label=_("Product areas"),
        queryset=ProductArea.objects.order_by("name"),
        required=False,
        help_text=_("None chosen: every area."),
        widget=forms.CheckboxSelectMultiple,
    )
    segments = forms.MultipleChoiceField(
        label=_("Segments"),
        choices=Organization.Segment.choices,
        required=False,
        help_text=_("None chosen: every segment."),
        widget=forms.CheckboxSelectMultiple,
    )
    organizations = OrganizationsField(
        label=_("Organizations"),
        queryset=Organization.objects.all(),
        required=False,
        help_text=_("None chosen: every company. Search by name to add one."),
    )
    clubs = forms.ModelMultipleChoiceField(
        label=_("Clubs"),
        queryset=Club.objects.filter(is_archived=False).order_by("name"),
        required=False,
        help_text=_("None chosen: every club."),
        widget=forms.CheckboxSelectMultiple,
    )
    sections = forms.MultipleChoiceField(
        label=_("Sections"), choices=Section.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    waiting_days = forms.IntegerField(
        label=_("List requests waiting longer than (days)"), min_value=1, max_value=365, initial=7
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, subscription: DigestSubscription | None = None, **kwargs):
        if subscription is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(subscription)
        super().__init__(*args, **kwargs)
        if subscription is not None:
            # An archived club stays listed while a subscription still names it.
            self.fields["clubs"].queryset = Club.objects.filter(
                Q(is_archived=False) | Q(pk__in=subscription.clubs.values("pk"))
            ).order_by("name")
        if not self.is_bound and subscription is None:
            self.initial.setdefault("sections", [s.value for s in Section])

    @staticmethod
    def initial_for(subscription: DigestSubscription) -> dict:
        return {
            "name": subscription.name,
            "recipients": "person" if subscription.user_id else "team",
            "team": subscription.team_id,
            "user": subscription.user_id,
            "language": subscription.language,
            "frequency": subscription.frequency,
            "weekday": subscription.weekday,
            "day_of_month": subscription.day_of_month,
            "hour": subscription.hour,
            "minute": subscription.minute,
            "timezone": subscription.timezone,
            "product_areas": list(subscription.product_areas.values_list("pk", flat=True)),
            "segments": list(subscription.segments),
            "organizations": list(subscription.organizations.values_list("pk", flat=True)),
            "clubs": list(subscription.clubs.values_list("pk", flat=True)),
            "sections": list(subscription.sections),
            "waiting_days": subscription.waiting_days,
            "is_active": subscription.is_active,
        }

    def values(self) -> dict:
        """The cleaned data as reporting.services.subscription_save takes it: a team or a person."""
        data = dict(self.cleaned_data)
        kind = data.pop("recipients") or ("person" if data.get("user") and not data.get("team") else "team")
        if kind == "team":
            data["user"] = None
        else:
            data["team"] = None
        for name in ("product_areas", "organizations", "clubs"):
            data[name] = list(data[name])
        return data


class ExtraEmailsField(forms.CharField):
    """Outside addresses, one a line (commas and semicolons also split)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def to_python(self, value):
        text = super().to_python(value)
        if "\x00" in text:
            raise ValidationError(_("This text contains a character that is not allowed."), code="null")
        emails = [e.strip() for e in text.replace(",", "\n").replace(";", "\n").splitlines() if e.strip()]
        if len(emails) > MAX_EXTRA_EMAILS:
            raise ValidationError(_("At most %(max)d addresses."), params={"max": MAX_EXTRA_EMAILS})
        return emails

    def validate(self, value):
        super().validate(value)
        bad = []
        for email in value:
            try:
                validate_email(email)
            except ValidationError:
                bad.append(email)
        if bad:
            raise ValidationError(
                _("Not an email address: %(emails)s."), params={"emails": ", ".join(bad)}, code="invalid"
            )

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list | tuple) else value


class TeamForm(forms.Form):
    name = NoNulCharField(label=_("Name"), max_length=120)
    members = forms.ModelMultipleChoiceField(
        label=_("Staff members"),
        queryset=User.objects.staff().filter(is_active=True).order_by("name", "email"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    extra_emails = ExtraEmailsField(
        label=_("Outside addresses"),
        required=False,
        max_length=20_000,
        help_text=_("One a line: people without an account, such as a partner's sales team. Never a client's."),
    )
    language = forms.ChoiceField(label=_("Language for outside addresses"), choices=Language.choices)

    @staticmethod
    def initial_for(team: Team) -> dict:
        return {
            "name": team.name,
            "members": list(team.members.values_list("pk", flat=True)),
            "extra_emails": list(team.extra_emails),
            "language": team.language,
        }

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["members"] = list(data["members"])
        return data


class ArchiveFilterForm(forms.Form):
    subscription = forms.TypedChoiceField(
        label=_("Subscription"), coerce=int, required=False, empty_value=None, choices=[], widget=FlatSelect
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Digest.Status.choices]
    )

    def __init__(self, *args, subscriptions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subscription"].choices = [("", _("All subscriptions")), *subscriptions]
