"""/api/v1/roadmap-items/, /api/v1/decisions/, /api/v1/releases/: thin DRF views over roadmap.policy and
roadmap.services, on the model of feedback.api.

Clients read public items in their client-facing wording (never which organizations asked), the
decisions on requests they may see (never the internal rationale) and published releases. Staff read
everything; product owners write (roadmap.policy decides, a refusal is a 403 with its reason).
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from accounts.models import User
from core.api import StrictCursorPagination
from core.api_views import BodyFirstApiView, IdFilter, filtered_queryset, page_schema, service_call
from core.serializers import StrictInput
from feedback.models import Feedback, ProductArea
from roadmap import policy, services
from roadmap.models import Decision, Release, RoadmapItem

TEXT_MAX = services.TEXT_MAX
DECISION_TEXT_MAX = 5000


def _require(user: User, action: policy.Action) -> None:
    service_call(policy.roadmap_require, user=user, action=action)


# Roadmap items ------------------------------------------------------------------------------

# Each sort is its own fixed cursor ordering (the cursor holds a position in that ordering).
ITEM_ORDERINGS = {
    "newest": ("-id",),
    "revenue_at_risk": ("-revenue_at_risk", "-id"),
    "rice_score": ("-rice_score", "-id"),
    "revenue": ("-revenue", "-id"),
    "organization_count": ("-organization_count", "-id"),
    "vote_count": ("-vote_count", "-id"),
}
# Clients see how many organizations asked, and nothing else of the business case: sorting by a
# figure they may not read would reveal it.
CLIENT_ITEM_ORDERINGS = ("newest", "organization_count")


class ItemCursorPagination(StrictCursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ItemFilter(django_filters.FilterSet):
    STAFF_ONLY = ("owner", "is_public")

    status = django_filters.MultipleChoiceFilter(choices=RoadmapItem.Status.choices)
    product_area = django_filters.CharFilter(field_name="product_area__slug")
    quarter = django_filters.CharFilter(field_name="target_quarter")
    owner = IdFilter(field_name="owner_id")
    is_public = django_filters.BooleanFilter()

    class Meta:
        model = RoadmapItem
        fields: list[str] = []


class VotesByImportance(serializers.Serializer):
    nice_to_have = serializers.IntegerField(source="votes_nice_to_have")
    important = serializers.IntegerField(source="votes_important")
    critical = serializers.IntegerField(source="votes_critical")


class VotesByProvenance(serializers.Serializer):
    direct = serializers.IntegerField(source="votes_direct")
    on_behalf = serializers.IntegerField(source="votes_on_behalf")
    meeting = serializers.IntegerField(source="votes_meeting")


class ItemOutput(serializers.Serializer):
    """For clients: the client-facing wording, and how many organizations asked (never which)."""

    id = serializers.IntegerField()
    title = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=RoadmapItem.Status.choices)
    target_quarter = serializers.CharField()
    organization_count = serializers.IntegerField()
    main_request = serializers.SerializerMethodField(
        help_text="The request a client's “me too” votes for, if this client may see it."
    )
    updated_at = serializers.DateTimeField()

    def get_title(self, obj) -> str:
        return policy.item_title_for(user=self.context["user"], item=obj)

    def get_text(self, obj) -> str:
        return policy.item_text_for(user=self.context["user"], item=obj)

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_main_request(self, obj) -> int | None:
        request = policy.main_request_for_me_too(user=self.context["user"], item=obj)
        return request.pk if request else None


class StaffItemOutput(serializers.Serializer):
    """For staff: the internal wording, the public one, and the whole business case."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=RoadmapItem.Status.choices)
    target_quarter = serializers.CharField()
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    product_area = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    is_public = serializers.BooleanField()
    public_title = serializers.CharField()
    public_text = serializers.CharField()
    main_request = serializers.IntegerField(source="main_request_id", allow_null=True)
    request_count = serializers.IntegerField()
    vote_count = serializers.IntegerField()
    votes_by_importance = VotesByImportance(source="*")
    votes_by_provenance = VotesByProvenance(source="*")
    organization_count = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=16, decimal_places=2)
    revenue_at_risk = serializers.DecimalField(max_digits=16, decimal_places=2)
    segments = serializers.DictField(child=serializers.IntegerField())
    club_priority = serializers.IntegerField()
    reach = serializers.IntegerField()
    reach_override = serializers.IntegerField(allow_null=True)
    impact = serializers.ChoiceField(choices=RoadmapItem.Impact.choices)
    confidence = serializers.IntegerField()
    effort = serializers.DecimalField(max_digits=6, decimal_places=1)
    rice_score = serializers.FloatField()
    business_case_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _staff_only(field_class: type[serializers.Field], **kwargs) -> serializers.Field:
    """A field of the schema's *ForRole serializers that clients do not receive (so not required)."""
    return field_class(required=False, help_text="Staff only.", **kwargs)


