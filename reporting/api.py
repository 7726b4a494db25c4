"""/api/v1/digests/, /api/v1/digest-subscriptions/, /api/v1/reports/summary/ and
/api/v1/organizations/<id>/dossier/: thin DRF views over reporting.policy and reporting.services, on
the model of clubs.api.

Everything here is for the publisher's staff: a client user gets 404 for every endpoint (as for the
reporting pages), never a 403 that would say the address exists. The digest archive says "what did
we tell whom, when": each digest with its figures, its rendering and the send status per recipient.
The summary returns the dashboard's figures for a period and a scope as JSON, the dossier what the
company's page shows. Product owners manage subscriptions; a contributor reads them (403 on a write).
"""

import zoneinfo

from django.db.models import Count, Prefetch, prefetch_related_objects
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from accounts.models import Organization, Team, User
from clubs.models import Club
from core.api_views import (
    CURSOR_PARAMETERS,
    BodyFirstApiView,
    IdCursorPagination,
    IdFilter,
    filtered_queryset,
    page_schema,
    service_call,
)
from core.choices import Language
from core.models import OutboundEmail
from core.serializers import StrictInput
from feedback.models import ProductArea
from reporting import policy, services
from reporting.dashboard import DashboardQuery, dashboard_figures, dashboard_form, dashboard_query
from reporting.digests import archive_text
from reporting.dossier import dossier_for
from reporting.figures import figures_labelled
from reporting.models import ALL_SECTIONS, Digest, DigestDelivery, DigestSubscription, Section
from reporting.policy import Action

# A recipient's send status: the outbox email's, or `not_queued` when none was written for the address.
RECIPIENT_STATUSES = [*OutboundEmail.Status.choices, ("not_queued", _("Not queued"))]
MAX_ID = 2**63 - 1
MAX_CHOICES = 100
NOT_FOUND_IN_BODY = _("Not found.")
UNKNOWN_PARAMETER = _("Unknown parameter: this endpoint does not read it.")


def _require(user: User, action: Action) -> None:
    """404 for anyone not on staff (these endpoints do not exist for them), 403 for a contributor managing."""
    service_call(policy.reporting_require, user=user, action=action)


def _require_staff(user: User) -> None:
    _require(user, Action.VIEW)


def _refuse_unknown_parameters(request, known: set[str]) -> None:
    """A parameter the endpoint does not read is a 400 (a typo such as `segmnet` must not widen the scope)."""
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise exceptions.ValidationError({name: [UNKNOWN_PARAMETER] for name in unknown})


# Digests -------------------------------------------------------------------------------------


class SubscriptionRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DigestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    subscription = SubscriptionRefOutput()
    period_start = serializers.DateField(help_text="First local day of the period (subscription's time zone).")
    period_end = serializers.DateField(help_text="The day after the period's last day.")
    status = serializers.ChoiceField(choices=Digest.Status.choices)
    language = serializers.CharField()
    subject = serializers.CharField()
    had_activity = serializers.BooleanField()
    recipient_count = serializers.IntegerField()
    due_at = serializers.DateTimeField()
    built_at = serializers.DateTimeField(allow_null=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class RecipientOutput(serializers.Serializer):
    email = serializers.EmailField()
    user = serializers.SerializerMethodField(help_text="The staff member, or null for an outside address.")
    status = serializers.SerializerMethodField(
        help_text="The outbox email's status; `not_queued` if no email was written for this address."
    )
    sent_at = serializers.SerializerMethodField()

    @extend_schema_field(SubscriptionRefOutput(allow_null=True))
    def get_user(self, obj) -> dict | None:
        return None if obj.user is None else {"id": obj.user.pk, "name": obj.user.name}

    @extend_schema_field(serializers.ChoiceField(choices=RECIPIENT_STATUSES))
    def get_status(self, obj) -> str:
        return obj.outbound.status if obj.outbound is not None else "not_queued"

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_sent_at(self, obj):
        return None if obj.outbound is None or obj.outbound.sent_at is None else obj.outbound.sent_at.isoformat()


class DigestDetailOutput(DigestOutput):
    error = serializers.CharField(help_text="Why the build failed (empty otherwise).")
    text_body = serializers.SerializerMethodField(help_text="The plain-text email, personal links neutralized.")
    figures = serializers.JSONField(help_text="The figures the digest was built from (ids, keys, numbers).")
    recipients = RecipientOutput(many=True, source="deliveries.all")

    def get_text_body(self, obj) -> str:
        return archive_text(obj)


def _digests():
    return (
        Digest.objects.select_related("subscription")
        .defer("html_body", "text_body", "figures", "error")
        .annotate(recipient_count=Count("deliveries"))
    )


class DigestFilter(django_filters.FilterSet):
    subscription = IdFilter(field_name="subscription_id")
    status = django_filters.MultipleChoiceFilter(choices=Digest.Status.choices)
    period_from = django_filters.DateFilter(field_name="period_start", lookup_expr="gte")
    period_to = django_filters.DateFilter(field_name="period_start", lookup_expr="lte")

    class Meta:
        model = Digest
        fields: list[str] = []


DIGEST_PARAMETERS = {"subscription", "status", "period_from", "period_to", "cursor", "page_size"}


class DigestListApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_digests_list",
        description="Staff: every digest built, newest first, with its period, status and number of "
        "recipients. Filter by subscription, status and the period's first day (`period_from`, "
        "`period_to`, inclusive).",
        parameters=[
            OpenApiParameter("subscription", int),
            OpenApiParameter("status", str, many=True, enum=Digest.Status.values),
            OpenApiParameter("period_from", OpenApiTypes.DATE, description="Periods starting on or after."),
            OpenApiParameter("period_to", OpenApiTypes.DATE, description="Periods starting on or before."),
            *CURSOR_PARAMETERS,
        ],
        responses=page_schema("DigestPage", DigestOutput),
    )
    def get(self, request):
        _require_staff(request.user)
        _refuse_unknown_parameters(request, DIGEST_PARAMETERS)
        queryset = filtered_queryset(request, DigestFilter, _digests())
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(DigestOutput(page, many=True).data)


class DigestDetailApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_digests_retrieve",
        description="Staff: one digest — its figures, subject, plain-text body, and each recipient with "
        "the status of the email sent to them.",
        responses=DigestDetailOutput,
    )
    def get(self, request, pk: int):
        user = request.user
        _require_staff(user)
        digest = policy.digest_get_visible_to(user=user, pk=pk)
        deliveries = DigestDelivery.objects.select_related("user", "outbound").order_by("email", "id")
        prefetch_related_objects([digest], Prefetch("deliveries", queryset=deliveries))
        digest.recipient_count = len(digest.deliveries.all())
        return Response(DigestDetailOutput(digest).data)


# Summary: the dashboard's figures ------------------------------------------------------------

# The API's parameter → the dashboard form's field (reporting.dashboard): the same validation, the
# same defaults and the same window, so the summary equals the page for the same query.
SUMMARY_PARAMETERS = {
    "from": "from",
    "to": "to",
    "product_area": "areas",
    "segment": "segments",
    "organization": "organizations",
    "club": "clubs",
    "section": "sections",
    "waiting_days": "waiting_days",
}
FORM_FIELDS = {form: api for api, form in SUMMARY_PARAMETERS.items()} | {"__all__": "non_field_errors"}


def _summary_query(request) -> DashboardQuery:
    """The dashboard's query for these parameters, or a 400 naming each refused parameter."""
    _refuse_unknown_parameters(request, set(SUMMARY_PARAMETERS))
    data = QueryDict(mutable=True)
    for name, values in request.query_params.lists():
        data.setlist(SUMMARY_PARAMETERS[name], values)
    form = dashboard_form(data, tz=_zone(request.user))
    if not form.is_valid():
        raise exceptions.ValidationError(
            {FORM_FIELDS.get(field, field): [str(m) for m in messages] for field, messages in form.errors.items()}
        )
    return dashboard_query(form)


class SummaryDatesOutput(serializers.Serializer):
    start = serializers.DateField(help_text="`from`: the first local day counted.")
    end = serializers.DateField(help_text="`to`: the first local day not counted.")
    granularity = serializers.ChoiceField(
        choices=[("day", "day"), ("week", "week"), ("month", "month")], help_text="One trend bar per ..."
    )


