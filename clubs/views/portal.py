"""The portal's clubs: my clubs and meetings with RSVP, a club, a meeting (agenda, minutes, the live
vote) and the vote fragment polled by htmx. Members only: anything else is 404 through clubs.policy;
staff are sent to the staff pages.

What a member reads of a linked request or roadmap item is asked of clubs.policy.topic_link_for:
a topic about another company's private request shows the organizer's summary and no link."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clubs import selectors, services
from clubs.forms import BallotForm, RsvpForm, form_errors_from
from clubs.models import Club, ClubMembership, Invitation, Meeting, MeetingVote, Minutes
from clubs.policy import (
    Action,
    club_get_joinable,
    club_get_visible_to,
    club_joinable_q,
    club_may,
    meeting_get_visible_to,
    members_visible_to,
    topic_link_for,
)
from core.permissions import client_required


def _staff_to(request, url_name: str, **kwargs):
    return redirect(url_name, **kwargs) if request.user.is_staff_member else None


@login_required
@require_GET
def mine(request):
    if request.user.is_staff_member:
        return redirect("clubs:index")
    if request.user.organization is None:
        raise Http404
    user = request.user
    clubs = list(selectors.clubs_of(user=user))
    meetings = selectors.upcoming_meetings_for(user=user)
    return render(
        request,
        "clubs/mine.html",
        {
            "clubs": clubs,
            "meetings": meetings,
            "rsvp_choices": RsvpForm.base_fields["rsvp"].choices,
            "actions": list(selectors.action_items_of(user=user)[:50]),
            "today": timezone.localdate(),
            "joinable": list(Club.objects.filter(club_joinable_q(user=user)).order_by("name", "id")[:20]),
            "requested": set(
                ClubMembership.objects.filter(user=user, status=ClubMembership.Status.REQUESTED).values_list(
                    "club_id", flat=True
                )
            ),
        },
    )


@login_required
@require_GET
def portal_club(request, pk: int):
    if request.user.is_staff_member:
        return redirect("clubs:club", pk=pk)
    club = club_get_visible_to(user=request.user, pk=pk)
    meetings = selectors.meetings_of_club(club=club)
    now = timezone.now()
    return render(
        request,
        "clubs/portal_club.html",
        {
            "club": club,
            "members": list(members_visible_to(user=request.user, club=club)),
            "upcoming": [m for m in meetings if m.status == Meeting.Status.PLANNED and m.ends_at >= now][::-1],
            "past": [m for m in meetings if not (m.status == Meeting.Status.PLANNED and m.ends_at >= now)],
            "minutes": selectors.published_minutes_of_club(club=club),
        },
    )


def _current_vote(meeting: Meeting) -> MeetingVote | None:
    """The open vote, else the last closed one (its results); a draft is the organizer's."""
    return selectors.open_vote_for(meeting=meeting) or (
        meeting.votes.filter(status=MeetingVote.Status.CLOSED).order_by("-closed_at", "-id").first()
    )


def _vote_context(request, meeting: Meeting, vote: MeetingVote | None, form: BallotForm | None = None) -> dict:
    context = {"meeting": meeting, "vote": vote, "form": None, "ballot": None, "results": None, "poll": True}
    if vote is None:
        return context
    if vote.status == MeetingVote.Status.CLOSED:
        tally = services.vote_tally(vote=vote)
        context |= {
            "results": tally,
            "max_points": max([r["points"] for r in tally] or [0]),
            "ballot": selectors.ballot_of(vote=vote, user=request.user),
            "poll": False,
        }
        return context
    if vote.status != MeetingVote.Status.OPEN:
        return context
    ballot = selectors.ballot_of(vote=vote, user=request.user)
    if ballot is not None:
        context["ballot"] = ballot
        return context
    attending = Invitation.objects.filter(meeting=meeting, user=request.user, attended=True).exists()
    context["attending"] = attending
    if attending:
        topics = list(vote.topics.order_by("position", "id"))
        context["form"] = form or BallotForm(topics=topics, budget=vote.budget)
        context["poll"] = False  # the member is typing: the fragment stops refreshing itself
    return context


