from django.urls import path

from clubs import api

urlpatterns = [
    path("clubs/", api.ClubListCreateApi.as_view(), name="club_list"),
    path("clubs/<int:pk>/", api.ClubDetailApi.as_view(), name="club_detail"),
    path("clubs/<int:pk>/members/", api.MemberListAddApi.as_view(), name="club_members"),
    path("clubs/<int:pk>/members/<int:membership_id>/", api.MemberDetailApi.as_view(), name="club_member_detail"),
    path("clubs/<int:pk>/join/", api.ClubJoinApi.as_view(), name="club_join"),
    path("clubs/<int:pk>/action-items/", api.ActionItemListCreateApi.as_view(), name="club_action_items"),
    path(
        "clubs/<int:pk>/action-items/<int:action_id>/",
        api.ActionItemDetailApi.as_view(),
        name="club_action_item_detail",
    ),
    path("meetings/", api.MeetingListCreateApi.as_view(), name="meeting_list"),
    path("meetings/<int:pk>/", api.MeetingDetailApi.as_view(), name="meeting_detail"),
    path("meetings/<int:pk>/cancel/", api.MeetingCancelApi.as_view(), name="meeting_cancel"),
    path("meetings/<int:pk>/invitations/", api.InvitationListSendApi.as_view(), name="meeting_invitations"),
    path("meetings/<int:pk>/rsvp/", api.RsvpApi.as_view(), name="meeting_rsvp"),
    path("meetings/<int:pk>/attendance/", api.AttendanceApi.as_view(), name="meeting_attendance"),
    path("meetings/<int:pk>/agenda/", api.AgendaAddApi.as_view(), name="meeting_agenda"),
    path("meetings/<int:pk>/agenda/<int:topic_id>/", api.AgendaTopicApi.as_view(), name="meeting_agenda_topic"),
    path("meetings/<int:pk>/votes/", api.VoteListCreateApi.as_view(), name="meeting_votes"),
    path("meetings/<int:pk>/votes/<int:vote_id>/", api.VoteDetailApi.as_view(), name="meeting_vote_detail"),
    path("meetings/<int:pk>/votes/<int:vote_id>/open/", api.VoteOpenApi.as_view(), name="meeting_vote_open"),
    path("meetings/<int:pk>/votes/<int:vote_id>/close/", api.VoteCloseApi.as_view(), name="meeting_vote_close"),
    path("meetings/<int:pk>/votes/<int:vote_id>/ballot/", api.BallotApi.as_view(), name="meeting_vote_ballot"),
    path("meetings/<int:pk>/minutes/", api.MinutesApi.as_view(), name="meeting_minutes"),
]