class SummaryOutput(serializers.Serializer):
    """The dashboard's figures (reporting.figures, labelled in your language): each chosen section is
    an object of its own, with the period's figures and the previous period's."""

    dates = SummaryDatesOutput()
    period = serializers.DictField(help_text="`start`, `end`, `previous_start`: the window's instants.")
    scope = serializers.DictField(help_text="The ids and keys the figures are limited to (empty: everything).")
    sections = serializers.ListField(child=serializers.ChoiceField(choices=Section.choices))
    activity = serializers.DictField(child=serializers.BooleanField())
    had_activity = serializers.BooleanField()
    computed_at = serializers.DateTimeField(help_text="When these figures were computed (kept a few minutes).")
    incoming = serializers.DictField(required=False)
    rising = serializers.DictField(required=False)
    decisions = serializers.DictField(required=False)
    responsiveness = serializers.DictField(required=False)
    roadmap = serializers.DictField(required=False)
    clubs = serializers.DictField(required=False)


class SummaryApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_reports_summary",
        description="Staff: the dashboard's figures for the local days [`from`, `to`) in your time zone (at "
        "most two years; the last 12 weeks without dates) against the period of the same length just "
        "before, with a trend by day (up to 31 days), week (up to 26 weeks) or month. Scope: product areas, "
        "segments, organizations, clubs (repeat a parameter for several; none means everything); `section` "
        "limits the sections. A parameter this endpoint does not read is refused (400).",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="The first day (YYYY-MM-DD)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="The first day not counted (YYYY-MM-DD)."),
            OpenApiParameter("product_area", int, many=True),
            OpenApiParameter("segment", str, many=True, enum=Organization.Segment.values),
            OpenApiParameter("organization", int, many=True),
            OpenApiParameter("club", int, many=True),
            OpenApiParameter("section", str, many=True, enum=ALL_SECTIONS),
            OpenApiParameter("waiting_days", int, description="Responsiveness: waiting longer than (1-365, 7)."),
        ],
        responses=SummaryOutput,
    )
    def get(self, request):
        _require_staff(request.user)
        query = _summary_query(request)
        figures = figures_labelled(dashboard_figures(query))  # the page's own (cached) figures
        dates = {"start": query.start_date, "end": query.end_date, "granularity": query.granularity}
        return Response({"dates": SummaryDatesOutput(dates).data, **figures})