class ItemForRole(serializers.Serializer):
    """For the schema only: what each role receives. Staff-only fields are absent for clients; `text`
    (the client-facing text) is absent for staff, who read `description` and `public_text`."""

    id = serializers.IntegerField()
    title = serializers.CharField(help_text="Staff: the internal title. Clients: the client-facing title.")
    text = serializers.CharField(required=False, help_text="Clients only: the client-facing text.")
    status = serializers.ChoiceField(choices=RoadmapItem.Status.choices)
    target_quarter = serializers.CharField()
    organization_count = serializers.IntegerField(help_text="How many organizations asked.")
    main_request = serializers.IntegerField(
        allow_null=True, help_text="Clients: only if they may see that request (the “me too” target)."
    )
    updated_at = serializers.DateTimeField()
    description = _staff_only(serializers.CharField)
    owner = _staff_only(serializers.IntegerField, allow_null=True)
    product_area = _staff_only(serializers.CharField, allow_null=True)
    is_public = _staff_only(serializers.BooleanField)
    public_title = _staff_only(serializers.CharField)
    public_text = _staff_only(serializers.CharField)
    request_count = _staff_only(serializers.IntegerField)
    vote_count = _staff_only(serializers.IntegerField)
    votes_by_importance = _staff_only(VotesByImportance)
    votes_by_provenance = _staff_only(VotesByProvenance)
    revenue = _staff_only(serializers.DecimalField, max_digits=16, decimal_places=2)
    revenue_at_risk = _staff_only(serializers.DecimalField, max_digits=16, decimal_places=2)
    segments = _staff_only(serializers.DictField, child=serializers.IntegerField())
    club_priority = _staff_only(serializers.IntegerField)
    reach = _staff_only(serializers.IntegerField)
    reach_override = _staff_only(serializers.IntegerField, allow_null=True)
    impact = _staff_only(serializers.ChoiceField, choices=RoadmapItem.Impact.choices)
    confidence = _staff_only(serializers.IntegerField)
    effort = _staff_only(serializers.DecimalField, max_digits=6, decimal_places=1)
    rice_score = _staff_only(serializers.FloatField)
    business_case_at = _staff_only(serializers.DateTimeField, allow_null=True)
    created_at = _staff_only(serializers.DateTimeField)


def _items():
    return RoadmapItem.objects.select_related("product_area", "main_request")


def _item_output(user: User, instance, many=False):
    serializer = StaffItemOutput if user.is_staff_member else ItemOutput
    return serializer(instance, many=many, context={"user": user}).data


def _item_for(user: User, pk) -> RoadmapItem:
    """The one lookup of an item from a request (roadmap.policy), with what its output reads."""
    try:
        return _items().filter(policy.item_visible_q(user=user)).get(pk=int(pk))
    except (RoadmapItem.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc


class ItemInput(StrictInput):
    title = serializers.CharField(max_length=services.TITLE_MAX)
    status = serializers.ChoiceField(choices=RoadmapItem.Status.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    target_quarter = serializers.CharField(required=False, allow_blank=True, max_length=7)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.staff(), required=False, allow_null=True)
    product_area = serializers.SlugRelatedField(
        slug_field="slug", queryset=ProductArea.objects.all(), required=False, allow_null=True
    )
    is_public = serializers.BooleanField(required=False)
    public_title = serializers.CharField(required=False, allow_blank=True, max_length=services.TITLE_MAX)
    public_text = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    reach_override = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10_000_000)
    impact = serializers.ChoiceField(choices=RoadmapItem.Impact.choices, required=False)
    confidence = serializers.IntegerField(required=False, min_value=0, max_value=100)
    effort = serializers.DecimalField(
        max_digits=6, decimal_places=1, required=False, min_value=Decimal("0.1"), max_value=9999
    )


