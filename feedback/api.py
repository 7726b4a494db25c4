"""/api/v1/feedback/: thin DRF views over feedback.selectors and feedback.services."""

import django_filters
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Language, Organization, User
from core.api import DefaultPagination, StrictCursorPagination
from core.serializers import StrictInput
from feedback import limits, policy, selectors, services
from feedback.models import Comment, Feedback, ProductArea, Tag


class FeedbackCursorPagination(StrictCursorPagination):
    """Deep pages stay as fast as the first one."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class FeedbackFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Feedback.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Feedback.Kind.choices)
    source = django_filters.ChoiceFilter(choices=Feedback.Source.choices)
    language = django_filters.ChoiceFilter(choices=Language.choices)
    visibility = django_filters.ChoiceFilter(choices=Feedback.Visibility.choices)
    product_area = django_filters.NumberFilter(field_name="product_area_id")
    organization = django_filters.NumberFilter(field_name="organization_id")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    tag = django_filters.NumberFilter(field_name="tags")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Feedback
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        return queryset.filter(search_vector=selectors.search_query(value)) if value else queryset


class ClientFeedbackFilter(FeedbackFilter):
    """Clients never filter by a company or a staff member, and only by public tags."""

    STAFF_ONLY = ("organization", "assignee")
    tag = django_filters.NumberFilter(method="filter_public_tag")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.STAFF_ONLY:
            del self.filters[name]

    def filter_public_tag(self, queryset, name, value):
        return queryset.filter(tags__id=value, tags__is_public=True)


class FeedbackOutput(serializers.ModelSerializer):
    """For clients: which company asked is shown only on their own company's requests."""

    organization = serializers.SerializerMethodField()
    product_area = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    tags = serializers.SerializerMethodField()

    class Meta:
        model = Feedback
        fields = [
            "id",
            "title",
            "description",
            "kind",
            "status",
            "visibility",
            "language",
            "importance",
            "source",
            "organization",
            "product_area",
            "tags",
            "vote_count",
            "merged_into",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_organization(self, obj) -> str | None:
        organization = policy.organization_shown_to(user=self.context["user"], feedback=obj)
        return organization.slug if organization else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, obj) -> list[str]:
        return [tag.name for tag in policy.tags_visible_to(user=self.context["user"], feedback=obj)]


class StaffFeedbackOutput(FeedbackOutput):
    class Meta(FeedbackOutput.Meta):
        fields = [
            *FeedbackOutput.Meta.fields,
            "author",
            "submitted_by",
            "assignee",
            "organization_count",
            "revenue",
            "first_response_at",
            "snoozed_until",
        ]


class FeedbackForRole(StaffFeedbackOutput):
    """For the schema only: what each role receives. The staff-only fields are absent for clients."""

    author = serializers.IntegerField(required=False, help_text="Staff only.")
    submitted_by = serializers.IntegerField(required=False, allow_null=True, help_text="Staff only.")
    assignee = serializers.IntegerField(required=False, allow_null=True, help_text="Staff only.")
    organization_count = serializers.IntegerField(required=False, help_text="Staff only.")
    revenue = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, help_text="Staff only.")
    first_response_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Staff only.")
    snoozed_until = serializers.DateTimeField(required=False, allow_null=True, help_text="Staff only.")


FeedbackPage = inline_serializer(
    "FeedbackPage",
    {
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": FeedbackForRole(many=True),
    },
)


def _output(user, instance, many=False):
    serializer = StaffFeedbackOutput if user.is_staff_member else FeedbackOutput
    return serializer(instance, many=many, context={"user": user}).data


def _service_call(function, **kwargs):
    """Run a service; a role refusal becomes the API's 403 with the policy's reason."""
    try:
        return function(**kwargs)
    except PermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from exc


def _list_filter(request, queryset):
    filter_class = FeedbackFilter if request.user.is_staff_member else ClientFeedbackFilter
    if not request.user.is_staff_member:
        refused = sorted(set(request.query_params) & set(ClientFeedbackFilter.STAFF_ONLY))
        if refused:
            raise exceptions.ValidationError(
                {name: [_("This filter is for the publisher's staff only.")] for name in refused}
            )
    filtered = filter_class(request.query_params, queryset=queryset, request=request)
    if not filtered.is_valid():
        raise exceptions.ValidationError(filtered.errors)
    return filtered.qs


class ClientCreateInput(StrictInput):
    title = serializers.CharField(max_length=limits.TITLE_MAX)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limits.DESCRIPTION_MAX, trim_whitespace=True
    )
    kind = serializers.ChoiceField(choices=Feedback.Kind.choices, default=Feedback.Kind.IDEA)
    importance = serializers.ChoiceField(choices=Feedback.Importance.choices, default=Feedback.Importance.IMPORTANT)
    visibility = serializers.ChoiceField(choices=Feedback.Visibility.choices, default=Feedback.Visibility.PRIVATE)
    product_area = serializers.SlugRelatedField(
        slug_field="slug", queryset=ProductArea.objects.all(), required=False, allow_null=True
    )
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    organization = serializers.SlugRelatedField(slug_field="slug", queryset=Organization.objects.all(), required=False)


class StaffCreateInput(ClientCreateInput):
    """Staff log a request on behalf of a client contact (`author`, a client user's id)."""

    author = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(client_membership__isnull=False))