def _zone(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


# Subscriptions -------------------------------------------------------------------------------


def _id_field(**kwargs) -> serializers.IntegerField:
    """An id in a body: a whole number that fits a database id (a 20-digit one is a 400, not a 500)."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class SubscriptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    team = serializers.SerializerMethodField(help_text="The team that receives it (or `user`).")
    user = serializers.SerializerMethodField(help_text="The one staff member who receives it (or `team`).")
    language = serializers.ChoiceField(choices=Language.choices)
    frequency = serializers.ChoiceField(choices=DigestSubscription.Frequency.choices)
    weekday = serializers.ChoiceField(choices=DigestSubscription.Weekday.choices, help_text="Weekly: 0 is Monday.")
    day_of_month = serializers.IntegerField(help_text="Monthly: 1 to 28.")
    hour = serializers.IntegerField()
    minute = serializers.IntegerField()
    timezone = serializers.CharField()
    product_areas = serializers.SerializerMethodField()
    segments = serializers.ListField(child=serializers.ChoiceField(choices=Organization.Segment.choices))
    organizations = serializers.SerializerMethodField()
    clubs = serializers.SerializerMethodField()
    sections = serializers.ListField(child=serializers.ChoiceField(choices=Section.choices))
    waiting_days = serializers.IntegerField()
    unsubscribed = serializers.ListField(
        child=serializers.EmailField(), help_text="Addresses that used their one-click unsubscribe link."
    )
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(SubscriptionRefOutput(allow_null=True))
    def get_team(self, obj) -> dict | None:
        return None if obj.team is None else {"id": obj.team.pk, "name": obj.team.name}

    @extend_schema_field(SubscriptionRefOutput(allow_null=True))
    def get_user(self, obj) -> dict | None:
        return None if obj.user is None else {"id": obj.user.pk, "name": obj.user.name}

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_product_areas(self, obj) -> list[int]:
        return sorted(a.pk for a in obj.product_areas.all())  # prefetched

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_organizations(self, obj) -> list[int]:
        return sorted(o.pk for o in obj.organizations.all())  # prefetched

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_clubs(self, obj) -> list[int]:
        return sorted(c.pk for c in obj.clubs.all())  # prefetched


def _subscriptions():
    return DigestSubscription.objects.select_related("team", "user").prefetch_related(
        Prefetch("product_areas", queryset=ProductArea.objects.only("id")),
        Prefetch("organizations", queryset=Organization.objects.only("id")),
        Prefetch("clubs", queryset=Club.objects.only("id")),
    )


def _subscription_for(user: User, pk) -> DigestSubscription:
    """The subscription with what its output shows; 404 for anyone not on staff (reporting.policy)."""
    found = policy.subscription_get_visible_to(user=user, pk=pk)
    return _subscriptions().get(pk=found.pk)


class SubscriptionFilter(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter()
    team = IdFilter(field_name="team_id")
    user = IdFilter(field_name="user_id")

    class Meta:
        model = DigestSubscription
        fields: list[str] = []


SUBSCRIPTION_PARAMETERS = {"is_active", "team", "user", "cursor", "page_size"}


class SubscriptionInput(StrictInput):
    name = serializers.CharField(max_length=120)
    team = _id_field(required=False, allow_null=True, help_text="A team's id (or give `user`).")
    user = _id_field(required=False, allow_null=True, help_text="A staff member's id (or give `team`).")
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    frequency = serializers.ChoiceField(choices=DigestSubscription.Frequency.choices, required=False)
    weekday = serializers.ChoiceField(choices=DigestSubscription.Weekday.choices, required=False)
    day_of_month = serializers.IntegerField(min_value=1, max_value=28, required=False)
    hour = serializers.IntegerField(min_value=0, max_value=23, required=False)
    minute = serializers.IntegerField(min_value=0, max_value=59, required=False)
    timezone = serializers.CharField(max_length=64, required=False, help_text="An IANA time zone: Europe/Paris.")
    product_areas = serializers.ListField(child=_id_field(), required=False, max_length=MAX_CHOICES)
    segments = serializers.ListField(
        child=serializers.ChoiceField(choices=Organization.Segment.choices), required=False, max_length=MAX_CHOICES
    )
    organizations = serializers.ListField(child=_id_field(), required=False, max_length=MAX_CHOICES)
    clubs = serializers.ListField(child=_id_field(), required=False, max_length=MAX_CHOICES)
    sections = serializers.ListField(
        child=serializers.ChoiceField(choices=Section.choices), required=False, min_length=1, max_length=10
    )
    waiting_days = serializers.IntegerField(min_value=1, max_value=365, required=False)
    is_active = serializers.BooleanField(required=False)


class SubscriptionPatchInput(SubscriptionInput):
    name = serializers.CharField(max_length=120, required=False)


def _resolve(queryset, pk, field: str):
    """An object named in a body: a missing one is a 400 on that field."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise exceptions.ValidationError({field: [NOT_FOUND_IN_BODY]})
    return found


def _subscription_values(data: dict) -> dict:
    """Resolve the ids of a subscription's input (400 naming the field of an unknown one)."""
    values = dict(data)
    if "team" in values:
        values["team"] = _resolve(Team.objects.all(), values["team"], "team")
    if "user" in values:
        values["user"] = _resolve(User.objects.all(), values["user"], "user")
    for field, queryset in (
        ("product_areas", ProductArea.objects.all()),
        ("organizations", Organization.objects.all()),
        ("clubs", Club.objects.all()),
    ):
        if field in values:
            ids = set(values[field])
            found = list(queryset.filter(pk__in=ids))
            if len(found) != len(ids):
                raise exceptions.ValidationError({field: [NOT_FOUND_IN_BODY]})
            values[field] = found
    return values


class SubscriptionListCreateApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_digest_subscriptions_list",
        description="Staff: every digest subscription, newest first.",
        parameters=[
            OpenApiParameter("is_active", bool),
            OpenApiParameter("team", int),
            OpenApiParameter("user", int),
            *CURSOR_PARAMETERS,
        ],
        responses=page_schema("DigestSubscriptionPage", SubscriptionOutput),
    )
    def get(self, request):
        user = request.user
        _require_staff(user)
        _refuse_unknown_parameters(request, SUBSCRIPTION_PARAMETERS)
        queryset = filtered_queryset(request, SubscriptionFilter, _subscriptions())
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(SubscriptionOutput(page, many=True).data)

    @extend_schema(
        operation_id="v1_digest_subscriptions_create",
        description="Product owners subscribe a team or one staff member. An address of a client company in "
        "the team, or a client user, is refused: a digest names every company's requests.",
        request=SubscriptionInput,
        responses={201: SubscriptionOutput},
    )
    def post(self, request):
        user = request.user
        _require(user, Action.MANAGE)
        data = SubscriptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = service_call(
            services.subscription_save, actor=user, data=_subscription_values(data.validated_data)
        )
        return Response(
            SubscriptionOutput(_subscription_for(user, subscription.pk)).data, status=status.HTTP_201_CREATED
        )


