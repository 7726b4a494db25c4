"""Calendar files for meeting invitations (RFC 5545 / iTIP RFC 5546), built with icalendar.

One UID for the meeting's whole life and a SEQUENCE raised by every update, so a calendar client
replaces the event instead of adding a second one; METHOD:CANCEL with the same UID removes it.
The times carry the meeting's own time zone (TZID and its VTIMEZONE), not UTC offsets.
"""

from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from clubs.models import Meeting

REQUEST, CANCEL = "REQUEST", "CANCEL"


def meeting_ics(*, meeting: Meeting, attendee_email: str, attendee_name: str, topics: list[str], method: str) -> str:
    zone = ZoneInfo(meeting.timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//Retour//Club meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", meeting.ical_uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", f"{meeting.club.name}: {meeting.title}")
    location = ", ".join(filter(None, [meeting.place, meeting.video_url]))
    if location:
        event.add("location", location)
    if meeting.video_url:
        event.add("url", meeting.video_url)
    description = "\n".join([meeting.description, "", *[f"- {topic}" for topic in topics]]).strip()
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    organizer_name, organizer_email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{organizer_email or 'retour@localhost'}")
    organizer.params["cn"] = vText(organizer_name or "Retour")
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{attendee_email}")
    attendee.params["cn"] = vText(attendee_name or attendee_email)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["rsvp"] = vText("FALSE")  # answers are given in the portal
    event.add("attendee", attendee)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()


def ics_attachment(*, content: str, method: str) -> dict:
    return {
        "filename": "cancel.ics" if method == CANCEL else "invite.ics",
        "content_type": f"text/calendar; method={method}",
        "content": content,
    }
