from django.urls import path

from clubs.views import portal, staff

app_name = "clubs"

urlpatterns = [
    # Staff
    path("clubs/", staff.index, name="index"),
    path("clubs/new/", staff.club_new, name="club_new"),
    path("clubs/<int:pk>/", staff.club, name="club"),
    path("clubs/<int:pk>/edit/", staff.club_edit, name="club_edit"),
    path("clubs/<int:pk>/members/", staff.members, name="members"),
    path("clubs/<int:pk>/members/search/", staff.member_search, name="member_search"),
    path("clubs/<int:pk>/meetings/new/", staff.meeting_new, name="meeting_new"),
    path("clubs/meetings/<int:pk>/", staff.meeting, name="meeting"),
    path("clubs/meetings/<int:pk>/run/", staff.meeting_run, name="meeting_run"),
    path("clubs/meetings/<int:pk>/history/", staff.meeting_history, name="meeting_history"),
    path("clubs/votes/<int:pk>/tally/", staff.vote_tally, name="vote_tally"),
    # Portal
    path("portal/clubs/", portal.mine, name="mine"),
    path("portal/clubs/<int:pk>/", portal.portal_club, name="portal_club"),
    path("portal/clubs/<int:pk>/join/", portal.portal_join, name="portal_join"),
    path("portal/clubs/meetings/<int:pk>/", portal.portal_meeting, name="portal_meeting"),
    path("portal/clubs/votes/<int:pk>/", portal.portal_vote, name="portal_vote"),
]
