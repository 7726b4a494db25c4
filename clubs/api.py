"""/api/v1/clubs/ and /api/v1/meetings/: thin DRF views over clubs.policy and clubs.services, on the
model of roadmap.api.

Members see only their clubs (anything else answers 404), with each other's names and companies;
an agenda topic, an action item or a vote's tally shows the organizer's wording and links to a
request or a roadmap item only when clubs.policy.topic_link_for allows it. Organizers (staff who
organize the club, product owners) manage; a member or a contributor who does not organize gets
403 with the policy's reason. Staff read every club, the internal title behind a topic and the
tally per organization.
"""

from django.db import transaction
from django.db.models import Count, Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from accounts.models import Language, User
from clubs import policy, services
from clubs.models import (
    ActionItem,
    AgendaItem,
    Ballot,
    BallotPoints,
    Club,
    ClubMembership,
    Invitation,
    Meeting,
    MeetingVote,
    Minutes,
    VoteResult,
)
from clubs.policy import Action
from core.api_views import (
    CURSOR_PARAMETERS,
    BodyFirstApiView,
    IdCursorPagination,
    IdFilter,
    filtered_queryset,
    page_schema,
    service_call,
)
from core.lookups import object_or_404
from core.serializers import StrictInput
from feedback.models import Feedback, ProductArea
from roadmap.models import RoadmapItem

MAX_ID = 2**63 - 1
NOT_FOUND_IN_BODY = _("Not found.")


def _require(user: User, action: Action, club: Club) -> None:
    service_call(policy.club_require, user=user, action=action, club=club)


def _staff_only(field_class: type[serializers.Field], **kwargs) -> serializers.Field:
    """A field of the schema's *ForRole serializers that clients do not receive (so not required)."""
    return field_class(required=False, help_text="Staff only.", **kwargs)


def _client_only(field_class: type[serializers.Field], **kwargs) -> serializers.Field:
    kwargs.setdefault("help_text", "Clients only.")
    return field_class(required=False, **kwargs)


def _id_field(**kwargs) -> serializers.IntegerField:
    """An id in a body: a whole number that fits a database id (a 20-digit one is a 400, not a 500)."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class WholeNumberField(serializers.IntegerField):
    """A JSON number without a fraction: "3", 3.5, true or [3] are refused, not coerced."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


def _resolve(queryset, pk, field: str):
    """An object named in a body: missing and not-yours give the same 400 on that field."""
    if pk is None:
        return None
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist as exc:
        raise exceptions.ValidationError({field: [NOT_FOUND_IN_BODY]}) from exc


# Shared pieces of output ---------------------------------------------------------------------


class PersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class LinkOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("feedback", "feedback"), ("roadmap", "roadmap")])
    id = serializers.IntegerField()


def _person(user: User | None) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.name}


def _link(user: User, topic) -> tuple[dict | None, str | None]:
    """(the link this user may follow, the internal title behind it — staff only)."""
    link = policy.topic_link_for(user=user, topic=topic)
    if link is None:
        return None, None
    return {"kind": link["kind"], "id": link["pk"]}, (link["title"] if user.is_staff_member else None)


# Clubs ---------------------------------------------------------------------------------------


