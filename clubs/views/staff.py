"""Staff club pages: the clubs, their members, meetings with the agenda builder, the meeting-day
page, the vote tally and the meeting history.

Thin: parse input, ask clubs.policy, call a selector or a service, render. Clients get 404
(staff_required); a contributor reads, and gets 403 on what needs an organizer (club_require is
asked before any form is validated, so a refused POST never writes nor leaks a validation error).
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from clubs import selectors, services
from clubs.forms import (
    ActionItemForm,
    ActionStatusForm,
    AttendanceForm,
    CaptureForm,
    ClubForm,
    MeetingForm,
    MemberAddForm,
    MemberEmailForm,
    MemberSearchForm,
    MembershipForm,
    MinutesForm,
    TopicForm,
    TopicUpdateForm,
    VoteCreateForm,
    form_errors_from,
)
from clubs.models import ActionItem, AgendaItem, Club, ClubMembership, Invitation, Meeting, MeetingVote, Minutes
from clubs.policy import (
    Action,
    club_actions_for,
    club_get_visible_to,
    club_require,
    meeting_get_visible_to,
    members_visible_to,
    topic_link_for,
)
from core.lookups import object_or_404
from core.permissions import staff_required
from feedback.models import Feedback
from roadmap.models import RoadmapItem


def _bad_request(request, template: str, context: dict) -> HttpResponse:
    return render(request, template, context, status=400)


def _flash_errors(request, exc: ValidationError) -> None:
    for error in exc.messages:
        messages.error(request, error)


# Clubs ----------------------------------------------------------------------------------------


@staff_required
@require_GET
def index(request):
    return render(
        request,
        "clubs/index.html",
        {"clubs": list(selectors.club_list(user=request.user)), "can_create": request.user.is_product_owner},
    )


def _club_values(form: ClubForm) -> dict:
    data = dict(form.cleaned_data)
    data["organizers"] = list(data["organizers"]) or None
    data["product_areas"] = list(data["product_areas"])
    return data


@staff_required
@require_http_methods(["GET", "POST"])
def club_new(request):
    if not request.user.is_product_owner:
        raise PermissionDenied(_("Only product owners create clubs."))
    form = ClubForm(request.POST or None, initial={"organizers": [request.user.pk]})
    if request.method == "POST" and form.is_valid():
        try:
            club = services.club_create(actor=request.user, **_club_values(form))
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("The club is created. Add its members."))
            return redirect("clubs:club", pk=club.pk)
    status = 400 if form.errors else 200
    return render(request, "clubs/club_form.html", {"form": form, "club": None}, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def club_edit(request, pk: int):
    club = club_get_visible_to(user=request.user, pk=pk)
    club_require(user=request.user, action=Action.MANAGE, club=club)
    initial = {
        "name": club.name,
        "description": club.description,
        "language": club.language,
        "region": club.region,
        "visibility": club.visibility,
        "product_areas": list(club.product_areas.values_list("pk", flat=True)),
        "organizers": list(club.organizers.values_list("pk", flat=True)),
    }
    form = ClubForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = _club_values(form)
        values["organizers"] = values["organizers"] or []
        try:
            services.club_update(club=club, actor=request.user, **values)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("The club is saved."))
            return redirect("clubs:club", pk=club.pk)
    status = 400 if form.errors else 200
    return render(request, "clubs/club_form.html", {"form": form, "club": club}, status=status)


def _club_context(request, club: Club, **extra) -> dict:
    members = list(members_visible_to(user=request.user, club=club))
    meetings = selectors.meetings_of_club(club=club)
    return {
        "club": club,
        "can": club_actions_for(user=request.user, club=club),
        "members": members,
        "roles": ClubMembership.Role.choices,
        "requests": list(
            ClubMembership.objects.filter(club=club, status=ClubMembership.Status.REQUESTED)
            .select_related("user", "organization")
            .order_by("created_at", "id")
        ),
        "planned": [m for m in meetings if m.status == Meeting.Status.PLANNED],
        "past": [m for m in meetings if m.status != Meeting.Status.PLANNED],
        "actions": list(
            ActionItem.objects.filter(club=club, status=ActionItem.Status.OPEN)
            .select_related("owner", "meeting")
            .order_by("due_date", "id")
        ),
        "organizers": list(club.organizers.order_by("name", "email")),
        "add_form": extra.pop("add_form", None) or MemberEmailForm(),
        **extra,
    }


@staff_required
@require_GET
def club(request, pk: int):
    club = club_get_visible_to(user=request.user, pk=pk)
    return render(request, "clubs/club.html", _club_context(request, club))


@staff_required
@require_POST
def members(request, pk: int):
    """Add (from the search, or by email), change a role, remove, approve or refuse a request to join."""
    club = club_get_visible_to(user=request.user, pk=pk)
    club_require(user=request.user, action=Action.MANAGE, club=club)
    action = request.POST.get("action", "")
    back = redirect(reverse("clubs:club", kwargs={"pk": club.pk}) + "#members")
    try:
        if action == "add":
            form = MemberAddForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose a person from the search."))
            user = object_or_404(User.objects.filter(is_active=True), form.cleaned_data["user"])
            services.member_add(club=club, actor=request.user, user=user, role=form.cleaned_data["role"])
            messages.success(request, _("%(name)s joined the club.") % {"name": user.get_full_name() or user.email})
        elif action == "add_email":
            form = MemberEmailForm(request.POST)
            if form.is_valid():
                try:
                    membership = services.member_add_by_email(
                        club=club, actor=request.user, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
                    )
                except ValidationError as exc:
                    form_errors_from(form, exc)
                else:
                    messages.success(
                        request, _("%(name)s joined the club.") % {"name": membership.user.get_full_name()}
                    )
                    return back
            return render(request, "clubs/club.html", _club_context(request, club, add_form=form), status=400)
        elif action in ("role", "remove", "approve", "refuse"):
            form = MembershipForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose a valid role."))
            membership = object_or_404(ClubMembership.objects.filter(club=club), form.cleaned_data["membership"])
            if action == "role":
                services.member_update(membership=membership, actor=request.user, role=form.cleaned_data["role"])
                messages.success(request, _("The role is changed."))
            else:
                status = {
                    "remove": ClubMembership.Status.LEFT,
                    "approve": ClubMembership.Status.ACTIVE,
                    "refuse": ClubMembership.Status.REFUSED,
                }[action]
                services.member_update(membership=membership, actor=request.user, status=status)
                messages.success(
                    request,
                    {
                        "remove": _("The member is removed from the club."),
                        "approve": _("The request to join is approved."),
                        "refuse": _("The request to join is refused."),
                    }[action],
                )
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as exc:
        _flash_errors(request, exc)
        return redirect(reverse("clubs:club", kwargs={"pk": club.pk}) + "#members")
    return back


@staff_required
@require_GET
def member_search(request, pk: int):
    club = club_get_visible_to(user=request.user, pk=pk)
    form = MemberSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    return render(
        request,
        "clubs/_member_search.html",
        {
            "club": club,
            "people": selectors.member_search(club=club, query=query),
            "query": query,
            "roles": ClubMembership.Role.choices,
            "can": club_actions_for(user=request.user, club=club),
        },
    )


# Meetings and the agenda builder --------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def meeting_new(request, pk: int):
    club = club_get_visible_to(user=request.user, pk=pk)
    club_require(user=request.user, action=Action.MANAGE, club=club)
    form = MeetingForm(request.POST or None, initial={"timezone": request.user.timezone or "Europe/Paris"})
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_create(club=club, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("The meeting is planned. Build its agenda."))
            return redirect("clubs:meeting", pk=meeting.pk)
    status = 400 if form.errors else 200
    return render(request, "clubs/meeting_form.html", {"form": form, "club": club}, status=status)


def _suggestions(meeting: Meeting) -> dict:
    """The four lists of agenda_suggestions, each row with the hidden fields of its "add" form."""
    found = selectors.agenda_suggestions(club=meeting.club, meeting=meeting)
    groups = []
    for key, label in (
        ("demand", _("Most voted by the club's companies")),
        ("changed", _("Changed status since the last meeting")),
        ("awaiting", _("Roadmap items awaiting a decision")),
        ("actions", _("Open action items")),
    ):
        rows = []
        for row in found[key]:
            if row.get("feedback") is not None:
                source, source_id = "feedback", row["feedback"].pk
            elif row.get("roadmap_item") is not None:
                source, source_id = "roadmap", row["roadmap_item"].pk
            else:
                source, source_id = "action", row["action_item"].pk
            rows.append({**row, "source": source, "source_id": source_id, "private": not row["wording"]})
        groups.append({"key": key, "label": label, "rows": rows})
    return {"groups": groups, "previous": found["previous"], "since": found["since"]}


def _meeting_context(request, meeting: Meeting, **extra) -> dict:
    can = club_actions_for(user=request.user, club=meeting.club)
    agenda = list(meeting.agenda.select_related("feedback", "roadmap_item", "action_item"))
    for topic in agenda:
        topic.link = topic_link_for(user=request.user, topic=topic)
    context = {
        "meeting": meeting,
        "club": meeting.club,
        "can": can,
        "agenda": agenda,
        "total_minutes": sum(t.minutes_allotted for t in agenda),
        "invitations": list(
            meeting.invitations.select_related("user", "organization").order_by("organization__name", "user__name")
        ),
        "topic_form": extra.pop("topic_form", None) or TopicForm(),
        "meeting_form": extra.pop("meeting_form", None),
        "suggestion_error": extra.pop("suggestion_error", None),
    }
    if Action.MANAGE in can and meeting.status == Meeting.Status.PLANNED:
        context["suggestions"] = _suggestions(meeting)
        if context["meeting_form"] is None:
            context["meeting_form"] = MeetingForm(initial=MeetingForm.initial_for(meeting))
    context.update(extra)
    return context


def _topic_source(form: TopicForm) -> dict:
    """The linked request, roadmap item or action item of a suggestion (staff see them all)."""
    source, source_id = form.cleaned_data.get("source"), form.cleaned_data.get("source_id")
    if not source or not source_id:
        return {}
    if source == "feedback":
        return {"feedback": object_or_404(Feedback.objects.all(), source_id)}
    if source == "roadmap":
        return {"roadmap_item": object_or_404(RoadmapItem.objects.all(), source_id)}
    return {"action_item": object_or_404(ActionItem.objects.all(), source_id)}


def _meeting_post(request, meeting: Meeting):
    """The agenda builder's and the meeting's forms. Returns a response, or a context to re-render."""
    action = request.POST.get("action", "")
    back = redirect(reverse("clubs:meeting", kwargs={"pk": meeting.pk}) + "#agenda")
    if action == "edit":
        form = MeetingForm(request.POST)
        if form.is_valid():
            try:
                services.meeting_update(meeting=meeting, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("The meeting is saved."))
                return redirect("clubs:meeting", pk=meeting.pk)
        return {"meeting_form": form}
    if action == "topic_add":
        form = TopicForm(request.POST)
        if form.is_valid():
            origin = form.cleaned_data["origin"] or AgendaItem.Origin.MANUAL
            try:
                services.agenda_add(
                    meeting=meeting,
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    notes=form.cleaned_data["notes"],
                    minutes_allotted=form.cleaned_data["minutes_allotted"],
                    origin=origin,
                    **_topic_source(form),
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("The topic is on the agenda."))
                return back
        if request.POST.get("source"):
            # A suggestion's form: show its error beside it, not in the hand-written topic's form.
            return {
                "suggestion_error": {
                    "source": request.POST.get("source"),
                    "source_id": request.POST.get("source_id"),
                    "errors": [e for errors in form.errors.values() for e in errors],
                }
            }
        return {"topic_form": form}
    if action in ("topic_up", "topic_down", "topic_remove", "topic_update"):
        topic = object_or_404(
            AgendaItem.objects.filter(meeting=meeting).select_related("meeting__club", "feedback", "roadmap_item"),
            request.POST.get("topic"),
        )
        try:
            if action == "topic_remove":
                services.agenda_remove(topic=topic, actor=request.user)
                messages.success(request, _("The topic is removed from the agenda."))
            elif action == "topic_update":
                form = TopicUpdateForm(request.POST)
                if not form.is_valid():
                    raise ValidationError([e for errors in form.errors.values() for e in errors])
                services.agenda_update(topic=topic, actor=request.user, **form.cleaned_data)
                messages.success(request, _("The topic is saved."))
            else:
                services.agenda_move(topic=topic, actor=request.user, direction=action.removeprefix("topic_"))
        except ValidationError as exc:
            _flash_errors(request, exc)
        return back
    if action == "invite":
        try:
            count = services.invitations_send(meeting=meeting, actor=request.user)
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            if count:
                messages.success(
                    request,
                    ngettext(
                        "Invitations are on their way to %(count)s member.",
                        "Invitations are on their way to %(count)s members.",
                        count,
                    )
                    % {"count": count},
                )
            else:
                messages.info(request, _("Every member is already invited."))
        return redirect(reverse("clubs:meeting", kwargs={"pk": meeting.pk}) + "#invitations")
    if action == "cancel":
        try:
            services.meeting_cancel(meeting=meeting, actor=request.user)
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("The meeting is cancelled."))
        return redirect("clubs:meeting", pk=meeting.pk)
    messages.error(request, _("Unknown action."))
    return redirect("clubs:meeting", pk=meeting.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def meeting(request, pk: int):
    meeting = meeting_get_visible_to(user=request.user, pk=pk)
    if request.method == "POST":
        club_require(user=request.user, action=Action.MANAGE, club=meeting.club)
        outcome = _meeting_post(request, meeting)
        if isinstance(outcome, HttpResponse):
            return outcome
        meeting.refresh_from_db()
        return _bad_request(request, "clubs/meeting.html", _meeting_context(request, meeting, **outcome))
    return render(request, "clubs/meeting.html", _meeting_context(request, meeting))


@staff_required
@require_GET
def meeting_history(request, pk: int):
    meeting = meeting_get_visible_to(user=request.user, pk=pk)
    history = selectors.meeting_history(meeting=meeting, user=request.user)
    for row in history["promised"]:
        row.link = topic_link_for(user=request.user, topic=row)
    for row in history["happened"]:
        row["link"] = topic_link_for(user=request.user, topic=row["topic"])
    return render(request, "clubs/meeting_history.html", {"meeting": meeting, "club": meeting.club, **history})


# The meeting day ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunMember:
    """A member on the meeting-day page, with their invitation's answer and attendance."""

    user_id: int
    organization_id: int | None
    name: str
    email: str
    organization_name: str | None
    invitation: dict | None

    @property
    def attended(self) -> bool:
        return bool(self.invitation and self.invitation["attended"])

    @property
    def invited(self) -> bool:
        return bool(self.invitation and self.invitation["invited_at"])

    @property
    def rsvp(self) -> str:
        return self.invitation["rsvp"] if self.invitation else "none"


