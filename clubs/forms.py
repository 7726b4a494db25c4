"""HTML input validation for the clubs' pages. The rules themselves (lengths, budgets, who may be
an organizer, a private request's summary...) live in clubs.services; these forms only turn text
into values, and the services' ValidationErrors are put back next to the fields."""

import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import TIMEZONE_CHOICES, Language, User
from clubs.models import ActionItem, Club, ClubMembership, Invitation
from core.forms import FlatSelect
from feedback.models import Feedback, ProductArea

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_POINTS = 100  # a vote's budget never exceeds it (clubs.models.MeetingVote's constraint)


class NoNulCharField(forms.CharField):
    """A NUL byte cannot be stored by Postgres: refuse it as a form error, never a 500."""

    def to_python(self, value):
        value = super().to_python(value)
        if "\x00" in value:
            raise ValidationError(_("This text contains a character that is not allowed."), code="null")
        return value


def form_errors_from(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError next to its field (or at the top of the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


class ClubForm(forms.Form):
    name = NoNulCharField(label=_("Name"), max_length=120)
    description = NoNulCharField(
        label=_("Description"), required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    language = forms.ChoiceField(label=_("Language of the meetings"), choices=Language.choices)
    region = NoNulCharField(label=_("Region"), required=False, max_length=120)
    visibility = forms.ChoiceField(label=_("Who may join"), choices=Club.Visibility.choices)
    product_areas = forms.ModelMultipleChoiceField(
        label=_("Product scope"),
        queryset=ProductArea.objects.order_by("name"),
        required=False,
        help_text=_("None chosen: the whole product."),
        widget=forms.CheckboxSelectMultiple,
    )
    organizers = forms.ModelMultipleChoiceField(
        label=_("Organizers"),
        queryset=User.objects.staff().order_by("name", "email"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class MemberSearchForm(forms.Form):
    q = NoNulCharField(required=False, max_length=100)


class MemberAddForm(forms.Form):
    user = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    role = forms.ChoiceField(label=_("Role"), choices=ClubMembership.Role.choices, initial=ClubMembership.Role.MEMBER)


class MemberEmailForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=ClubMembership.Role.choices, initial=ClubMembership.Role.MEMBER)


class MembershipForm(forms.Form):
    membership = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    role = forms.ChoiceField(label=_("Role"), choices=ClubMembership.Role.choices, required=False)


class MeetingForm(forms.Form):
    title = NoNulCharField(label=_("Title"), max_length=200)
    description = NoNulCharField(
        label=_("Description"), required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DATETIME_WIDGET)
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DATETIME_WIDGET)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=TIMEZONE_CHOICES, initial="Europe/Paris")
    place = NoNulCharField(label=_("Place"), required=False, max_length=300)
    video_url = forms.URLField(label=_("Video link"), required=False, max_length=500, assume_scheme="https")

    def clean(self):
        """The times are typed in the meeting's own time zone, not the server's."""
        data = super().clean()
        try:
            zone = zoneinfo.ZoneInfo(data.get("timezone") or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return data
        for field in ("starts_at", "ends_at"):
            value = data.get(field)
            if value is not None:
                naive = timezone.make_naive(value) if timezone.is_aware(value) else value
                data[field] = naive.replace(tzinfo=zone)
        return data

    @classmethod
    def initial_for(cls, meeting) -> dict:
        zone = zoneinfo.ZoneInfo(meeting.timezone)
        return {
            "title": meeting.title,
            "description": meeting.description,
            "starts_at": meeting.starts_at.astimezone(zone).replace(tzinfo=None),
            "ends_at": meeting.ends_at.astimezone(zone).replace(tzinfo=None),
            "timezone": meeting.timezone,
            "place": meeting.place,
            "video_url": meeting.video_url,
        }


class TopicForm(forms.Form):
    """A topic written by hand, or taken from a suggestion (its kind and id as hidden fields)."""

    SOURCES = [("", ""), ("feedback", "feedback"), ("roadmap", "roadmap"), ("action", "action")]

    title = NoNulCharField(
        label=pgettext_lazy("agenda", "Topic"),
        required=False,
        max_length=200,
        help_text=_("The wording the members read. For a private request, write a summary."),
    )
    notes = NoNulCharField(
        label=_("Notes for the members"), required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 2})
    )
    minutes_allotted = forms.IntegerField(label=_("Minutes allotted"), min_value=0, max_value=600, initial=10)
    source = forms.ChoiceField(choices=SOURCES, required=False, widget=forms.HiddenInput)
    source_id = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False, widget=forms.HiddenInput)
    origin = forms.CharField(required=False, max_length=10, widget=forms.HiddenInput)


