"""/api/v1/feedback/: thin DRF views over feedback.selectors and feedback.services."""

import django_filters
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Language, Organization, User
from core.api import DefaultPagination
from feedback import selectors, services
from feedback.models import Comment, Feedback, ProductArea, Tag


class FeedbackCursorPagination(CursorPagination):
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


class FeedbackOutput(serializers.ModelSerializer):
    """For clients: which company asked is shown only on their own company's requests."""

    organization = serializers.SerializerMethodField()
    product_area = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

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
        user = self.context.get("user")
        if (
            user is not None
            and not user.is_staff_member
            and obj.organization_id != getattr(user.organization, "pk", None)
        ):
            return None
        return obj.organization.slug


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


def _output(user, instance, many=False):
    serializer = StaffFeedbackOutput if user.is_staff_member else FeedbackOutput
    return serializer(instance, many=many, context={"user": user}).data


def _refuse_unknown(data, allowed: set[str]) -> None:
    refused = sorted(set(data) - allowed)
    if refused:
        raise exceptions.ValidationError({field: [_("This field cannot be set.")] for field in refused})


class FeedbackListCreateApi(APIView):
    class CreateInput(serializers.Serializer):
        title = serializers.CharField(max_length=200)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        kind = serializers.ChoiceField(choices=Feedback.Kind.choices, default=Feedback.Kind.IDEA)
        importance = serializers.ChoiceField(choices=Feedback.Importance.choices, default=Feedback.Importance.IMPORTANT)
        visibility = serializers.ChoiceField(choices=Feedback.Visibility.choices, default=Feedback.Visibility.PRIVATE)
        product_area = serializers.SlugRelatedField(
            slug_field="slug", queryset=ProductArea.objects.all(), required=False, allow_null=True
        )
        language = serializers.ChoiceField(choices=Language.choices, required=False)
        organization = serializers.SlugRelatedField(
            slug_field="slug", queryset=Organization.objects.all(), required=False
        )
        author = serializers.PrimaryKeyRelatedField(
            queryset=User.objects.filter(client_membership__isnull=False), required=False
        )

    CLIENT_FIELDS = {
        "title",
        "description",
        "kind",
        "importance",
        "visibility",
        "product_area",
        "language",
        "organization",
    }
    STAFF_FIELDS = CLIENT_FIELDS | {"author"}

    @extend_schema(parameters=[OpenApiParameter("search", str)], responses=StaffFeedbackOutput(many=True))
    def get(self, request):
        queryset = (
            Feedback.objects.filter(selectors.feedback_visible_q(user=request.user))
            .select_related("organization", "product_area")
            .prefetch_related("tags")
        )
        filtered = FeedbackFilter(request.query_params, queryset=queryset, request=request)
        if not filtered.is_valid():
            raise exceptions.ValidationError(filtered.errors)
        paginator = FeedbackCursorPagination()
        page = paginator.paginate_queryset(filtered.qs, request, view=self)
        return paginator.get_paginated_response(_output(request.user, page, many=True))

    @extend_schema(request=CreateInput, responses={201: StaffFeedbackOutput})
    def post(self, request):
        user = request.user
        _refuse_unknown(request.data, self.STAFF_FIELDS if user.is_staff_member else self.CLIENT_FIELDS)
        data = self.CreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if user.is_staff_member:
            author = values.get("author")
            if author is None:
                raise exceptions.ValidationError(
                    {"author": [_("Staff must name the client contact this request is for.")]}
                )
            submitted_by, source = user, Feedback.Source.STAFF
        else:
            if user.organization is None:
                raise exceptions.PermissionDenied(_("Your account is not attached to a client company."))
            author, submitted_by, source = user, None, Feedback.Source.API
        organization = values.get("organization") or author.organization
        if organization != author.organization:
            raise exceptions.ValidationError(
                {"organization": [_("You can only submit requests for your own organization.")]}
            )
        feedback = services.feedback_submit(
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


class FeedbackDetailApi(APIView):
    class PatchInput(serializers.Serializer):
        status = serializers.ChoiceField(choices=Feedback.Status.choices, required=False)
        public_message = serializers.CharField(required=False, allow_blank=True, default="")
        assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.staff(), required=False, allow_null=True)
        product_area = serializers.SlugRelatedField(
            slug_field="slug", queryset=ProductArea.objects.all(), required=False, allow_null=True
        )
        tags = serializers.SlugRelatedField(slug_field="name", queryset=Tag.objects.all(), many=True, required=False)

    @extend_schema(responses=StaffFeedbackOutput)
    def get(self, request, pk: int):
        feedback = selectors.feedback_get_visible_to(user=request.user, pk=pk)
        return Response(_output(request.user, feedback))

    @extend_schema(request=PatchInput, responses=StaffFeedbackOutput)
    def patch(self, request, pk: int):
        user = request.user
        feedback = selectors.feedback_get_visible_to(user=user, pk=pk)
        if not user.is_staff_member:
            # Clients set nothing through PATCH: status, assignee and the rest are the publisher's.
            _refuse_unknown(request.data, set())
        _refuse_unknown(request.data, {"status", "public_message", "assignee", "product_area", "tags"})
        data = self.PatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            if "status" in values:
                feedback = services.feedback_change_status(
                    feedback=feedback,
                    actor=user,
                    status=values["status"],
                    public_message=values.get("public_message", ""),
                )
            if "assignee" in values:
                feedback = services.feedback_assign(feedback=feedback, actor=user, assignee=values["assignee"])
            if "product_area" in values:
                feedback = services.feedback_set_product_area(
                    feedback=feedback, actor=user, product_area=values["product_area"]
                )
            if "tags" in values:
                feedback = services.feedback_set_tags(feedback=feedback, actor=user, tags=values["tags"])
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc) or None) from exc
        return Response(_output(user, selectors.feedback_get_visible_to(user=user, pk=pk)))


