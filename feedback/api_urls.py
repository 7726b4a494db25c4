from django.urls import path

from feedback import api

urlpatterns = [
    path("feedback/", api.FeedbackListCreateApi.as_view(), name="feedback_list"),
    path("feedback/similar/", api.SimilarApi.as_view(), name="feedback_similar"),
    path("feedback/<int:pk>/", api.FeedbackDetailApi.as_view(), name="feedback_detail"),
    path("feedback/<int:pk>/comments/", api.CommentApi.as_view(), name="feedback_comments"),
    path("feedback/<int:pk>/vote/", api.VoteApi.as_view(), name="feedback_vote"),
]
