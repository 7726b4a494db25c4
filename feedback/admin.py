from django.contrib import admin

from feedback.models import Comment, Feedback, FeedbackEvent, ProductArea, SavedView, Tag, Vote


@admin.register(ProductArea)
class ProductAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "default_owner"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    list_display = ["name", "is_public"]
    list_editable = ["is_public"]


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    raw_id_fields = ["author"]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    # Changes that notify clients or move votes belong to the triage UI (services); the admin reads.
    list_display = ["id", "title", "organization", "status", "vote_count", "organization_count", "created_at"]
    list_filter = ["status", "kind", "visibility", "language", "source"]
    search_fields = ["title"]
    list_select_related = ["organization"]
    raw_id_fields = ["author", "submitted_by", "assignee", "merged_into", "organization"]
    readonly_fields = ["status", "vote_count", "organization_count", "revenue", "merged_into", "first_response_at"]
    inlines = [CommentInline]


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["feedback", "user", "organization", "importance", "provenance"]
    raw_id_fields = ["feedback", "user", "organization", "cast_by"]

    def has_change_permission(self, request, obj=None):
        return False  # counters are kept by the services


@admin.register(FeedbackEvent)
class FeedbackEventAdmin(admin.ModelAdmin):
    list_display = ["feedback", "kind", "actor", "created_at"]
    raw_id_fields = ["feedback", "actor"]


admin.site.register(SavedView)