class TopicUpdateForm(forms.Form):
    title = NoNulCharField(label=pgettext_lazy("agenda", "Topic"), max_length=200)
    minutes_allotted = forms.IntegerField(label=_("Minutes allotted"), min_value=0, max_value=600)


class RsvpForm(forms.Form):
    rsvp = forms.ChoiceField(
        label=_("Will you come?"),
        choices=[(v, label) for v, label in Invitation.Rsvp.choices if v != Invitation.Rsvp.PENDING],
        widget=forms.RadioSelect,
    )
    comment = NoNulCharField(label=_("Comment"), required=False, max_length=500)


class AttendanceForm(forms.Form):
    present = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=[])

    def __init__(self, *args, member_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(pk, pk) for pk in member_ids]


class VoteCreateForm(forms.Form):
    title = NoNulCharField(label=_("Question"), max_length=200, initial=_("Which topics matter most to you?"))
    budget = forms.IntegerField(label=_("Points per attendee"), min_value=1, max_value=MAX_POINTS, initial=5)
    topics = forms.TypedMultipleChoiceField(label=_("Topics"), coerce=int, choices=[])

    def __init__(self, *args, topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = [(t.pk, t.title) for t in topics]


class MinutesForm(forms.Form):
    body = NoNulCharField(
        label=_("Minutes (Markdown)"),
        required=False,
        max_length=100_000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
    )


class CaptureForm(forms.Form):
    author = forms.TypedChoiceField(label=_("Raised by"), coerce=int, choices=[], widget=FlatSelect)
    title = NoNulCharField(label=_("Request"), max_length=200)
    description = NoNulCharField(
        label=_("Details"), required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Feedback.Kind.choices, initial=Feedback.Kind.IDEA)

    def __init__(self, *args, members=(), **kwargs):
        """`members`: the club's memberships, or rows with `user_id`, `name` and `organization_name`."""
        super().__init__(*args, **kwargs)
        self.fields["author"].choices = [
            (m.user_id, f"{_member_name(m)} ({_member_company(m)})") for m in members if m.organization_id
        ]


def _member_name(m) -> str:
    return m.name if hasattr(m, "name") else (m.user.get_full_name() or m.user.email)


def _member_company(m) -> str:
    return m.organization_name if hasattr(m, "organization_name") else m.organization.name


class ActionItemForm(forms.Form):
    title = NoNulCharField(label=_("What"), max_length=300)
    owner = forms.TypedChoiceField(
        label=_("Owner"), coerce=int, choices=[], required=False, empty_value=None, widget=FlatSelect
    )
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DATE_WIDGET)

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "—"), *owners]


class ActionStatusForm(forms.Form):
    action_item = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=ActionItem.Status.choices)


class BallotForm(forms.Form):
    """One whole number per topic of the vote; the budget is the service's to enforce."""

    def __init__(self, *args, topics=(), budget: int = MAX_POINTS, **kwargs):
        super().__init__(*args, **kwargs)
        for topic in topics:
            self.fields[f"topic_{topic.pk}"] = forms.IntegerField(
                label=topic.title,
                min_value=0,
                max_value=budget,
                required=False,
                initial=0,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-points": ""}),
            )

    def points(self) -> dict[int, int]:
        return {
            int(name.removeprefix("topic_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("topic_") and value
        }