class ItemPatchInput(ItemInput):
    """Any of the item's fields; `status` moves it on the board. All or nothing."""

    main_request = serializers.PrimaryKeyRelatedField(queryset=Feedback.objects.all(), required=False, allow_null=True)


class ItemListCreateApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_roadmap_items_list",
        parameters=[
            OpenApiParameter(
                "ordering",
                str,
                enum=list(ITEM_ORDERINGS),
                description=f"Staff: any. Clients: {', '.join(CLIENT_ITEM_ORDERINGS)}. Default: newest.",
            ),
            OpenApiParameter("status", str, many=True, enum=RoadmapItem.Status.values),
            OpenApiParameter("product_area", str, description="A product area's slug."),
            OpenApiParameter("quarter", str, description="2027-Q1"),
            OpenApiParameter("owner", int, description="Staff only: a staff member's id."),
            OpenApiParameter("is_public", bool, description="Staff only."),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses=page_schema("RoadmapItemPage", ItemForRole),
    )
    def get(self, request):
        user = request.user
        sort = request.query_params.get("ordering") or "newest"
        allowed = ITEM_ORDERINGS if user.is_staff_member else CLIENT_ITEM_ORDERINGS
        if sort not in allowed:
            raise exceptions.ValidationError(
                {"ordering": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)}]}
            )
        queryset = filtered_queryset(
            request, ItemFilter, _items().filter(policy.item_visible_q(user=user)), staff_only=ItemFilter.STAFF_ONLY
        )
        paginator = ItemCursorPagination()
        paginator.ordering = ITEM_ORDERINGS[sort]
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(_item_output(user, page, many=True))

    @extend_schema(operation_id="v1_roadmap_items_create", request=ItemInput, responses={201: ItemForRole})
    def post(self, request):
        user = request.user
        _require(user, policy.Action.EDIT)
        data = ItemInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = service_call(services.item_create, actor=user, **data.validated_data)
        return Response(_item_output(user, _item_for(user, item.pk)), status=status.HTTP_201_CREATED)


class ItemDetailApi(BodyFirstApiView):
    @extend_schema(operation_id="v1_roadmap_items_retrieve", responses=ItemForRole)
    def get(self, request, pk: int):
        return Response(_item_output(request.user, _item_for(request.user, pk)))

    @extend_schema(operation_id="v1_roadmap_items_partial_update", request=ItemPatchInput, responses=ItemForRole)
    def patch(self, request, pk: int):
        user = request.user
        item = _item_for(user, pk)  # 404 before any role question
        _require(user, policy.Action.EDIT)
        data = ItemPatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        new_status = values.pop("status", None)
        with transaction.atomic():  # the move and the edit together, or neither
            if new_status is not None:
                item = service_call(services.item_move, item=item, actor=user, status=new_status)
            if values:
                service_call(services.item_update, item=item, actor=user, **values)
        return Response(_item_output(user, _item_for(user, pk)))


