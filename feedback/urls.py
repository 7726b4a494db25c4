from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("triage/", views.triage_inbox, name="triage_inbox"),
    path("portal/", views.portal_home, name="portal_home"),
    path("portal/feedback/new/", views.portal_submit, name="portal_submit"),
]
