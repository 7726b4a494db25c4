from django.urls import path

from core import views

app_name = "core"

urlpatterns = [
    path("", views.email_log, name="email_list"),
    path("test/", views.email_test, name="email_test"),
    path("retry-dead/", views.email_retry_dead, name="email_retry_dead"),
    path("<int:pk>/", views.email_detail, name="email_detail"),
    path("<int:pk>/html/", views.email_html, name="email_html"),
    path("<int:pk>/retry/", views.email_retry, name="email_retry"),
]