class SubscriptionDetailApi(BodyFirstApiView):
    @extend_schema(operation_id="v1_digest_subscriptions_retrieve", responses=SubscriptionOutput)
    def get(self, request, pk: int):
        user = request.user
        _require_staff(user)
        return Response(SubscriptionOutput(_subscription_for(user, pk)).data)

    @extend_schema(
        operation_id="v1_digest_subscriptions_partial_update",
        description="Product owners change a subscription; to switch between a team and a person, send the "
        "new one and null for the other.",
        request=SubscriptionPatchInput,
        responses=SubscriptionOutput,
    )
    def patch(self, request, pk: int):
        user = request.user
        subscription = _subscription_for(user, pk)
        _require(user, Action.MANAGE)
        data = SubscriptionPatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        service_call(
            services.subscription_save,
            actor=user,
            data=_subscription_values(data.validated_data),
            subscription=subscription,
        )
        return Response(SubscriptionOutput(_subscription_for(user, pk)).data)

    @extend_schema(
        operation_id="v1_digest_subscriptions_destroy",
        description="Product owners delete a subscription, and the archive of its digests with it.",
        responses={204: None},
    )
    def delete(self, request, pk: int):
        user = request.user
        subscription = _subscription_for(user, pk)
        _require(user, Action.MANAGE)
        service_call(services.subscription_delete, actor=user, subscription=subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)


# The company dossier -------------------------------------------------------------------------


class DossierOrganizationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    email_domains = serializers.ListField(child=serializers.CharField())


class DossierOutput(serializers.Serializer):
    """reporting.dossier.dossier_for: what the dossier page shows, as plain data (`*_label` keys in your
    language; each list is the newest or largest few, its count exact)."""

    organization = DossierOrganizationOutput()
    revenue = serializers.DictField(help_text="Annual contract value, renewal, segment, tier, account owner.")
    contacts = serializers.DictField(help_text="The company's people and their roles, invitations pending.")
    requests = serializers.DictField(help_text="Requests by status: open, decided, shipped.")
    votes = serializers.DictField(help_text="Its votes and their importance, the requests it voted for most.")
    decisions = serializers.DictField(help_text="Decisions on the requests it asked or voted for.")
    loop = serializers.DictField(help_text="Whether its people were told of those decisions.")
    roadmap = serializers.DictField(help_text="The roadmap items its requests are linked to.")
    clubs = serializers.DictField(help_text="Club memberships, meetings and attendance, action items.")
    emails = serializers.DictField(help_text="The newest emails sent to its people: subject and status, no body.")


class OrganizationDossierApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_organizations_dossier",
        description="Staff: everything about one client company, as its dossier page shows it — contacts, "
        "requests, votes, revenue and renewal, decisions and whether they were told, clubs, emails.",
        responses=DossierOutput,
    )
    def get(self, request, pk: int):
        organization = policy.organization_get_visible_to(user=request.user, pk=pk)
        return Response(DossierOutput(dossier_for(organization)).data)
