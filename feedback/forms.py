from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Language, Organization, User
from feedback.attachments import MAX_ATTACHMENTS, validate_upload
from feedback.limits import COMMENT_MAX, DESCRIPTION_MAX, PUBLIC_MESSAGE_MAX, SEARCH_MAX, TITLE_MAX, TITLE_MIN
from feedback.models import Feedback, NotificationPreference, ProductArea, Tag


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp,application/pdf"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(_("Attach at most 5 files."))
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        for upload in cleaned:
            upload.sniffed_type = validate_upload(upload)
        return cleaned


class FeedbackSubmitForm(forms.Form):
    title = forms.CharField(
        label=_("Title"), max_length=TITLE_MAX, min_length=TITLE_MIN, help_text=_("One sentence: what do you need?")
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Why it matters to you, how you work today. Markdown is accepted (20,000 characters at most)."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Feedback.Kind.choices)
    product_area = forms.ModelChoiceField(label=_("Product area"), queryset=ProductArea.objects.all(), required=False)
    importance = forms.ChoiceField(
        label=_("Importance for you"), choices=Feedback.Importance.choices, initial=Feedback.Importance.IMPORTANT
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=Feedback.Visibility.choices, initial=Feedback.Visibility.PRIVATE
    )
    attachments = MultipleFileField(
        label=_("Attachments"), required=False, help_text=_("Images or PDF, 5 MB each, 5 files at most.")
    )


class ClientContactField(forms.EmailField):
    """A client user, typed by email address: there may be hundreds of thousands of them."""

    def clean(self, value):
        email = super().clean(value)
        user = (
            User.objects.filter(email=email.lower(), client_membership__isnull=False)
            .select_related("client_membership__organization")
            .first()
        )
        if user is None:
            raise forms.ValidationError(_("No client user has this email address."))
        return user


class OnBehalfForm(FeedbackSubmitForm):
    """Staff log a request for a client contact."""

    author = ClientContactField(label=_("Client contact (email)"))
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    field_order = ["author", "title", "description", "kind", "product_area", "importance", "visibility", "language"]


class VoteForm(forms.Form):
    importance = forms.ChoiceField(label=_("How important is it for you?"), choices=Feedback.Importance.choices)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        error_messages={"required": _("Write something first.")},
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=COMMENT_MAX,
        help_text=_("Up to 10,000 characters. Markdown is accepted."),
    )


