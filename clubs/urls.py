from django.urls import path

from clubs import views

app_name = "clubs"

urlpatterns = [
    path("clubs/", views.index, name="index"),
    path("clubs/meetings/<int:pk>/", views.meeting, name="meeting"),
    path("portal/clubs/", views.mine, name="mine"),
    path("portal/clubs/meetings/<int:pk>/", views.portal_meeting, name="portal_meeting"),
]