class FeedbackListCreateApi(APIView):
    @extend_schema(
        operation_id="v1_feedback_list",
        parameters=[OpenApiParameter("search", str)],
        responses=FeedbackPage,
    )
    def get(self, request):
        queryset = (
            Feedback.objects.filter(policy.feedback_visible_q(user=request.user))
            .select_related("organization", "product_area")
            .prefetch_related("tags")
        )
        paginator = FeedbackCursorPagination()
        page = paginator.paginate_queryset(_list_filter(request, queryset), request, view=self)
        return paginator.get_paginated_response(_output(request.user, page, many=True))

    @extend_schema(request=StaffCreateInput, responses={201: FeedbackForRole})
    def post(self, request):
        user = request.user
        if not user.is_staff_member and user.organization is None:
            raise exceptions.PermissionDenied(_("Your account is not attached to a client company."))
        data = (StaffCreateInput if user.is_staff_member else ClientCreateInput)(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if user.is_staff_member:
            author, submitted_by, source = values["author"], user, Feedback.Source.STAFF
        else:
            author, submitted_by, source = user, None, Feedback.Source.API
        organization = values.get("organization") or author.organization
        if organization != author.organization:
            raise exceptions.ValidationError(
                {"organization": [_("You can only submit requests for your own organization.")]}
            )
        feedback = _service_call(
            services.feedback_submit,
            author=author,
            organization=organization,
            title=values["title"],
            description=values["description"],
            kind=values["kind"],
            importance=values["importance"],
            visibility=values["visibility"],
            product_area=values.get("product_area"),
            language=values.get("language"),
            source=source,
            submitted_by=submitted_by,
        )
        return Response(_output(user, feedback), status=status.HTTP_201_CREATED)


class PatchInput(StrictInput):
    status = serializers.ChoiceField(choices=Feedback.Status.choices, required=False)
    public_message = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limits.PUBLIC_MESSAGE_MAX
    )
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.staff(), required=False, allow_null=True)
    product_area = serializers.SlugRelatedField(
        slug_field="slug", queryset=ProductArea.objects.all(), required=False, allow_null=True
    )
    tags = serializers.SlugRelatedField(slug_field="name", queryset=Tag.objects.all(), many=True, required=False)


class FeedbackDetailApi(APIView):
    @extend_schema(responses=FeedbackForRole)
    def get(self, request, pk: int):
        feedback = policy.feedback_get_visible_to(user=request.user, pk=pk)
        return Response(_output(request.user, feedback))

    @extend_schema(request=PatchInput, responses=FeedbackForRole)
    def patch(self, request, pk: int):
        user = request.user
        feedback = policy.feedback_get_visible_to(user=user, pk=pk)  # 404 before any role question
        _service_call(policy.feedback_require, user=user, action=policy.Action.TRIAGE)
        data = PatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        changes = {key: values[key] for key in ("assignee", "product_area", "tags") if key in values}
        _service_call(
            services.feedback_update,
            feedback=feedback,
            actor=user,
            status=values.get("status"),
            public_message=values.get("public_message", ""),
            **changes,
        )
        return Response(_output(user, policy.feedback_get_visible_to(user=user, pk=pk)))


class CommentInput(StrictInput):
    body = serializers.CharField(max_length=limits.COMMENT_MAX)


class StaffCommentInput(CommentInput):
    is_internal = serializers.BooleanField(default=False)


class CommentOutput(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_full_name")

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "is_internal", "created_at"]


class CommentApi(APIView):
    @extend_schema(
        responses=inline_serializer(
            "CommentPage",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": CommentOutput(many=True),
            },
        )
    )
    def get(self, request, pk: int):
        feedback = policy.feedback_get_visible_to(user=request.user, pk=pk)
        comments = policy.comments_visible_to(user=request.user, feedback=feedback)
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(comments, request, view=self)
        return paginator.get_paginated_response(CommentOutput(page, many=True).data)

    @extend_schema(request=StaffCommentInput, responses={201: CommentOutput})
    def post(self, request, pk: int):
        feedback = policy.feedback_get_visible_to(user=request.user, pk=pk)
        data = (StaffCommentInput if request.user.is_staff_member else CommentInput)(data=request.data)
        data.is_valid(raise_exception=True)
        comment = _service_call(
            services.comment_add,
            feedback=feedback,
            author=request.user,
            body=data.validated_data["body"],
            is_internal=data.validated_data.get("is_internal", False),
        )
        return Response(CommentOutput(comment).data, status=status.HTTP_201_CREATED)


class VoteInput(StrictInput):
    importance = serializers.ChoiceField(choices=Feedback.Importance.choices, default=Feedback.Importance.IMPORTANT)


class VoteApi(APIView):
    @extend_schema(request=VoteInput, responses=FeedbackForRole)
    def post(self, request, pk: int):
        feedback = policy.feedback_get_visible_to(user=request.user, pk=pk)
        data = VoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        _service_call(
            services.vote_cast, feedback=feedback, user=request.user, importance=data.validated_data["importance"]
        )
        return Response(_output(request.user, policy.feedback_get_visible_to(user=request.user, pk=pk)))

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        feedback = policy.feedback_get_visible_to(user=request.user, pk=pk)
        services.vote_remove(feedback=feedback, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SimilarApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("title", str, required=True)],
        responses=inline_serializer("SimilarList", {"results": FeedbackOutput(many=True)}),
    )
    def get(self, request):
        title = request.query_params.get("title", "")
        if len(title.strip()) < 4:
            raise exceptions.ValidationError({"title": [_("Give at least 4 characters.")]})
        items = selectors.feedback_similar(user=request.user, title=title[: limits.TITLE_MAX])
        return Response({"results": FeedbackOutput(items, many=True, context={"user": request.user}).data})
