from django.urls import path

from roadmap.views import portal, staff

app_name = "roadmap"

urlpatterns = [
    # Staff
    path("roadmap/", staff.board, name="index"),
    path("roadmap/ranked/", staff.ranked, name="ranked"),
    path("roadmap/items/new/", staff.item_new, name="item_new"),
    path("roadmap/items/search/", staff.item_search, name="item_search"),
    path("roadmap/items/<int:pk>/", staff.item_detail, name="item"),
    path("roadmap/items/<int:pk>/move/", staff.item_move, name="item_move"),
    path("roadmap/items/<int:pk>/sheet/", staff.item_sheet, name="item_sheet"),
    path("roadmap/items/<int:pk>/figures/<slug:figure>/", staff.item_figure, name="item_figure"),
    path("roadmap/feedback/<int:pk>/link/", staff.feedback_link, name="feedback_link"),
    path("roadmap/decisions/", staff.decision_log, name="decisions"),
    path("roadmap/decisions/export.csv", staff.decision_export, name="decisions_export"),
    path("roadmap/decisions/<int:pk>/outcome/", staff.decision_outcome, name="decision_outcome"),
    path("roadmap/releases/", staff.release_list, name="releases"),
    path("roadmap/releases/new/", staff.release_new, name="release_new"),
    path("roadmap/releases/<int:pk>/", staff.release_detail, name="release"),
    # Portal
    path("portal/roadmap/", portal.public_roadmap, name="public"),
    path("portal/roadmap/<int:pk>/me-too/", portal.me_too, name="me_too"),
    path("portal/changelog/", portal.changelog, name="changelog"),
    path("portal/changelog/feed.atom", portal.ChangelogFeed(), name="changelog_feed"),
]