def _run_context(request, meeting: Meeting, **extra) -> dict:
    """The meeting-day page in few queries: members with their invitation, the agenda, the votes, the
    minutes and the club's open action items; the tallies come in their own fragments."""
    can = club_actions_for(user=request.user, club=meeting.club)
    # Plain rows, not model instances: a club of 300 members is 600 rows to read on every load.
    invitations = {
        row["user_id"]: row
        for row in Invitation.objects.filter(meeting=meeting).values("user_id", "attended", "rsvp", "invited_at")
    }
    memberships = [
        RunMember(**row, invitation=invitations.get(row["user_id"]))
        for row in ClubMembership.objects.filter(club=meeting.club, status=ClubMembership.Status.ACTIVE)
        .order_by("organization__name", "user__name", "id")
        .values(
            "user_id",
            "organization_id",
            name=F("user__name"),
            email=F("user__email"),
            organization_name=F("organization__name"),
        )
    ]
    agenda = list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "id"))
    votes = list(MeetingVote.objects.filter(meeting=meeting).order_by("created_at", "id"))
    minutes = Minutes.objects.filter(meeting=meeting).first()
    people = {m.user_id for m in memberships}
    actions = list(
        ActionItem.objects.filter(club=meeting.club)
        .filter(status=ActionItem.Status.OPEN)
        .order_by("due_date", "id")
        .select_related("owner")
    )
    owners = [(m.user_id, m.name or m.email) for m in memberships]
    if request.user.pk not in people:
        owners.insert(0, (request.user.pk, request.user.get_full_name() or request.user.email))
    return {
        "meeting": meeting,
        "club": meeting.club,
        "can": can,
        "can_run": "run" in can,
        "memberships": memberships,
        "present_count": sum(1 for m in memberships if m.attended),
        "agenda": agenda,
        "votes": votes,
        "minutes": minutes,
        "actions": actions,
        "statuses": ActionItem.Status.choices,
        "vote_form": extra.pop("vote_form", None) or VoteCreateForm(topics=agenda),
        "minutes_form": extra.pop("minutes_form", None)
        or MinutesForm(initial={"body": minutes.body if minutes else ""}),
        "capture_form": extra.pop("capture_form", None) or CaptureForm(members=memberships),
        "action_form": extra.pop("action_form", None) or ActionItemForm(owners=owners),
        **extra,
    }


