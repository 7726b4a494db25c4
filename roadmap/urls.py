from django.urls import path

from roadmap import views

app_name = "roadmap"

urlpatterns = [
    path("roadmap/", views.index, name="index"),
    path("portal/roadmap/", views.public, name="public"),
    path("portal/changelog/", views.changelog, name="changelog"),
]