@login_required
@require_http_methods(["GET", "POST"])
def portal_meeting(request, pk: int):
    if request.user.is_staff_member:
        return redirect("clubs:meeting", pk=pk)
    meeting = meeting_get_visible_to(user=request.user, pk=pk)
    if request.GET.get("part") == "vote":
        return render(request, "clubs/_portal_vote.html", _vote_context(request, meeting, _current_vote(meeting)))
    invitation = Invitation.objects.filter(meeting=meeting, user=request.user).first()
    form = None
    can_answer = (
        invitation is not None
        and invitation.invited_at is not None
        and meeting.status == Meeting.Status.PLANNED
        and meeting.ends_at > timezone.now()
    )
    status = 200
    if request.method == "POST":
        form = RsvpForm(request.POST)
        if form.is_valid():
            try:
                services.rsvp_set(meeting=meeting, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(form, exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(request, _("Your answer is saved."))
                return redirect("clubs:portal_meeting", pk=meeting.pk)
        status = 400
    elif can_answer:
        initial = {"comment": invitation.comment}
        if invitation.rsvp != Invitation.Rsvp.PENDING:
            initial["rsvp"] = invitation.rsvp
        form = RsvpForm(initial=initial)
    agenda = list(meeting.agenda.select_related("feedback", "roadmap_item"))
    for topic in agenda:
        topic.link = topic_link_for(user=request.user, topic=topic)
    minutes = Minutes.objects.filter(meeting=meeting, published_at__isnull=False).first()
    return render(
        request,
        "clubs/portal_meeting.html",
        {
            "meeting": meeting,
            "club": meeting.club,
            "invitation": invitation,
            "form": form if (can_answer or request.method == "POST") else None,
            "agenda": agenda,
            "minutes": minutes,
            "has_votes": meeting.status != Meeting.Status.CANCELLED,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def portal_vote(request, pk: int):
    if request.user.is_staff_member:
        raise Http404
    vote = selectors.vote_get_visible_to(user=request.user, pk=pk)
    meeting = vote.meeting
    if request.method == "GET":
        return render(request, "clubs/_portal_vote.html", _vote_context(request, meeting, vote))
    if not club_may(user=request.user, action=Action.VOTE, club=meeting.club):
        raise Http404
    topics = list(vote.topics.order_by("position", "id"))
    form = BallotForm(request.POST, topics=topics, budget=vote.budget)
    known = {f"topic_{t.pk}" for t in topics}
    unknown = [key for key in request.POST if key.startswith("topic_") and key not in known]
    status = 400
    if unknown:
        form.is_valid()
        form.add_error(None, _("Give points to this vote's topics only."))
    elif form.is_valid():
        try:
            services.ballot_cast(vote=vote, user=request.user, points=form.points())
        except ValidationError as exc:
            form_errors_from(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            status = 200
            if not request.headers.get("HX-Request"):
                messages.success(request, _("Your points are counted."))
                return redirect(reverse("clubs:portal_meeting", kwargs={"pk": meeting.pk}) + "#vote")
    vote.refresh_from_db()
    context = _vote_context(request, meeting, vote, form=form if status == 400 else None)
    if status == 400 and context["form"] is None:
        # The vote closed, or the member is not marked present: say why beside what they see now.
        context["errors"] = [e for errors in form.errors.values() for e in errors]
    if request.headers.get("HX-Request"):
        # htmx swaps 2xx answers only: the refused ballot comes back as a fragment with its errors.
        return render(request, "clubs/_portal_vote.html", context)
    return render(request, "clubs/portal_vote_page.html", context, status=status)


@client_required
@require_POST
def portal_join(request, pk: int):
    club = club_get_joinable(user=request.user, pk=pk)
    try:
        services.join_request(club=club, user=request.user)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    except PermissionDenied as exc:
        raise Http404 from exc
    else:
        messages.success(request, _("Your request to join “%(club)s” is sent to its organizers.") % {"club": club.name})
    return redirect(reverse("clubs:mine") + "#join")
