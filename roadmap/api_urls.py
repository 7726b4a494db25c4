from django.urls import path

from roadmap import api

urlpatterns = [
    path("roadmap-items/", api.ItemListCreateApi.as_view(), name="roadmap_item_list"),
    path("roadmap-items/<int:pk>/", api.ItemDetailApi.as_view(), name="roadmap_item_detail"),
    path("roadmap-items/<int:pk>/feedback/", api.ItemFeedbackApi.as_view(), name="roadmap_item_feedback"),
    path("decisions/", api.DecisionListCreateApi.as_view(), name="decision_list"),
    path("decisions/<int:pk>/", api.DecisionDetailApi.as_view(), name="decision_detail"),
    path("releases/", api.ReleaseListCreateApi.as_view(), name="release_list"),
    path("releases/<int:pk>/", api.ReleaseDetailApi.as_view(), name="release_detail"),
    path("releases/<int:pk>/publish/", api.ReleasePublishApi.as_view(), name="release_publish"),
]