class LinkedRequestOutput(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Feedback
        fields = ["id", "title", "status", "visibility", "organization", "vote_count"]


class LinkInput(StrictInput):
    feedback = serializers.PrimaryKeyRelatedField(queryset=Feedback.objects.all())


class LinkedRequestPagination(StrictCursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ItemFeedbackApi(BodyFirstApiView):
    """The requests linked to an item: staff only (a client gets 404, even on a public item: which
    requests, and so which companies, asked is the business case's drill-down)."""

    def _item(self, request, pk) -> RoadmapItem:
        if not request.user.is_staff_member:
            raise Http404
        return _item_for(request.user, pk)

    @extend_schema(
        operation_id="v1_roadmap_items_feedback_list",
        parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        responses=page_schema("LinkedRequestPage", LinkedRequestOutput),
    )
    def get(self, request, pk: int):
        item = self._item(request, pk)
        requests = Feedback.objects.filter(roadmap_link__item=item).select_related("organization")
        paginator = LinkedRequestPagination()
        page = paginator.paginate_queryset(requests, request, view=self)
        return paginator.get_paginated_response(LinkedRequestOutput(page, many=True).data)

    @extend_schema(operation_id="v1_roadmap_items_feedback_link", request=LinkInput, responses=ItemForRole)
    def post(self, request, pk: int):
        item = self._item(request, pk)
        _require(request.user, policy.Action.LINK)
        data = LinkInput(data=request.data)
        data.is_valid(raise_exception=True)
        service_call(
            services.item_link_feedback, item=item, feedback=data.validated_data["feedback"], actor=request.user
        )
        return Response(_item_output(request.user, _item_for(request.user, pk)))

    @extend_schema(
        operation_id="v1_roadmap_items_feedback_unlink",
        description='Unlink a request: its id in the body (`{"feedback": 12}`) or as the `feedback` parameter.',
        parameters=[OpenApiParameter("feedback", int, description="The request to unlink (or in the body).")],
        responses={204: None},
    )
    def delete(self, request, pk: int):
        item = self._item(request, pk)
        _require(request.user, policy.Action.LINK)
        body = request.data
        if not body and "feedback" in request.query_params:
            body = {"feedback": request.query_params["feedback"]}
        data = LinkInput(data=body)
        data.is_valid(raise_exception=True)
        service_call(
            services.item_unlink_feedback, item=item, feedback=data.validated_data["feedback"], actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# Decisions ----------------------------------------------------------------------------------


class DecisionCursorPagination(StrictCursorPagination):
    ordering = "-id"  # ids grow with decided_at (set on creation)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class DecisionFilter(django_filters.FilterSet):
    STAFF_ONLY = ("outcome",)  # whether an outcome was reached is internal

    kind = django_filters.ChoiceFilter(choices=Decision.Kind.choices)
    outcome = django_filters.ChoiceFilter(choices=Decision.Outcome.choices)
    item = IdFilter(field_name="item_id")
    feedback = IdFilter(field_name="feedback_id")

    class Meta:
        model = Decision
        fields: list[str] = []


class DecisionOutput(serializers.Serializer):
    """For clients: what was decided and what they were told — never why internally."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Decision.Kind.choices)
    public_message = serializers.CharField()
    decided_at = serializers.DateTimeField()
    feedback = serializers.IntegerField(source="feedback_id", allow_null=True)
    item = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_item(self, obj) -> int | None:
        # Policy: a client's decision on an item is on a public one; checked again, not assumed.
        item = obj.item
        return item.pk if item is not None and policy.item_is_visible_to(user=self.context["user"], item=item) else None


class StaffDecisionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Decision.Kind.choices)
    public_message = serializers.CharField()
    decided_at = serializers.DateTimeField()
    feedback = serializers.IntegerField(source="feedback_id", allow_null=True)
    item = serializers.IntegerField(source="item_id", allow_null=True)
    rationale = serializers.CharField()
    expected_outcome = serializers.CharField()
    outcome = serializers.ChoiceField(choices=Decision.Outcome.choices)
    actual_outcome = serializers.CharField()
    lesson = serializers.CharField()
    outcome_recorded_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.IntegerField(source="decided_by_id", allow_null=True)
    clients_told_at = serializers.DateTimeField(allow_null=True)
    product_area = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)


class DecisionForRole(serializers.Serializer):
    """For the schema only: the staff-only fields are absent for clients."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Decision.Kind.choices)
    public_message = serializers.CharField()
    decided_at = serializers.DateTimeField()
    feedback = serializers.IntegerField(allow_null=True)
    item = serializers.IntegerField(allow_null=True, help_text="Clients: only a public item.")
    rationale = _staff_only(serializers.CharField)
    expected_outcome = _staff_only(serializers.CharField)
    outcome = _staff_only(serializers.ChoiceField, choices=Decision.Outcome.choices)
    actual_outcome = _staff_only(serializers.CharField)
    lesson = _staff_only(serializers.CharField)
    outcome_recorded_at = _staff_only(serializers.DateTimeField, allow_null=True)
    decided_by = _staff_only(serializers.IntegerField, allow_null=True)
    clients_told_at = _staff_only(serializers.DateTimeField, allow_null=True)
    product_area = _staff_only(serializers.CharField, allow_null=True)


def _decision_output(user: User, instance, many=False):
    serializer = StaffDecisionOutput if user.is_staff_member else DecisionOutput
    return serializer(instance, many=many, context={"user": user}).data


def _decision_for(user: User, pk) -> Decision:
    try:
        return (
            Decision.objects.filter(policy.decision_visible_q(user=user))
            .select_related("item", "product_area")
            .get(pk=int(pk))
        )
    except (Decision.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc


class DecisionInput(StrictInput):
    kind = serializers.ChoiceField(choices=Decision.Kind.choices)
    item = serializers.PrimaryKeyRelatedField(queryset=RoadmapItem.objects.all(), required=False, allow_null=True)
    feedback = serializers.PrimaryKeyRelatedField(queryset=Feedback.objects.all(), required=False, allow_null=True)
    rationale = serializers.CharField(required=False, allow_blank=True, default="", max_length=DECISION_TEXT_MAX)
    public_message = serializers.CharField(required=False, allow_blank=True, default="", max_length=DECISION_TEXT_MAX)
    expected_outcome = serializers.CharField(required=False, allow_blank=True, default="", max_length=DECISION_TEXT_MAX)


class OutcomeInput(StrictInput):
    outcome = serializers.ChoiceField(choices=[(c, label) for c, label in Decision.Outcome.choices if c != "unknown"])
    actual_outcome = serializers.CharField(max_length=DECISION_TEXT_MAX)
    lesson = serializers.CharField(required=False, allow_blank=True, default="", max_length=DECISION_TEXT_MAX)


class DecisionListCreateApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_decisions_list",
        parameters=[
            OpenApiParameter("kind", str, enum=Decision.Kind.values),
            OpenApiParameter("outcome", str, enum=Decision.Outcome.values, description="Staff only."),
            OpenApiParameter("item", int),
            OpenApiParameter("feedback", int),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses=page_schema("DecisionPage", DecisionForRole),
    )
    def get(self, request):
        user = request.user
        queryset = Decision.objects.filter(policy.decision_visible_q(user=user)).select_related("item", "product_area")
        queryset = filtered_queryset(request, DecisionFilter, queryset, staff_only=DecisionFilter.STAFF_ONLY)
        paginator = DecisionCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(_decision_output(user, page, many=True))

    @extend_schema(operation_id="v1_decisions_create", request=DecisionInput, responses={201: DecisionForRole})
    def post(self, request):
        user = request.user
        _require(user, policy.Action.DECIDE)
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        decision = service_call(services.decision_record, actor=user, **data.validated_data)
        return Response(_decision_output(user, _decision_for(user, decision.pk)), status=status.HTTP_201_CREATED)


class DecisionDetailApi(BodyFirstApiView):
    @extend_schema(operation_id="v1_decisions_retrieve", responses=DecisionForRole)
    def get(self, request, pk: int):
        return Response(_decision_output(request.user, _decision_for(request.user, pk)))

    @extend_schema(
        operation_id="v1_decisions_outcome",
        description="Record whether an accepted decision's expected outcome was reached, once its item "
        "shipped or was cancelled.",
        request=OutcomeInput,
        responses=DecisionForRole,
    )
    def patch(self, request, pk: int):
        user = request.user
        decision = _decision_for(user, pk)
        _require(user, policy.Action.DECIDE)
        data = OutcomeInput(data=request.data)
        data.is_valid(raise_exception=True)
        service_call(services.decision_record_outcome, decision=decision, actor=user, **data.validated_data)
        return Response(_decision_output(user, _decision_for(user, pk)))


# Releases -----------------------------------------------------------------------------------


class ReleaseCursorPagination(StrictCursorPagination):
    ordering = ("-release_date", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ReleaseItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(help_text="Staff: the internal title. Clients: the client-facing title.")


class ReleaseOutput(serializers.Serializer):
    """For clients: the changelog entry and its public items, in their client-facing wording."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    release_date = serializers.DateField()
    status = serializers.ChoiceField(choices=Release.Status.choices)
    published_at = serializers.DateTimeField(allow_null=True)
    items = serializers.SerializerMethodField()

    @extend_schema_field(ReleaseItemOutput(many=True))
    def get_items(self, obj) -> list[dict]:
        user = self.context["user"]
        return [
            {"id": item.pk, "title": policy.item_title_for(user=user, item=item)}
            for item in obj.items.all()  # prefetched, ordered by id
            if policy.item_is_visible_to(user=user, item=item)
        ]


class StaffReleaseOutput(ReleaseOutput):
    published_by = serializers.IntegerField(source="published_by_id", allow_null=True)
    fanned_out_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class ReleaseForRole(ReleaseOutput):
    """For the schema only: the staff-only fields are absent for clients (who see published ones)."""

    items = ReleaseItemOutput(many=True, help_text="Clients: public items only.")
    published_by = _staff_only(serializers.IntegerField, allow_null=True)
    fanned_out_at = _staff_only(serializers.DateTimeField, allow_null=True)
    created_at = _staff_only(serializers.DateTimeField)


def _releases(user: User):
    return Release.objects.filter(policy.release_visible_q(user=user)).prefetch_related(
        Prefetch("items", queryset=RoadmapItem.objects.order_by("pk"))
    )


def _release_output(user: User, instance, many=False):
    serializer = StaffReleaseOutput if user.is_staff_member else ReleaseOutput
    return serializer(instance, many=many, context={"user": user}).data


def _release_for(user: User, pk) -> Release:
    try:
        return _releases(user).get(pk=int(pk))
    except (Release.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc


class ReleaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Release.Status.choices)

    class Meta:
        model = Release
        fields: list[str] = []


class ReleaseInput(StrictInput):
    title = serializers.CharField(max_length=services.TITLE_MAX)
    body = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)
    release_date = serializers.DateField()
    items = serializers.PrimaryKeyRelatedField(queryset=RoadmapItem.objects.all(), many=True, required=False)


class ReleasePatchInput(ReleaseInput):
    title = serializers.CharField(max_length=services.TITLE_MAX, required=False)
    body = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)
    release_date = serializers.DateField(required=False)


class PublishInput(StrictInput):
    """Publishing takes no field: an empty body (or `{}`)."""


class ReleaseListCreateApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_releases_list",
        parameters=[
            OpenApiParameter("status", str, enum=Release.Status.values, description="Clients see published ones."),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses=page_schema("ReleasePage", ReleaseForRole),
    )
    def get(self, request):
        user = request.user
        queryset = filtered_queryset(request, ReleaseFilter, _releases(user))
        paginator = ReleaseCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(_release_output(user, page, many=True))

    @extend_schema(operation_id="v1_releases_create", request=ReleaseInput, responses={201: ReleaseForRole})
    def post(self, request):
        user = request.user
        _require(user, policy.Action.RELEASE)
        data = ReleaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        release = service_call(services.release_save, actor=user, **data.validated_data)
        return Response(_release_output(user, _release_for(user, release.pk)), status=status.HTTP_201_CREATED)


class ReleaseDetailApi(BodyFirstApiView):
    @extend_schema(operation_id="v1_releases_retrieve", responses=ReleaseForRole)
    def get(self, request, pk: int):
        return Response(_release_output(request.user, _release_for(request.user, pk)))

    @extend_schema(
        operation_id="v1_releases_partial_update",
        description="Change a draft release; a published one is history (400).",
        request=ReleasePatchInput,
        responses=ReleaseForRole,
    )
    def patch(self, request, pk: int):
        user = request.user
        release = _release_for(user, pk)
        _require(user, policy.Action.RELEASE)
        data = ReleasePatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        service_call(
            services.release_save,
            actor=user,
            release=release,
            title=values.get("title", release.title),
            body=values.get("body", release.body),
            release_date=values.get("release_date", release.release_date),
            items=values.get("items"),
        )
        return Response(_release_output(user, _release_for(user, pk)))


class ReleasePublishApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_releases_publish",
        description="Publish a draft: its items ship and everyone who asked is told, once. Publishing a "
        "published release changes nothing and sends nothing (200).",
        request=PublishInput,
        responses=ReleaseForRole,
    )
    def post(self, request, pk: int):
        user = request.user
        release = _release_for(user, pk)
        _require(user, policy.Action.RELEASE)
        PublishInput(data=request.data).is_valid(raise_exception=True)
        service_call(services.release_publish, release=release, actor=user)
        return Response(_release_output(user, _release_for(user, pk)))
