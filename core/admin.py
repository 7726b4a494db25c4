from django.contrib import admin

from core.models import OutboundEmail

# The real body of a security email (a sign-in code, a reset link) is never shown, not even here.
SECRET_FIELDS = {"secret_text_body", "secret_html_body"}


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ["to_email", "subject", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "template", "language", "is_sensitive"]
    search_fields = ["to_email", "subject", "idempotency_key"]
    exclude = sorted(SECRET_FIELDS)
    readonly_fields = [f.name for f in OutboundEmail._meta.fields if f.name not in SECRET_FIELDS]

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*SECRET_FIELDS)
