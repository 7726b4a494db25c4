"""HTML input validation for the staff roadmap pages. The rules themselves (title length, a public
item's client-facing title, decisions' required messages...) live in roadmap.services; these forms
only turn text into values, and the services' ValidationErrors are put back next to the fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, User
from feedback.models import Feedback, ProductArea
from roadmap.models import QUARTER_RE, Decision, RoadmapItem


class ItemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, min_length=3)
    description = forms.CharField(
        label=_("Description (internal)"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Markdown is accepted."),
    )
    target_quarter = forms.CharField(
        label=_("Target quarter"), required=False, max_length=7, help_text=_("For example 2027-Q1.")
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.staff(), required=False)
    product_area = forms.ModelChoiceField(label=_("Product area"), queryset=ProductArea.objects.all(), required=False)
    is_public = forms.BooleanField(label=_("On the public roadmap"), required=False)
    public_title = forms.CharField(label=_("Public title"), required=False, max_length=200)
    public_text = forms.CharField(
        label=_("Public text"), required=False, max_length=20_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    main_request = forms.ModelChoiceField(
        label=_("Main request (the clients' “me too” votes for it)"),
        queryset=Feedback.objects.none(),
        required=False,
    )
    reach_override = forms.IntegerField(
        label=_("Reach (override)"),
        required=False,
        min_value=0,
        max_value=10_000_000,
        help_text=_("Leave empty to use the number of organizations asking."),
    )
    impact = forms.ChoiceField(label=_("Impact"), choices=RoadmapItem.Impact.choices)
    confidence = forms.IntegerField(label=_("Confidence (%)"), min_value=0, max_value=100)
    effort = forms.DecimalField(
        label=_("Effort (person-months)"), min_value=0.1, max_value=9999, max_digits=6, decimal_places=1
    )

    def __init__(self, *args, links=None, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        if links is None:
            del self.fields["main_request"]  # a new item has no linked request yet
        else:
            # Any linked request is valid; the choices shown are the most voted ones (an item may have
            # thousands of requests: the page lists the first LINKS_SHOWN).
            self.fields["main_request"].queryset = (
                Feedback.objects.filter(roadmap_link__item=item)
                if item is not None
                else Feedback.objects.filter(pk__in=[link.feedback_id for link in links])
            )
            # Rendered from the prefetched links: no query for the choices.
            self.fields["main_request"].choices = [
                ("", "---------"),
                *[(link.feedback_id, f"#{link.feedback_id} {link.feedback.title}") for link in links],
            ]

    def clean_target_quarter(self):
        value = self.cleaned_data["target_quarter"].strip().upper()
        if value and not QUARTER_RE.match(value):
            raise forms.ValidationError(_("Write the quarter as 2027-Q1."))
        return value

    @classmethod
    def initial_for(cls, item: RoadmapItem) -> dict:
        return {
            "title": item.title,
            "description": item.description,
            "target_quarter": item.target_quarter,
            "owner": item.owner_id,
            "product_area": item.product_area_id,
            "is_public": item.is_public,
            "public_title": item.public_title,
            "public_text": item.public_text,
            "main_request": item.main_request_id,
            "reach_override": item.reach_override,
            "impact": item.impact,
            "confidence": item.confidence,
            "effort": item.effort,
        }


class ItemCreateForm(ItemForm):
    status = forms.ChoiceField(
        label=_("Status"), choices=RoadmapItem.Status.choices, initial=RoadmapItem.Status.CANDIDATE
    )
    field_order = ["title", "status"]


class MoveForm(forms.Form):
    status = forms.ChoiceField(label=_("Move to"), choices=RoadmapItem.Status.choices)


class LinkForm(forms.Form):
    """On the item page: a request by its number."""

    feedback = forms.IntegerField(label=_("Request number"), min_value=1, max_value=2**31 - 1)


class FeedbackLinkForm(forms.Form):
    """On a request's triage page: an item by its number (or #number)."""

    action = forms.ChoiceField(choices=[("link", "link"), ("unlink", "unlink")])
    item = forms.CharField(label=_("Roadmap item number"), required=False, max_length=12)

    def clean_item(self):
        value = self.cleaned_data["item"].strip().lstrip("#")
        if not value:
            return None
        if not value.isdigit() or len(value) > 9:
            raise forms.ValidationError(_("Give the item's number, for example 42."))
        return int(value)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "link" and not cleaned.get("item") and "item" not in self.errors:
            self.add_error("item", _("Choose the roadmap item to link this request to."))
        return cleaned


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Decision"), choices=Decision.Kind.choices)
    rationale = forms.CharField(
        label=_("Rationale (internal)"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    public_message = forms.CharField(
        label=_("Message to the clients"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when declining or deferring. Every client who asked is told."),
    )
    expected_outcome = forms.CharField(
        label=_("Expected outcome"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when accepting: what should change for the clients who asked, and how we will know."),
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(Decision.Outcome.REACHED, _("Reached")), (Decision.Outcome.MISSED, _("Missed"))],
        widget=forms.RadioSelect,
    )
    actual_outcome = forms.CharField(
        label=_("What actually happened"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    lesson = forms.CharField(
        label=_("Lesson learned"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the outcome was missed."),
    )


class RankedFilterForm(forms.Form):
    SORTS = [
        ("at_risk", _("Revenue at risk")),
        ("revenue", _("Revenue")),
        ("organizations", _("Organizations")),
        ("votes", _("Votes")),
        ("rice", _("RICE score")),
        ("newest", _("Newest")),
    ]
    sort = forms.ChoiceField(label=_("Rank by"), choices=SORTS, required=False)
    status = forms.MultipleChoiceField(
        label=_("Status"), choices=RoadmapItem.Status.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    product_area = forms.ModelChoiceField(label=_("Product area"), queryset=ProductArea.objects.all(), required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.staff(), required=False)
    quarter = forms.CharField(label=_("Quarter"), required=False, max_length=7)
    segment = forms.ChoiceField(
        label=_("Segment of the organizations asking"),
        choices=[("", "---------"), *Organization.Segment.choices],
        required=False,
    )
    at_risk = forms.BooleanField(label=_("Revenue at risk only"), required=False)

    def clean_quarter(self):
        value = self.cleaned_data["quarter"].strip().upper()
        if value and not QUARTER_RE.match(value):
            raise forms.ValidationError(_("Write the quarter as 2027-Q1."))
        return value


class DecisionFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Decision"), choices=[("", "---------"), *Decision.Kind.choices], required=False)
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", "---------"), *Decision.Outcome.choices], required=False
    )
    product_area = forms.ModelChoiceField(label=_("Product area"), queryset=ProductArea.objects.all(), required=False)
    organization = forms.SlugField(label=_("Organization (slug)"), required=False, max_length=80)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_organization(self):
        slug = self.cleaned_data["organization"]
        if not slug:
            return None
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise forms.ValidationError(_("No organization has this slug."))
        return organization

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period comes after its start."))
        return cleaned


class ReleaseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, min_length=3)
    release_date = forms.DateField(label=_("Release date"), widget=forms.DateInput(attrs={"type": "date"}))
    body = forms.CharField(
        label=_("Release notes"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Markdown is accepted. Every client who asked for a shipped item receives it."),
    )
    items = forms.ModelMultipleChoiceField(
        label=_("Shipped items"),
        queryset=RoadmapItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, item_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        if item_queryset is not None:
            self.fields["items"].queryset = item_queryset