def _run_post(request, meeting: Meeting):
    action = request.POST.get("action", "")
    here = reverse("clubs:meeting_run", kwargs={"pk": meeting.pk})
    actor = request.user
    if action == "attendance":
        member_ids = list(
            ClubMembership.objects.filter(club=meeting.club, status=ClubMembership.Status.ACTIVE).values_list(
                "user_id", flat=True
            )
        )
        form = AttendanceForm(request.POST, member_ids=member_ids)
        if not form.is_valid():
            messages.error(request, _("Choose the club's members only."))
            return redirect(here + "#attendance")
        present = set(form.cleaned_data["present"])
        was = set(Invitation.objects.filter(meeting=meeting, attended=True).values_list("user_id", flat=True))
        users = User.objects.in_bulk(present ^ was)
        try:
            for user_id in sorted(present ^ was):
                services.attendance_set(meeting=meeting, actor=actor, user=users[user_id], attended=user_id in present)
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("Attendance saved: %(count)s present.") % {"count": len(present)})
        return redirect(here + "#attendance")
    if action == "vote_create":
        agenda = list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "id"))
        form = VoteCreateForm(request.POST, topics=agenda)
        if form.is_valid():
            chosen = [t for t in agenda if t.pk in set(form.cleaned_data["topics"])]
            try:
                vote = services.vote_create(
                    meeting=meeting,
                    actor=actor,
                    title=form.cleaned_data["title"],
                    budget=form.cleaned_data["budget"],
                    topics=chosen,
                )
                if request.POST.get("open_now"):
                    services.vote_open(vote=vote, actor=actor)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("The vote is ready."))
                return redirect(here + "#votes")
        return {"vote_form": form}
    if action in ("vote_open", "vote_close"):
        vote = object_or_404(
            MeetingVote.objects.filter(meeting=meeting).select_related("meeting__club"), request.POST.get("vote")
        )
        try:
            if action == "vote_open":
                services.vote_open(vote=vote, actor=actor)
                messages.success(request, _("The vote is open: the attendees can vote now."))
            else:
                services.vote_close(vote=vote, actor=actor)
                messages.success(request, _("The vote is closed and its results are stored."))
        except ValidationError as exc:
            _flash_errors(request, exc)
        return redirect(here + "#votes")
    if action in ("minutes_save", "minutes_publish"):
        form = MinutesForm(request.POST)
        if form.is_valid():
            try:
                services.minutes_save(
                    meeting=meeting, actor=actor, body=form.cleaned_data["body"], publish=action == "minutes_publish"
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(
                    request,
                    _("The minutes are published and sent to the attendees.")
                    if action == "minutes_publish"
                    else _("The minutes are saved."),
                )
                return redirect(here + "#minutes")
        return {"minutes_form": form}
    if action == "capture":
        memberships = list(
            ClubMembership.objects.filter(club=meeting.club, status=ClubMembership.Status.ACTIVE).select_related(
                "user", "organization"
            )
        )
        form = CaptureForm(request.POST, members=memberships)
        if form.is_valid():
            author = next(m.user for m in memberships if m.user_id == form.cleaned_data["author"])
            try:
                services.request_capture(
                    meeting=meeting,
                    actor=actor,
                    author=author,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    kind=form.cleaned_data["kind"],
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(
                    request, _("The request is logged in %(name)s's name.") % {"name": author.get_full_name()}
                )
                return redirect(here + "#capture")
        return {"capture_form": form}
    if action == "action_add":
        owner_ids = set(
            ClubMembership.objects.filter(club=meeting.club, status=ClubMembership.Status.ACTIVE).values_list(
                "user_id", flat=True
            )
        ) | {actor.pk}
        form = ActionItemForm(request.POST, owners=[(pk, pk) for pk in sorted(owner_ids)])
        if form.is_valid():
            owner = User.objects.filter(pk=form.cleaned_data["owner"]).first() if form.cleaned_data["owner"] else None
            try:
                services.action_item_create(
                    club=meeting.club,
                    actor=actor,
                    meeting=meeting,
                    title=form.cleaned_data["title"],
                    owner=owner,
                    due_date=form.cleaned_data["due_date"],
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, _("The action item is recorded."))
                return redirect(here + "#actions")
        return {"action_form": form}
    if action == "action_status":
        form = ActionStatusForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a valid status."))
            return redirect(here + "#actions")
        item = object_or_404(
            ActionItem.objects.filter(club=meeting.club).select_related("club"), form.cleaned_data["action_item"]
        )
        try:
            services.action_item_update(action_item=item, actor=actor, status=form.cleaned_data["status"])
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("The action item is updated."))
        return redirect(here + "#actions")
    messages.error(request, _("Unknown action."))
    return redirect(here)


@staff_required
@require_http_methods(["GET", "POST"])
def meeting_run(request, pk: int):
    meeting = meeting_get_visible_to(user=request.user, pk=pk)
    if request.method == "POST":
        club_require(user=request.user, action=Action.RUN, club=meeting.club)
        outcome = _run_post(request, meeting)
        if isinstance(outcome, HttpResponse):
            return outcome
        return _bad_request(request, "clubs/meeting_run.html", _run_context(request, meeting, **outcome))
    return render(request, "clubs/meeting_run.html", _run_context(request, meeting))


@staff_required
@require_GET
def vote_tally(request, pk: int):
    vote = selectors.vote_get_visible_to(user=request.user, pk=pk)
    tally = services.vote_tally(vote=vote)
    by_organization = selectors.vote_tally_by_organization(vote=vote)
    for row in tally:
        row["organizations"] = by_organization.get(row["topic"].pk, [])
    ballots = vote.ballot_count if vote.status == MeetingVote.Status.CLOSED else vote.ballots.count()
    return render(
        request,
        "clubs/_vote_tally.html",
        {"vote": vote, "tally": tally, "ballots": ballots, "max_points": max([r["points"] for r in tally] or [0])},
    )
