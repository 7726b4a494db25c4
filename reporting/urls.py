from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("reports/", views.index, name="index"),
]