class CommentApi(APIView):
    class CommentInput(serializers.Serializer):
        body = serializers.CharField(max_length=10000)
        is_internal = serializers.BooleanField(default=False)

    class CommentOutput(serializers.ModelSerializer):
        author = serializers.CharField(source="author.get_full_name")

        class Meta:
            model = Comment
            fields = ["id", "author", "body", "is_internal", "created_at"]

    @extend_schema(responses=CommentOutput(many=True))
    def get(self, request, pk: int):
        feedback = selectors.feedback_get_visible_to(user=request.user, pk=pk)
        comments = Comment.objects.filter(feedback=feedback).select_related("author").order_by("created_at", "id")
        if not request.user.is_staff_member:
            comments = comments.filter(is_internal=False)
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(comments, request, view=self)
        return paginator.get_paginated_response(self.CommentOutput(page, many=True).data)

    @extend_schema(request=CommentInput, responses={201: CommentOutput})
    def post(self, request, pk: int):
        feedback = selectors.feedback_get_visible_to(user=request.user, pk=pk)
        data = self.CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["is_internal"] and not request.user.is_staff_member:
            raise exceptions.ValidationError({"is_internal": [_("This field cannot be set.")]})
        comment = services.comment_add(feedback=feedback, author=request.user, **data.validated_data)
        return Response(self.CommentOutput(comment).data, status=status.HTTP_201_CREATED)


class VoteApi(APIView):
    class VoteInput(serializers.Serializer):
        importance = serializers.ChoiceField(choices=Feedback.Importance.choices, default=Feedback.Importance.IMPORTANT)

    @extend_schema(request=VoteInput, responses=FeedbackOutput)
    def post(self, request, pk: int):
        feedback = selectors.feedback_get_visible_to(user=request.user, pk=pk)
        data = self.VoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.vote_cast(feedback=feedback, user=request.user, importance=data.validated_data["importance"])
        return Response(_output(request.user, selectors.feedback_get_visible_to(user=request.user, pk=pk)))

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        feedback = selectors.feedback_get_visible_to(user=request.user, pk=pk)
        services.vote_remove(feedback=feedback, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SimilarApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("title", str, required=True)], responses=FeedbackOutput(many=True))
    def get(self, request):
        title = request.query_params.get("title", "")
        if len(title.strip()) < 4:
            raise exceptions.ValidationError({"title": [_("Give at least 4 characters.")]})
        items = selectors.feedback_similar(user=request.user, title=title)
        return Response({"results": FeedbackOutput(items, many=True, context={"user": request.user}).data})
