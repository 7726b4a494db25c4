from django.urls import path

from clubs import views

app_name = "clubs"

urlpatterns = [
    path("clubs/", views.index, name="index"),
    path("portal/clubs/", views.mine, name="mine"),
]
