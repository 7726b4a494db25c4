from html import escape

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from clubs.models import Invitation

register = template.Library()


@register.simple_tag
def attendance_rows(memberships, can_run: bool):
    """The meeting-day attendance list, one checkbox per member (clubs.views.staff.RunMember rows),
    written in Python with every value escaped: a club of 300 members is 300 rows, which a per-row
    template loop renders about twenty times slower."""
    if not memberships:
        return format_html('<li class="muted">{}</li>', _("The club has no member yet."))
    staff, not_invited = escape(_("staff")), escape(_("not invited"))
    disabled = "" if can_run else " disabled"
    labels = {str(value): escape(str(label)) for value, label in Invitation.Rsvp.choices}
    rows = []
    for m in memberships:
        user_id = int(m.user_id)
        rows.append(
            f'<li><label><input type="checkbox" name="present" value="{user_id}"'
            f'{" checked" if m.attended else ""}{disabled} data-testid="present-{user_id}">'
            f' <span>{escape(m.name or m.email)} <small class="muted">'
            f"{escape(m.organization_name) if m.organization_name else staff}</small></span>"
            f' <span class="badge club-rsvp-{escape(m.rsvp)}">{labels.get(m.rsvp, "") if m.invited else not_invited}'
            "</span></label></li>"
        )
    return mark_safe("".join(rows))  # noqa: S308 (every value escaped above)