class NoteForm(CommentForm):
    """An internal note: staff only, never shown or sent to a client."""

    body = forms.CharField(
        label=_("Internal note (staff only, never shown to clients)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=COMMENT_MAX,
    )


class ReplyForm(CommentForm):
    body = forms.CharField(
        label=_("Reply to the clients"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=COMMENT_MAX,
        help_text=_("Shown in the portal and emailed to the requester, the voters and the followers."),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[c for c in Feedback.Status.choices if c[0] != Feedback.Status.MERGED]
    )
    public_message = forms.CharField(
        label=_("Message to the clients"),
        required=False,
        max_length=PUBLIC_MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when declining (the reason) or asking for details (the question)."),
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.staff().order_by("name"), required=False
    )


class AreaForm(forms.Form):
    product_area = forms.ModelChoiceField(label=_("Product area"), queryset=ProductArea.objects.all(), required=False)


class TagsForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(label=_("Tags"), queryset=Tag.objects.all(), required=False)


class SnoozeForm(forms.Form):
    until = forms.DateTimeField(
        label=_("Snooze until"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class MergeForm(forms.Form):
    target = forms.IntegerField(label=_("Merge into request number"), min_value=1, max_value=2**31 - 1)


class OnBehalfVoteForm(forms.Form):
    user = ClientContactField(label=_("Client contact (email)"))
    importance = forms.ChoiceField(label=_("Importance"), choices=Feedback.Importance.choices)


class PortalFilterForm(forms.Form):
    SORTS = [("trending", _("Trending")), ("most_voted", _("Most voted")), ("newest", _("Newest"))]
    SCOPES = [("", _("Everything I can see")), ("mine_org", _("My company's requests")), ("public", _("Public ideas"))]
    q = forms.CharField(label=_("Search"), required=False, max_length=SEARCH_MAX)
    scope = forms.ChoiceField(label=_("Show"), choices=SCOPES, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Feedback.Status.choices[:-1]], required=False
    )
    product_area = forms.ModelChoiceField(
        label=_("Product area"), queryset=ProductArea.objects.all(), required=False, empty_label=_("Any area")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("Any kind")), *Feedback.Kind.choices], required=False)
    sort = forms.ChoiceField(label=_("Sort"), choices=SORTS, required=False)


class StatusesField(forms.MultipleChoiceField):
    """Statuses ticked as chips. An empty value (`?status=`) means "every status" explicitly, so that
    removing the last filter chip does not bring the default statuses back."""

    def to_python(self, value):
        return [v for v in super().to_python(value) if v]


class KnownModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that finds the chosen object among objects the page already fetched
    (`known`, by pk) instead of one query per filter; without them, it queries as usual."""

    known: dict | None = None

    def to_python(self, value):
        if self.known is None or value in self.empty_values:
            return super().to_python(value)
        try:
            return self.known[int(value)]
        except (KeyError, TypeError, ValueError) as exc:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from exc


class InboxFilterForm(forms.Form):
    SORTS = [
        ("newest", _("Newest")),
        ("oldest_waiting", _("Oldest waiting")),
        ("votes", _("Most votes")),
        ("organizations", _("Most organizations")),
        ("revenue", _("Most revenue")),
    ]
    q = forms.CharField(label=_("Search"), required=False, max_length=SEARCH_MAX)
    status = StatusesField(
        label=_("Status"), choices=Feedback.Status.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    product_area = KnownModelChoiceField(label=_("Product area"), queryset=ProductArea.objects.all(), required=False)
    # Typed, with suggestions, not a <select>: there may be tens of thousands of client companies.
    organization = forms.CharField(label=_("Organization"), required=False, max_length=200)
    segment = forms.ChoiceField(label=_("Segment"), choices=[("", "—"), *Organization.Segment.choices], required=False)
    tag = KnownModelChoiceField(label=_("Tag"), queryset=Tag.objects.all(), required=False)
    assignee = KnownModelChoiceField(label=_("Assignee"), queryset=User.objects.staff(), required=False)
    unassigned = forms.BooleanField(label=_("Unassigned only"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *Feedback.Kind.choices], required=False)
    source = forms.ChoiceField(label=_("Source"), choices=[("", "—"), *Feedback.Source.choices], required=False)
    language = forms.ChoiceField(label=_("Language"), choices=[("", "—"), *Language.choices], required=False)
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Created until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    waiting_days = forms.IntegerField(
        label=_("Waiting for a first response for more than (days)"), min_value=0, max_value=36500, required=False
    )
    snoozed = forms.ChoiceField(
        label=_("Snoozed"), choices=[("", _("Either")), ("no", _("Not snoozed")), ("yes", _("Snoozed"))], required=False
    )
    sort = forms.ChoiceField(label=_("Sort"), choices=SORTS, required=False)

    def __init__(self, *args, known: dict[str, list] | None = None, **kwargs):
        """`known`: the areas, tags and staff the page fetched for its menus, by field name."""
        super().__init__(*args, **kwargs)
        for name, objects in (known or {}).items():
            self.fields[name].known = {obj.pk: obj for obj in objects}

    def clean_organization(self):
        """A company by its name (as the suggestions offer it) or its identifier (slug)."""
        value = " ".join(self.cleaned_data["organization"].split())
        if not value:
            return None
        matches = list(
            Organization.objects.filter(Q(slug=value) | Q(name__iexact=value)).only("id", "name", "slug")[:3]
        )
        by_slug = [org for org in matches if org.slug == value]
        if by_slug:
            return by_slug[0]
        if not matches:
            raise forms.ValidationError(_("No organization named “%(name)s”.") % {"name": value})
        if len(matches) > 1:
            raise forms.ValidationError(
                _("Several organizations are named “%(name)s”: type the identifier of the one you mean (%(slugs)s).")
                % {"name": value, "slugs": ", ".join(org.slug for org in matches)}
            )
        return matches[0]


def share_choices(forms_: list[forms.Form], name: str, objects: list) -> None:
    """Give several forms of one page the same, already fetched, choices (one query instead of one per form)."""
    choices = [("", "---------"), *[(obj.pk, str(obj)) for obj in objects]]
    for form in forms_:
        if name in form.fields:
            form.fields[name].choices = choices


class IdsInput(forms.HiddenInput):
    """Request numbers, comma-separated, or as several values: the rows' checkboxes post one each."""

    def value_from_datadict(self, data, files, name):
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name) or ""]
        return ",".join(value for value in values if value)


class BulkActionForm(forms.Form):
    prefix = "bulk"  # its fields must not share ids with the filter form on the same page
    ACTIONS = [
        ("status", _("Set status")),
        ("assign", _("Assign")),
        ("area", _("Set product area")),
        ("tag", _("Add tag")),
        ("merge", _("Merge into")),
        ("snooze", _("Snooze until")),
    ]
    ids = forms.CharField(widget=IdsInput, error_messages={"required": _("Select at least one request.")})
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", "—"), *[c for c in Feedback.Status.choices if c[0] != Feedback.Status.MERGED]],
        required=False,
    )
    public_message = forms.CharField(label=_("Message to the clients"), required=False, max_length=PUBLIC_MESSAGE_MAX)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.staff(), required=False)
    product_area = forms.ModelChoiceField(label=_("Product area"), queryset=ProductArea.objects.all(), required=False)
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.all(), required=False)
    target = forms.IntegerField(label=_("Target request number"), required=False, min_value=1, max_value=2**31 - 1)
    until = forms.DateTimeField(
        label=_("Snooze until"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def clean_ids(self):
        try:
            ids = [int(x) for x in self.cleaned_data["ids"].split(",") if x.strip()]
            if any(not 0 < i < 2**31 for i in ids):
                raise ValueError
        except ValueError as exc:
            raise forms.ValidationError(_("Select at least one request.")) from exc
        if not ids:
            raise forms.ValidationError(_("Select at least one request."))
        return ids[:200]


STAFF_EVENTS = (NotificationPreference.Event.ANSWERED,)  # staff only: clients are never told that a client answered


class PreferencesForm(forms.Form):
    def __init__(self, *args, current: dict[str, bool], staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in NotificationPreference.Event.choices:
            if (value in STAFF_EVENTS) != staff:
                continue
            self.fields[value] = forms.BooleanField(label=label, required=False, initial=current.get(value, True))