class ClubOutput(serializers.Serializer):
    """The same for every role that may see the club: its members see its organizers and scope."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    language = serializers.ChoiceField(choices=Language.choices)
    region = serializers.CharField()
    visibility = serializers.ChoiceField(choices=Club.Visibility.choices)
    is_archived = serializers.BooleanField()
    member_count = serializers.IntegerField()
    product_areas = serializers.SerializerMethodField()
    organizers = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_product_areas(self, obj) -> list[str]:
        return [area.slug for area in obj.product_areas.all()]  # prefetched

    @extend_schema_field(PersonOutput(many=True))
    def get_organizers(self, obj) -> list[dict]:
        return [_person(user) for user in obj.organizers.all()]  # prefetched


def _clubs(user: User):
    return Club.objects.filter(policy.club_visible_q(user=user)).prefetch_related(
        Prefetch("product_areas", queryset=ProductArea.objects.order_by("slug")),
        Prefetch("organizers", queryset=User.objects.order_by("name", "id")),
    )


def _club_for(user: User, pk) -> Club:
    return object_or_404(_clubs(user), pk)


class ClubFilter(django_filters.FilterSet):
    visibility = django_filters.ChoiceFilter(choices=Club.Visibility.choices)
    is_archived = django_filters.BooleanFilter()

    class Meta:
        model = Club
        fields: list[str] = []


class ClubInput(StrictInput):
    name = serializers.CharField(max_length=services.NAME_MAX)
    description = serializers.CharField(required=False, allow_blank=True, max_length=services.TEXT_MAX)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    region = serializers.CharField(required=False, allow_blank=True, max_length=120)
    visibility = serializers.ChoiceField(choices=Club.Visibility.choices, required=False)
    organizers = serializers.ListField(
        child=_id_field(), required=False, max_length=100, help_text="Staff members' ids (default: you)."
    )
    product_areas = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=100, help_text="Product areas' slugs."
    )


class ClubPatchInput(ClubInput):
    name = serializers.CharField(max_length=services.NAME_MAX, required=False)
    is_archived = serializers.BooleanField(required=False)


def _club_values(data: dict) -> dict:
    """Resolve the organizers' ids and the areas' slugs of a club input (400 naming what is missing)."""
    values = dict(data)
    if "organizers" in values:
        ids = set(values["organizers"])
        organizers = list(User.objects.staff().filter(pk__in=ids, is_active=True))
        if len(organizers) != len(ids):
            raise exceptions.ValidationError({"organizers": [_("Organizers are members of the publisher's staff.")]})
        values["organizers"] = organizers
    if "product_areas" in values:
        slugs = set(values["product_areas"])
        areas = list(ProductArea.objects.filter(slug__in=slugs))
        if len(areas) != len(slugs):
            raise exceptions.ValidationError({"product_areas": [_("Choose existing product areas.")]})
        values["product_areas"] = areas
    return values


class ClubListCreateApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_clubs_list",
        description="Members: the clubs they belong to. Staff: every club.",
        parameters=[
            OpenApiParameter("visibility", str, enum=Club.Visibility.values),
            OpenApiParameter("is_archived", bool),
            *CURSOR_PARAMETERS,
        ],
        responses=page_schema("ClubPage", ClubOutput),
    )
    def get(self, request):
        queryset = filtered_queryset(request, ClubFilter, _clubs(request.user))
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(ClubOutput(page, many=True).data)

    @extend_schema(
        operation_id="v1_clubs_create",
        description="Product owners create clubs.",
        request=ClubInput,
        responses={201: ClubOutput},
    )
    def post(self, request):
        user = request.user
        if not user.is_product_owner:
            raise exceptions.PermissionDenied(_("Only product owners create clubs."))
        data = ClubInput(data=request.data)
        data.is_valid(raise_exception=True)
        club = service_call(services.club_create, actor=user, **_club_values(data.validated_data))
        return Response(ClubOutput(_club_for(user, club.pk)).data, status=status.HTTP_201_CREATED)


class ClubDetailApi(BodyFirstApiView):
    @extend_schema(operation_id="v1_clubs_retrieve", responses=ClubOutput)
    def get(self, request, pk: int):
        return Response(ClubOutput(_club_for(request.user, pk)).data)

    @extend_schema(
        operation_id="v1_clubs_partial_update",
        description="Organizers change the club (an empty `organizers` list is refused).",
        request=ClubPatchInput,
        responses=ClubOutput,
    )
    def patch(self, request, pk: int):
        user = request.user
        club = _club_for(user, pk)
        _require(user, Action.MANAGE, club)
        data = ClubPatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        service_call(services.club_update, club=club, actor=user, **_club_values(data.validated_data))
        return Response(ClubOutput(_club_for(user, pk)).data)


# Members -------------------------------------------------------------------------------------


class MemberOutput(serializers.Serializer):
    """For members: who is in the club, and from which company (within the club only)."""

    id = serializers.IntegerField(help_text="The membership's id.")
    user = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField(help_text="The member's company (null: the publisher's staff).")
    role = serializers.ChoiceField(choices=ClubMembership.Role.choices)
    joined_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(PersonOutput)
    def get_user(self, obj) -> dict:
        return _person(obj.user)

    @extend_schema_field(PersonOutput(allow_null=True))
    def get_organization(self, obj) -> dict | None:
        organization = obj.organization
        return None if organization is None else {"id": organization.pk, "name": organization.name}


class StaffMemberOutput(MemberOutput):
    email = serializers.EmailField(source="user.email")
    status = serializers.ChoiceField(choices=ClubMembership.Status.choices)
    left_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class MemberForRole(MemberOutput):
    """For the schema only: the staff-only fields are absent for members."""

    email = _staff_only(serializers.EmailField)
    status = _staff_only(serializers.ChoiceField, choices=ClubMembership.Status.choices)
    left_at = _staff_only(serializers.DateTimeField, allow_null=True)
    created_at = _staff_only(serializers.DateTimeField)


def _member_output(user: User, instance, many=False):
    serializer = StaffMemberOutput if user.is_staff_member else MemberOutput
    return serializer(instance, many=many).data


def _membership_for(club: Club, pk) -> ClubMembership:
    return object_or_404(ClubMembership.objects.filter(club=club).select_related("club", "user", "organization"), pk)


class MemberFilter(django_filters.FilterSet):
    STAFF_ONLY = ("status",)

    status = django_filters.ChoiceFilter(choices=ClubMembership.Status.choices)

    class Meta:
        model = ClubMembership
        fields: list[str] = []


class MemberAddInput(StrictInput):
    user = _id_field(required=False, help_text="A user's id (or give `email`).")
    email = serializers.CharField(required=False, max_length=254, help_text="The address of someone with an account.")
    role = serializers.ChoiceField(choices=ClubMembership.Role.choices, required=False)

    def validate(self, attrs):
        if ("user" in attrs) == ("email" in attrs):
            raise serializers.ValidationError({"user": [_("Give either a user's id or an email address.")]})
        return attrs


class MemberPatchInput(StrictInput):
    role = serializers.ChoiceField(choices=ClubMembership.Role.choices, required=False)
    status = serializers.ChoiceField(
        choices=ClubMembership.Status.choices,
        required=False,
        help_text="`active` approves a request to join, `refused` refuses it, `left` ends the membership.",
    )


class MemberListAddApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_clubs_members_list",
        description="The club's active members, with their companies: for its members and staff. Staff may "
        "list by `status` (`requested`: the requests to join).",
        parameters=[
            OpenApiParameter("status", str, enum=ClubMembership.Status.values, description="Staff only."),
            *CURSOR_PARAMETERS,
        ],
        responses=page_schema("ClubMemberPage", MemberForRole),
    )
    def get(self, request, pk: int):
        user = request.user
        club = _club_for(user, pk)
        if user.is_staff_member and "status" in request.query_params:
            queryset = ClubMembership.objects.filter(club=club).select_related("user", "organization")
        else:
            queryset = policy.members_visible_to(user=user, club=club)
        queryset = filtered_queryset(request, MemberFilter, queryset, staff_only=MemberFilter.STAFF_ONLY)
        paginator = IdCursorPagination()
        paginator.ordering = "id"
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(_member_output(user, page, many=True))

    @extend_schema(
        operation_id="v1_clubs_members_add",
        description="Organizers add a client user of any company, or a staff member, by id or email.",
        request=MemberAddInput,
        responses={201: MemberForRole},
    )
    def post(self, request, pk: int):
        user = request.user
        club = _club_for(user, pk)
        _require(user, Action.MANAGE, club)
        data = MemberAddInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        role = values.get("role", ClubMembership.Role.MEMBER)
        if "email" in values:
            membership = service_call(
                services.member_add_by_email, club=club, actor=user, email=values["email"], role=role
            )
        else:
            person = _resolve(User.objects.all(), values["user"], "user")
            membership = service_call(services.member_add, club=club, actor=user, user=person, role=role)
        return Response(_member_output(user, _membership_for(club, membership.pk)), status=status.HTTP_201_CREATED)


class MemberDetailApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_clubs_members_partial_update",
        description="Organizers change a member's role, approve or refuse a request to join, or end a membership.",
        request=MemberPatchInput,
        responses=MemberForRole,
    )
    def patch(self, request, pk: int, membership_id: int):
        user = request.user
        club = _club_for(user, pk)
        membership = _membership_for(club, membership_id)
        _require(user, Action.MANAGE, club)
        data = MemberPatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        service_call(services.member_update, membership=membership, actor=user, **data.validated_data)
        return Response(_member_output(user, _membership_for(club, membership_id)))

    @extend_schema(
        operation_id="v1_clubs_members_remove",
        description="Organizers end a membership (it stays in the club's history as `left`).",
        responses={204: None},
    )
    def delete(self, request, pk: int, membership_id: int):
        user = request.user
        club = _club_for(user, pk)
        membership = _membership_for(club, membership_id)
        _require(user, Action.MANAGE, club)
        service_call(services.member_update, membership=membership, actor=user, status=ClubMembership.Status.LEFT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class JoinInput(StrictInput):
    """Asking to join takes no field: an empty body (or `{}`)."""


class JoinOutput(serializers.Serializer):
    club = serializers.IntegerField(source="club_id")
    status = serializers.ChoiceField(choices=ClubMembership.Status.choices)


class ClubJoinApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_clubs_join",
        description="A client user asks to join an open club they are not in; an organizer approves. Any other "
        "club answers 404.",
        request=JoinInput,
        responses={201: JoinOutput},
    )
    def post(self, request, pk: int):
        user = request.user
        club = policy.club_get_joinable(user=user, pk=pk)
        JoinInput(data=request.data).is_valid(raise_exception=True)
        membership = service_call(services.join_request, club=club, user=user)
        return Response(JoinOutput(membership).data, status=status.HTTP_201_CREATED)


# Meetings ------------------------------------------------------------------------------------


class ClubRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MyInvitationOutput(serializers.Serializer):
    rsvp = serializers.ChoiceField(choices=Invitation.Rsvp.choices)
    comment = serializers.CharField()
    invited = serializers.BooleanField(help_text="False: marked present without an invitation.")
    attended = serializers.BooleanField()


def _my_invitation(invitation: Invitation | None) -> dict | None:
    if invitation is None:
        return None
    return {
        "rsvp": invitation.rsvp,
        "comment": invitation.comment,
        "invited": invitation.invited_at is not None,
        "attended": invitation.attended,
    }


class MeetingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    club = ClubRefOutput()
    title = serializers.CharField()
    description = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    timezone = serializers.CharField()
    place = serializers.CharField()
    video_url = serializers.CharField()
    status = serializers.ChoiceField(choices=Meeting.Status.choices)
    my_invitation = serializers.SerializerMethodField(help_text="Your invitation and answer (null: none).")

    @extend_schema_field(MyInvitationOutput(allow_null=True))
    def get_my_invitation(self, obj) -> dict | None:
        mine = getattr(obj, "mine", None)
        return _my_invitation(mine[0] if mine else None)


class StaffMeetingOutput(MeetingOutput):
    sequence = serializers.IntegerField()
    invitations_sent_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MeetingForRole(MeetingOutput):
    sequence = _staff_only(serializers.IntegerField)
    invitations_sent_at = _staff_only(serializers.DateTimeField, allow_null=True)
    created_at = _staff_only(serializers.DateTimeField)
    updated_at = _staff_only(serializers.DateTimeField)


class TopicOutput(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    title = serializers.CharField(help_text="The organizer's wording, for every member.")
    notes = serializers.CharField()
    minutes_allotted = serializers.IntegerField()
    origin = serializers.ChoiceField(choices=AgendaItem.Origin.choices)
    action_item = serializers.IntegerField(source="action_item_id", allow_null=True)
    link = serializers.SerializerMethodField(
        help_text="The request or roadmap item behind the topic, only if you may open it."
    )

    @extend_schema_field(LinkOutput(allow_null=True))
    def get_link(self, obj) -> dict | None:
        return _link(self.context["user"], obj)[0]


class StaffTopicOutput(TopicOutput):
    internal_title = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_internal_title(self, obj) -> str | None:
        return _link(self.context["user"], obj)[1]


class TopicForRole(TopicOutput):
    internal_title = _staff_only(serializers.CharField, allow_null=True)


class MeetingDetailOutput(MeetingOutput):
    agenda = serializers.SerializerMethodField()

    @extend_schema_field(TopicForRole(many=True))
    def get_agenda(self, obj) -> list[dict]:
        user = self.context["user"]
        serializer = StaffTopicOutput if user.is_staff_member else TopicOutput
        return serializer(obj.agenda.all(), many=True, context=self.context).data  # prefetched


class StaffMeetingDetailOutput(StaffMeetingOutput, MeetingDetailOutput):
    pass


class MeetingDetailForRole(MeetingForRole):
    agenda = TopicForRole(many=True)


def _meetings(user: User):
    return (
        Meeting.objects.filter(policy.meeting_visible_q(user=user))
        .select_related("club")
        .prefetch_related(Prefetch("invitations", queryset=Invitation.objects.filter(user=user), to_attr="mine"))
    )


def _meeting_for(user: User, pk, *, detail: bool = False) -> Meeting:
    queryset = _meetings(user)
    if detail:
        queryset = queryset.prefetch_related(
            Prefetch("agenda", queryset=AgendaItem.objects.select_related("feedback", "roadmap_item"))
        )
    return object_or_404(queryset, pk)


def _meeting_output(user: User, instance, many=False, detail=False):
    if detail:
        serializer = StaffMeetingDetailOutput if user.is_staff_member else MeetingDetailOutput
    else:
        serializer = StaffMeetingOutput if user.is_staff_member else MeetingOutput
    return serializer(instance, many=many, context={"user": user}).data


class MeetingFilter(django_filters.FilterSet):
    club = IdFilter(field_name="club_id")
    status = django_filters.MultipleChoiceFilter(choices=Meeting.Status.choices)
    # "true" or "false" only: a word like "perhaps" is a 400, not a filter silently ignored.
    upcoming = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false"), ("1", "1"), ("0", "0")], method="filter_upcoming"
    )

    class Meta:
        model = Meeting
        fields: list[str] = []

    def filter_upcoming(self, queryset, name, value):
        if not value:
            return queryset
        value = value in ("true", "1")
        upcoming = {"status": Meeting.Status.PLANNED, "ends_at__gte": timezone.now()}
        return queryset.filter(**upcoming) if value else queryset.exclude(**upcoming)


class MeetingInput(StrictInput):
    club = _id_field()
    title = serializers.CharField(max_length=services.TITLE_MAX)
    description = serializers.CharField(required=False, allow_blank=True, max_length=services.TEXT_MAX)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    timezone = serializers.CharField(required=False, max_length=64, help_text="An IANA time zone (Europe/Paris).")
    place = serializers.CharField(required=False, allow_blank=True, max_length=300)
    video_url = serializers.CharField(required=False, allow_blank=True, max_length=500)


class MeetingPatchInput(StrictInput):
    title = serializers.CharField(required=False, max_length=services.TITLE_MAX)
    description = serializers.CharField(required=False, allow_blank=True, max_length=services.TEXT_MAX)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    timezone = serializers.CharField(required=False, max_length=64)
    place = serializers.CharField(required=False, allow_blank=True, max_length=300)
    video_url = serializers.CharField(required=False, allow_blank=True, max_length=500)


class EmptyInput(StrictInput):
    """No field: an empty body (or `{}`)."""


class MeetingListCreateApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_meetings_list",
        description="Meetings of your clubs (staff: of every club), latest first; `upcoming=true`: the planned "
        "ones not over yet, soonest first.",
        parameters=[
            OpenApiParameter("club", int),
            OpenApiParameter("status", str, many=True, enum=Meeting.Status.values),
            OpenApiParameter("upcoming", bool),
            *CURSOR_PARAMETERS,
        ],
        responses=page_schema("MeetingPage", MeetingForRole),
    )
    def get(self, request):
        user = request.user
        queryset = filtered_queryset(request, MeetingFilter, _meetings(user))
        paginator = IdCursorPagination()
        upcoming = request.query_params.get("upcoming", "") in ("true", "1")
        paginator.ordering = ("starts_at", "id") if upcoming else ("-starts_at", "-id")
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(_meeting_output(user, page, many=True))

    @extend_schema(
        operation_id="v1_meetings_create",
        description="Organizers plan a meeting of their club.",
        request=MeetingInput,
        responses={201: MeetingDetailForRole},
    )
    def post(self, request):
        user = request.user
        data = MeetingInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        club = _resolve(Club.objects.filter(policy.club_visible_q(user=user)), values.pop("club"), "club")
        _require(user, Action.MANAGE, club)
        meeting = service_call(services.meeting_create, club=club, actor=user, **values)
        return Response(
            _meeting_output(user, _meeting_for(user, meeting.pk, detail=True), detail=True),
            status=status.HTTP_201_CREATED,
        )


class MeetingDetailApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_meetings_retrieve",
        description="The meeting and its agenda. A topic links to its request or roadmap item only if you may "
        "open it; staff also read the internal title behind it.",
        responses=MeetingDetailForRole,
    )
    def get(self, request, pk: int):
        user = request.user
        return Response(_meeting_output(user, _meeting_for(user, pk, detail=True), detail=True))

    @extend_schema(
        operation_id="v1_meetings_partial_update",
        description="Organizers change a meeting; once invitations went out, a calendar change emails an update.",
        request=MeetingPatchInput,
        responses=MeetingDetailForRole,
    )
    def patch(self, request, pk: int):
        user = request.user
        meeting = _meeting_for(user, pk)
        _require(user, Action.MANAGE, meeting.club)
        data = MeetingPatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        service_call(services.meeting_update, meeting=meeting, actor=user, **data.validated_data)
        return Response(_meeting_output(user, _meeting_for(user, pk, detail=True), detail=True))


class MeetingCancelApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_meetings_cancel",
        description="Organizers cancel a planned meeting; the invited get a cancellation for their calendar.",
        request=EmptyInput,
        responses=MeetingDetailForRole,
    )
    def post(self, request, pk: int):
        user = request.user
        meeting = _meeting_for(user, pk)
        _require(user, Action.MANAGE, meeting.club)
        EmptyInput(data=request.data).is_valid(raise_exception=True)
        service_call(services.meeting_cancel, meeting=meeting, actor=user)
        return Response(_meeting_output(user, _meeting_for(user, pk, detail=True), detail=True))


# Invitations, answers, attendance -------------------------------------------------------------


class InvitationOutput(serializers.Serializer):
    user = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField()
    rsvp = serializers.ChoiceField(choices=Invitation.Rsvp.choices)
    comment = serializers.CharField()
    responded_at = serializers.DateTimeField(allow_null=True)
    invited_at = serializers.DateTimeField(allow_null=True)
    attended = serializers.BooleanField()

    @extend_schema_field(PersonOutput)
    def get_user(self, obj) -> dict:
        return _person(obj.user)

    @extend_schema_field(PersonOutput(allow_null=True))
    def get_organization(self, obj) -> dict | None:
        organization = obj.organization
        return None if organization is None else {"id": organization.pk, "name": organization.name}


class InvitationsSentOutput(serializers.Serializer):
    invited = serializers.IntegerField(help_text="How many members were invited now (0: everyone already was).")


class InvitationListSendApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_meetings_invitations_list",
        description="Who is invited, their answers and who came: staff only (a member gets 403).",
        parameters=CURSOR_PARAMETERS,
        responses=page_schema("InvitationPage", InvitationOutput),
    )
    def get(self, request, pk: int):
        user = request.user
        meeting = _meeting_for(user, pk)
        if not user.is_staff_member:
            _require(user, Action.RUN, meeting.club)  # the policy's reason, as a 403
        queryset = Invitation.objects.filter(meeting=meeting).select_related("user", "organization")
        paginator = IdCursorPagination()
        paginator.ordering = "id"
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(InvitationOutput(page, many=True).data)

    @extend_schema(
        operation_id="v1_meetings_invitations_send",
        description="Organizers invite every active member not invited yet (emails with a calendar file).",
        request=EmptyInput,
        responses=InvitationsSentOutput,
    )
    def post(self, request, pk: int):
        user = request.user
        meeting = _meeting_for(user, pk)
        _require(user, Action.MANAGE, meeting.club)
        EmptyInput(data=request.data).is_valid(raise_exception=True)
        invited = service_call(services.invitations_send, meeting=meeting, actor=user)
        return Response({"invited": invited})


class RsvpInput(StrictInput):
    rsvp = serializers.ChoiceField(choices=Invitation.Rsvp.choices, help_text="yes, no or maybe.")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=services.COMMENT_MAX)


class RsvpApi(BodyFirstApiView):
    def _answer(self, request, pk):
        user = request.user
        meeting = _meeting_for(user, pk)
        _require(user, Action.RSVP, meeting.club)
        data = RsvpInput(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = service_call(services.rsvp_set, meeting=meeting, user=user, **data.validated_data)
        return Response(_my_invitation(invitation))

    @extend_schema(
        operation_id="v1_meetings_rsvp_set",
        description="A member answers their invitation: yes, no or maybe, with a comment.",
        request=RsvpInput,
        responses=MyInvitationOutput,
    )
    def put(self, request, pk: int):
        return self._answer(request, pk)

    @extend_schema(
        operation_id="v1_meetings_rsvp_answer",
        description="The same as PUT (for clients that only POST).",
        request=RsvpInput,
        responses=MyInvitationOutput,
    )
    def post(self, request, pk: int):
        return self._answer(request, pk)


class AttendanceInput(StrictInput):
    user = _id_field(help_text="A member's id.")
    attended = serializers.BooleanField()


class AttendanceApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_meetings_attendance_set",
        description="Organizers mark a member present or absent (someone who came uninvited is added).",
        request=AttendanceInput,
        responses=InvitationOutput,
    )
    def post(self, request, pk: int):
        user = request.user
        meeting = _meeting_for(user, pk)
        _require(user, Action.RUN, meeting.club)
        data = AttendanceInput(data=request.data)
        data.is_valid(raise_exception=True)
        person = _resolve(User.objects.all(), data.validated_data["user"], "user")
        invitation = service_call(
            services.attendance_set, meeting=meeting, actor=user, user=person, attended=data.validated_data["attended"]
        )
        invitation = Invitation.objects.select_related("user", "organization").get(pk=invitation.pk)
        return Response(InvitationOutput(invitation).data)


# Agenda --------------------------------------------------------------------------------------


class TopicInput(StrictInput):
    title = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=services.TITLE_MAX,
        help_text="Required for a private request or item: a summary every member may read.",
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=services.TEXT_MAX)
    minutes_allotted = WholeNumberField(required=False, min_value=0, max_value=600)
    feedback = _id_field(required=False, allow_null=True)
    roadmap_item = _id_field(required=False, allow_null=True)
    action_item = _id_field(required=False, allow_null=True)


class TopicPatchInput(StrictInput):
    title = serializers.CharField(required=False, allow_blank=True, max_length=services.TITLE_MAX)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=services.TEXT_MAX)
    minutes_allotted = WholeNumberField(required=False, min_value=0, max_value=600)
    move = serializers.ChoiceField(choices=[("up", "up"), ("down", "down")], required=False)


def _topic_output(user: User, topic: AgendaItem):
    serializer = StaffTopicOutput if user.is_staff_member else TopicOutput
    return serializer(topic, context={"user": user}).data


def _topic_for(meeting: Meeting, pk) -> AgendaItem:
    return object_or_404(
        AgendaItem.objects.filter(meeting=meeting).select_related("meeting__club", "feedback", "roadmap_item"), pk
    )


class AgendaAddApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_meetings_agenda_add",
        description="Organizers add a topic, optionally about a request, a roadmap item or an action item.",
        request=TopicInput,
        responses={201: TopicForRole},
    )
    def post(self, request, pk: int):
        user = request.user
        meeting = _meeting_for(user, pk)
        _require(user, Action.MANAGE, meeting.club)
        data = TopicInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["feedback"] = _resolve(Feedback.objects.all(), values.get("feedback"), "feedback")
        values["roadmap_item"] = _resolve(RoadmapItem.objects.all(), values.get("roadmap_item"), "roadmap_item")
        values["action_item"] = _resolve(
            ActionItem.objects.filter(club=meeting.club), values.get("action_item"), "action_item"
        )
        topic = service_call(services.agenda_add, meeting=meeting, actor=user, **values)
        return Response(_topic_output(user, _topic_for(meeting, topic.pk)), status=status.HTTP_201_CREATED)


class AgendaTopicApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_meetings_agenda_partial_update",
        description="Organizers reword a topic, change its notes or time, or move it up or down.",
        request=TopicPatchInput,
        responses=TopicForRole,
    )
    def patch(self, request, pk: int, topic_id: int):
        user = request.user
        meeting = _meeting_for(user, pk)
        topic = _topic_for(meeting, topic_id)
        _require(user, Action.MANAGE, meeting.club)
        data = TopicPatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        move = values.pop("move", None)
        with transaction.atomic():  # the edit and the move together, or neither
            if values:
                service_call(services.agenda_update, topic=topic, actor=user, **values)
            if move:
                service_call(services.agenda_move, topic=topic, actor=user, direction=move)
        return Response(_topic_output(user, _topic_for(meeting, topic_id)))

    @extend_schema(
        operation_id="v1_meetings_agenda_remove",
        description="Organizers remove a topic (not one that received points in a vote: 400).",
        responses={204: None},
    )
    def delete(self, request, pk: int, topic_id: int):
        user = request.user
        meeting = _meeting_for(user, pk)
        topic = _topic_for(meeting, topic_id)
        _require(user, Action.MANAGE, meeting.club)
        service_call(services.agenda_remove, topic=topic, actor=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Votes ---------------------------------------------------------------------------------------


class VoteOutput(serializers.Serializer):
    id = serializers.IntegerField()
    meeting = serializers.IntegerField(source="meeting_id")
    title = serializers.CharField()
    budget = serializers.IntegerField(help_text="Points each attendee spreads.")
    status = serializers.ChoiceField(choices=MeetingVote.Status.choices)
    topics = serializers.SerializerMethodField()
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_topics(self, obj) -> list[int]:
        return [topic.pk for topic in obj.topics.all()]  # prefetched


class TallyRowOutput(serializers.Serializer):
    topic = serializers.IntegerField()
    title = serializers.CharField(help_text="The organizer's wording.")
    points = serializers.IntegerField()
    voters = serializers.IntegerField()


class OrganizationTallyOutput(serializers.Serializer):
    organization = PersonOutput(allow_null=True, help_text="Null: the publisher's staff.")
    topic = serializers.IntegerField()
    points = serializers.IntegerField()
    voters = serializers.IntegerField()


class VoteDetailForRole(VoteOutput):
    ballots = serializers.IntegerField(help_text="Ballots cast.")
    tally = TallyRowOutput(many=True, help_text="Points per topic, highest first (live while the vote is open).")
    my_points = _client_only(
        serializers.DictField,
        child=serializers.IntegerField(),
        allow_null=True,
        help_text="Clients only: your points per topic id (null: you have not voted).",
    )
    by_organization = _staff_only(OrganizationTallyOutput, many=True)


def _votes(meeting: Meeting):
    return meeting.votes.select_related("meeting__club").prefetch_related(
        Prefetch("topics", queryset=AgendaItem.objects.order_by("position", "id"))
    )


def _vote_for(meeting: Meeting, pk) -> MeetingVote:
    return object_or_404(_votes(meeting), pk)


def _vote_detail(user: User, vote: MeetingVote) -> dict:
    """The vote with its tally: per topic for everyone who may see it, per organization for staff."""
    data = dict(VoteOutput(vote).data)
    topics = {topic.pk: topic for topic in vote.topics.all()}
    data["tally"] = [
        {"topic": row["topic"].pk, "title": row["topic"].title, "points": row["points"], "voters": row["voters"]}
        for row in services.vote_tally(vote=vote)
    ]
    closed = vote.status == MeetingVote.Status.CLOSED
    data["ballots"] = vote.ballot_count if closed else Ballot.objects.filter(vote=vote).count()
    if user.is_staff_member:
        if closed:
            rows = VoteResult.objects.filter(vote=vote).values(
                "topic_id", "organization_id", "organization__name", "points", "voters"
            )
        else:
            rows = (
                BallotPoints.objects.filter(vote=vote)
                .values("topic_id", "ballot__organization_id", "ballot__organization__name")
                .annotate(points=Sum("points"), voters=Count("ballot_id"))
            )
            rows = [
                {
                    "topic_id": r["topic_id"],
                    "organization_id": r["ballot__organization_id"],
                    "organization__name": r["ballot__organization__name"],
                    "points": r["points"],
                    "voters": r["voters"],
                }
                for r in rows
            ]
        data["by_organization"] = sorted(
            (
                {
                    "organization": None
                    if r["organization_id"] is None
                    else {"id": r["organization_id"], "name": r["organization__name"]},
                    "topic": r["topic_id"],
                    "points": r["points"],
                    "voters": r["voters"],
                }
                for r in rows
                if r["topic_id"] in topics
            ),
            key=lambda r: (r["topic"], -r["points"], r["organization"]["id"] if r["organization"] else 0),
        )
    else:
        mine = dict(BallotPoints.objects.filter(vote=vote, ballot__user=user).values_list("topic_id", "points"))
        voted = bool(mine) or Ballot.objects.filter(vote=vote, user=user).exists()
        data["my_points"] = {str(topic_id): points for topic_id, points in mine.items()} if voted else None
    return data


class MeetingVoteInput(StrictInput):
    title = serializers.CharField(max_length=services.TITLE_MAX)
    budget = WholeNumberField(min_value=1, max_value=100)
    topics = serializers.ListField(child=_id_field(), max_length=200, help_text="Ids of this meeting's topics.")


class BallotInput(StrictInput):
    points = serializers.DictField(
        child=WholeNumberField(min_value=0, max_value=100),
        help_text='Points per topic id, e.g. {"12": 3, "15": 2}: at most the vote\'s budget in all.',
    )


class VoteListCreateApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_meetings_votes_list",
        description="The meeting's votes.",
        parameters=CURSOR_PARAMETERS,
        responses=page_schema("MeetingVotePage", VoteOutput),
    )
    def get(self, request, pk: int):
        meeting = _meeting_for(request.user, pk)
        paginator = IdCursorPagination()
        paginator.ordering = "id"
        page = paginator.paginate_queryset(_votes(meeting), request, view=self)
        return paginator.get_paginated_response(VoteOutput(page, many=True).data)

    @extend_schema(
        operation_id="v1_meetings_votes_create",
        description="Organizers prepare a dot vote over at least two of the meeting's topics (opened later).",
        request=MeetingVoteInput,
        responses={201: VoteDetailForRole},
    )
    def post(self, request, pk: int):
        user = request.user
        meeting = _meeting_for(user, pk)
        _require(user, Action.RUN, meeting.club)
        data = MeetingVoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        ids = set(values.pop("topics"))
        topics = list(AgendaItem.objects.filter(meeting=meeting, pk__in=ids))
        if len(topics) != len(ids):
            raise exceptions.ValidationError({"topics": [_("Choose topics of this meeting's agenda.")]})
        vote = service_call(services.vote_create, meeting=meeting, actor=user, topics=topics, **values)
        return Response(_vote_detail(user, _vote_for(meeting, vote.pk)), status=status.HTTP_201_CREATED)


class VoteDetailApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_meetings_votes_retrieve",
        description="The vote and its tally per topic (live while open); staff also read it per organization.",
        responses=VoteDetailForRole,
    )
    def get(self, request, pk: int, vote_id: int):
        user = request.user
        meeting = _meeting_for(user, pk)
        return Response(_vote_detail(user, _vote_for(meeting, vote_id)))


def _vote_transition(request, pk: int, vote_id: int, service) -> Response:
    """Open or close a vote (organizers): an empty body, the service, the vote as it now stands."""
    user = request.user
    meeting = _meeting_for(user, pk)
    vote = _vote_for(meeting, vote_id)
    _require(user, Action.RUN, meeting.club)
    EmptyInput(data=request.data).is_valid(raise_exception=True)
    service_call(service, vote=vote, actor=user)
    return Response(_vote_detail(user, _vote_for(meeting, vote_id)))


class VoteOpenApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_meetings_votes_open",
        description="Organizers open a vote: the attendees may now spread their points.",
        request=EmptyInput,
        responses=VoteDetailForRole,
    )
    def post(self, request, pk: int, vote_id: int):
        return _vote_transition(request, pk, vote_id, services.vote_open)


class VoteCloseApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_meetings_votes_close",
        description="Organizers close a vote: its results are stored and feed the roadmap's club priority.",
        request=EmptyInput,
        responses=VoteDetailForRole,
    )
    def post(self, request, pk: int, vote_id: int):
        return _vote_transition(request, pk, vote_id, services.vote_close)


class BallotApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_meetings_votes_ballot",
        description="A member present at the meeting spreads at most the budget over the vote's topics, once, "
        "while the vote is open.",
        request=BallotInput,
        responses={201: VoteDetailForRole},
    )
    def post(self, request, pk: int, vote_id: int):
        user = request.user
        meeting = _meeting_for(user, pk)
        vote = _vote_for(meeting, vote_id)
        _require(user, Action.VOTE, meeting.club)
        data = BallotInput(data=request.data)
        data.is_valid(raise_exception=True)
        service_call(services.ballot_cast, vote=vote, user=user, points=data.validated_data["points"])
        return Response(_vote_detail(user, _vote_for(meeting, vote_id)), status=status.HTTP_201_CREATED)


# Minutes -------------------------------------------------------------------------------------


class MinutesOutput(serializers.Serializer):
    meeting = serializers.IntegerField(source="meeting_id")
    body = serializers.CharField(help_text="Markdown.")
    published_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


class StaffMinutesOutput(MinutesOutput):
    written_by = serializers.IntegerField(source="written_by_id", allow_null=True)


class MinutesForRole(MinutesOutput):
    written_by = _staff_only(serializers.IntegerField, allow_null=True)


class MinutesInput(StrictInput):
    body = serializers.CharField(allow_blank=True, max_length=100_000, trim_whitespace=False)
    publish = serializers.BooleanField(
        required=False, default=False, help_text="Show them to the members and email the attendees (once)."
    )


def _minutes_output(user: User, minutes: Minutes):
    return (StaffMinutesOutput if user.is_staff_member else MinutesOutput)(minutes).data


def _minutes_for(user: User, meeting: Meeting) -> Minutes:
    """Staff always read the minutes; members once they are published (404 before)."""
    minutes = Minutes.objects.filter(meeting=meeting)
    if not user.is_staff_member:
        minutes = minutes.filter(published_at__isnull=False)
    found = minutes.first()
    if found is None:
        raise exceptions.NotFound(_("Not found."))
    return found


class MinutesApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_meetings_minutes_retrieve",
        description="The minutes: for members once published (404 before), for staff always.",
        responses=MinutesForRole,
    )
    def get(self, request, pk: int):
        user = request.user
        return Response(_minutes_output(user, _minutes_for(user, _meeting_for(user, pk))))

    @extend_schema(
        operation_id="v1_meetings_minutes_save",
        description="Organizers write the minutes; `publish` shows them to the members and emails the attendees.",
        request=MinutesInput,
        responses=MinutesForRole,
    )
    def put(self, request, pk: int):
        user = request.user
        meeting = _meeting_for(user, pk)
        _require(user, Action.RUN, meeting.club)
        data = MinutesInput(data=request.data)
        data.is_valid(raise_exception=True)
        minutes = service_call(services.minutes_save, meeting=meeting, actor=user, **data.validated_data)
        return Response(_minutes_output(user, minutes))


# Action items --------------------------------------------------------------------------------


class ActionItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    club = serializers.IntegerField(source="club_id")
    meeting = serializers.IntegerField(source="meeting_id", allow_null=True)
    title = serializers.CharField()
    owner = serializers.SerializerMethodField()
    due_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=ActionItem.Status.choices)
    late = serializers.SerializerMethodField(help_text="Open and past its due date.")
    link = serializers.SerializerMethodField(help_text="The request or roadmap item it is about, if you may open it.")
    closed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(PersonOutput(allow_null=True))
    def get_owner(self, obj) -> dict | None:
        return _person(obj.owner)

    def get_late(self, obj) -> bool:
        return bool(obj.status == ActionItem.Status.OPEN and obj.due_date and obj.due_date < timezone.localdate())

    @extend_schema_field(LinkOutput(allow_null=True))
    def get_link(self, obj) -> dict | None:
        return _link(self.context["user"], obj)[0]


class StaffActionItemOutput(ActionItemOutput):
    internal_title = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_internal_title(self, obj) -> str | None:
        return _link(self.context["user"], obj)[1]


class ActionItemForRole(ActionItemOutput):
    internal_title = _staff_only(serializers.CharField, allow_null=True)


def _action_items(club: Club):
    return ActionItem.objects.filter(club=club).select_related("club", "owner", "feedback", "roadmap_item")


def _action_item_for(club: Club, pk) -> ActionItem:
    return object_or_404(_action_items(club), pk)


def _action_item_output(user: User, instance, many=False):
    serializer = StaffActionItemOutput if user.is_staff_member else ActionItemOutput
    return serializer(instance, many=many, context={"user": user}).data


class ActionItemFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ActionItem.Status.choices)
    meeting = IdFilter(field_name="meeting_id")
    owner = IdFilter(field_name="owner_id")

    class Meta:
        model = ActionItem
        fields: list[str] = []


class ActionItemInput(StrictInput):
    title = serializers.CharField(max_length=300)
    meeting = _id_field(required=False, allow_null=True, help_text="The meeting where it was decided.")
    owner = _id_field(required=False, allow_null=True, help_text="A staff member or a member of the club.")
    due_date = serializers.DateField(required=False, allow_null=True)
    feedback = _id_field(required=False, allow_null=True)
    roadmap_item = _id_field(required=False, allow_null=True)


class ActionItemPatchInput(StrictInput):
    title = serializers.CharField(required=False, max_length=300)
    owner = _id_field(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=ActionItem.Status.choices, required=False)
    feedback = _id_field(required=False, allow_null=True)
    roadmap_item = _id_field(required=False, allow_null=True)


def _action_values(values: dict) -> dict:
    values = dict(values)
    for field, queryset in (
        ("owner", User.objects.all()),
        ("feedback", Feedback.objects.all()),
        ("roadmap_item", RoadmapItem.objects.all()),
    ):
        if field in values:
            values[field] = _resolve(queryset, values[field], field)
    return values


class ActionItemListCreateApi(BodyFirstApiView):
    @extend_schema(
        operation_id="v1_clubs_action_items_list",
        description="The club's action items, by due date.",
        parameters=[
            OpenApiParameter("status", str, many=True, enum=ActionItem.Status.values),
            OpenApiParameter("meeting", int),
            OpenApiParameter("owner", int),
            *CURSOR_PARAMETERS,
        ],
        responses=page_schema("ActionItemPage", ActionItemForRole),
    )
    def get(self, request, pk: int):
        user = request.user
        club = _club_for(user, pk)
        queryset = filtered_queryset(request, ActionItemFilter, _action_items(club))
        paginator = IdCursorPagination()
        paginator.ordering = "id"
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(_action_item_output(user, page, many=True))

    @extend_schema(
        operation_id="v1_clubs_action_items_create",
        description="Organizers record an action item: what, who, by when, about which request or item.",
        request=ActionItemInput,
        responses={201: ActionItemForRole},
    )
    def post(self, request, pk: int):
        user = request.user
        club = _club_for(user, pk)
        _require(user, Action.RUN, club)
        data = ActionItemInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = _action_values(data.validated_data)
        values["meeting"] = _resolve(Meeting.objects.filter(club=club), values.get("meeting"), "meeting")
        action = service_call(services.action_item_create, club=club, actor=user, **values)
        return Response(_action_item_output(user, _action_item_for(club, action.pk)), status=status.HTTP_201_CREATED)


class ActionItemDetailApi(BodyFirstApiView):
    @extend_schema(operation_id="v1_clubs_action_items_retrieve", responses=ActionItemForRole)
    def get(self, request, pk: int, action_id: int):
        user = request.user
        return Response(_action_item_output(user, _action_item_for(_club_for(user, pk), action_id)))

    @extend_schema(
        operation_id="v1_clubs_action_items_partial_update",
        description="Organizers change an action item, or close it (`done`, `dropped`).",
        request=ActionItemPatchInput,
        responses=ActionItemForRole,
    )
    def patch(self, request, pk: int, action_id: int):
        user = request.user
        club = _club_for(user, pk)
        action = _action_item_for(club, action_id)
        _require(user, Action.RUN, club)
        data = ActionItemPatchInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        service_call(services.action_item_update, action_item=action, actor=user, **_action_values(data.validated_data))
        return Response(_action_item_output(user, _action_item_for(club, action_id)))
