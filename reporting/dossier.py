"""Reads for the organization pages: the list of client companies and one company's dossier.

`dossier_for(organization)` gathers everything about one client company for the page a product
owner opens before calling the client or a club meeting. It runs a fixed number of queries (13)
whatever the company's size: counts are aggregated in SQL, lists are the newest or largest few
(`LIST`), and every query starts from an index on the company (feedback (organization, -created_at),
votes (organization, feedback), memberships, club memberships and invitations by organization,
decision links (organization, decision), outbox rows by recipient).

The result is plain data (str, int, bool, Decimal, date, datetime, lists and dicts: no model
instances), so the page and the API show the same thing. `*_label` keys are in the active language.
Staff only: callers ask reporting.policy first (organization_get_visible_to).
"""

import datetime as dt

from django.db import connection
from django.db.models import CharField, F, Func, Q, QuerySet, Value
from django.utils import timezone

from accounts.models import Membership, Organization
from clubs.models import Meeting
from core.choices import Language
from core.models import OutboundEmail
from feedback.models import Feedback
from reporting.figures import RENEWAL_DAYS
from roadmap.models import Decision, RoadmapItem

LIST = 20  # lines per list
RECENT = 10  # requests per status bucket, meetings, top voted requests
CONTACTS = 50  # people listed (the count is exact)

OPEN = (Feedback.Status.NEW, Feedback.Status.NEEDS_INFO, Feedback.Status.UNDER_REVIEW)
DECIDED = (Feedback.Status.PLANNED, Feedback.Status.IN_PROGRESS, Feedback.Status.DECLINED)
SHIPPED = (Feedback.Status.SHIPPED,)
BUCKETS = {"open": OPEN, "decided": DECIDED, "shipped": SHIPPED}

SORTS = {
    "name": ("name", "id"),
    "-acv": ("-annual_contract_value", "name", "id"),
    "renewal": (F("renewal_date").asc(nulls_last=True), "name", "id"),
}


# The list of organizations ----------------------------------------------------------------------


def organization_list(*, q: str = "", segment: str = "", tier: str = "", sort: str = "name") -> QuerySet:
    """Organizations matching a search on name, slug or email domain, for a paginated page."""
    rows = Organization.objects.select_related("account_owner")
    q = (q or "").strip()
    if q:
        domains = Func(F("email_domains"), Value(" "), function="array_to_string", output_field=CharField())
        rows = rows.annotate(domains_text=domains).filter(
            Q(name__icontains=q) | Q(slug__icontains=q) | Q(domains_text__icontains=q.lstrip("@"))
        )
    if segment:
        rows = rows.filter(segment=segment)
    if tier:
        rows = rows.filter(tier=tier)
    return rows.order_by(*SORTS.get(sort, SORTS["name"]))


def contact_counts(*, organization_ids: list[int]) -> dict[int, int]:
    """Client users per organization, for one page of the list (one query)."""
    if not organization_ids:
        return {}
    rows = _rows(
        "SELECT organization_id, count(*) FROM accounts_membership WHERE organization_id = ANY(%s) GROUP BY 1",
        [list(organization_ids)],
    )
    return dict(rows)


def renewal_soon(renewal_date: dt.date | None, *, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return renewal_date is not None and today <= renewal_date <= today + dt.timedelta(days=RENEWAL_DAYS)


# The dossier ------------------------------------------------------------------------------------


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _label(choices, value) -> str:
    """The label of a value of a TextChoices class, in the active language."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def _person(name: str, email: str) -> str:
    return name or email


def dossier_for(organization: Organization, *, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    org = organization.pk
    return {
        "organization": {
            "id": org,
            "name": organization.name,
            "slug": organization.slug,
            "email_domains": list(organization.email_domains),
        },
        **_summary(organization, today),
        "requests": _requests(org),
        "votes": _votes(org),
        "decisions": _decisions(org),
        "loop": _loop(org),
        "roadmap": _roadmap(org),
        "clubs": _clubs(org, today),
        "emails": _emails(org),
    }


def _summary(organization: Organization, today: dt.date) -> dict:
    """Revenue, the account owner and the contacts (2 queries)."""
    org = organization.pk
    ((owner_id, owner_name, owner_email, members, admins, invited),) = _rows(
        """
        SELECT u.id, u.name, u.email,
               (SELECT count(*) FROM accounts_membership m WHERE m.organization_id = o.id),
               (SELECT count(*) FROM accounts_membership m WHERE m.organization_id = o.id AND m.role = 'admin'),
               (SELECT count(*) FROM accounts_invitation i
                 WHERE i.organization_id = o.id AND i.accepted_at IS NULL AND i.expires_at > now())
        FROM accounts_organization o LEFT JOIN accounts_user u ON u.id = o.account_owner_id
        WHERE o.id = %s
        """,
        [org],
    )
    # The people (admins first), then the invitations not yet accepted.
    rows = _rows(
        """
        (SELECT 'user', u.id, u.name, u.email, m.role, u.language, u.last_login, u.is_active, NULL::timestamptz
         FROM accounts_membership m JOIN accounts_user u ON u.id = m.user_id
         WHERE m.organization_id = %s
         ORDER BY m.role = 'admin' DESC, lower(coalesce(nullif(u.name, ''), u.email)), u.id LIMIT %s)
        UNION ALL
        (SELECT 'invitation', i.id, '', i.email, i.role, i.language, i.created_at, false, i.expires_at
         FROM accounts_invitation i
         WHERE i.organization_id = %s AND i.accepted_at IS NULL AND i.expires_at > now()
         ORDER BY i.created_at DESC, i.id DESC LIMIT %s)
        """,
        [org, CONTACTS, org, LIST],
    )
    people, invitations = [], []
    for kind, pk, name, email, role, language, at, active, expires in rows:
        line = {
            "id": pk,
            "email": email,
            "role": role,
            "role_label": _label(Membership.Role, role),
            "language": language,
            "language_label": _label(Language, language),
        }
        if kind == "user":
            people.append({**line, "name": name, "last_login": at, "is_active": active})
        else:
            invitations.append({**line, "invited_at": at, "expires_at": expires})
    renewal = organization.renewal_date
    return {
        "revenue": {
            "annual_contract_value": organization.annual_contract_value,
            "renewal_date": renewal,
            "renewal_in_days": (renewal - today).days if renewal else None,
            "renewal_soon": renewal_soon(renewal, today=today),
            "renewal_window_days": RENEWAL_DAYS,
            "segment": organization.segment,
            "segment_label": _label(Organization.Segment, organization.segment),
            "tier": organization.tier,
            "tier_label": _label(Organization.Tier, organization.tier),
            "account_owner": (
                {"id": owner_id, "name": _person(owner_name, owner_email), "email": owner_email} if owner_id else None
            ),
        },
        "contacts": {
            "total": members,
            "admins": admins,
            "members": members - admins,
            "people": people,
            "pending_invitations": invited,
            "invitations": invitations,
        },
    }


def _requests(org: int) -> dict:
    """Counts by status, and the newest requests of each bucket (2 queries)."""
    counts = _rows(
        """
        SELECT status, count(*), count(*) FILTER (WHERE first_response_at IS NULL)
        FROM feedback_feedback WHERE organization_id = %s GROUP BY status
        """,
        [org],
    )
    by_status = {status: n for status, n, _waiting in counts}
    waiting = sum(w for status, _n, w in counts if status in OPEN)
    rows = _rows(
        """
        SELECT s.bucket, s.id, s.title, s.status, s.created_at, s.updated_at, s.vote_count, u.name, u.email
        FROM (
            SELECT b.*, row_number() OVER (
                PARTITION BY b.bucket
                ORDER BY CASE WHEN b.bucket = 'open' THEN b.created_at ELSE b.updated_at END DESC, b.id DESC
            ) AS rn
            FROM (
                SELECT f.id, f.title, f.status, f.created_at, f.updated_at, f.vote_count, f.author_id,
                       CASE WHEN f.status = ANY(%s) THEN 'open' WHEN f.status = ANY(%s) THEN 'decided'
                            ELSE 'shipped' END AS bucket
                FROM feedback_feedback f
                WHERE f.organization_id = %s AND f.status = ANY(%s)
            ) b
        ) s JOIN accounts_user u ON u.id = s.author_id
        WHERE s.rn <= %s
        ORDER BY s.rn
        """,
        [list(OPEN), list(DECIDED), org, [*OPEN, *DECIDED, *SHIPPED], RECENT],
    )
    lists: dict[str, list] = {bucket: [] for bucket in BUCKETS}
    for bucket, pk, title, status, created, updated, votes, name, email in rows:
        lists[bucket].append(
            {
                "id": pk,
                "title": title,
                "status": status,
                "status_label": _label(Feedback.Status, status),
                "created_at": created,
                "updated_at": updated,
                "vote_count": votes,
                "author": _person(name, email),
            }
        )
    result = {
        "total": sum(by_status.values()),
        "by_status": [
            {"status": s, "status_label": _label(Feedback.Status, s), "count": by_status[s]}
            for s in Feedback.Status.values
            if by_status.get(s)
        ],
        "waiting_first_response": waiting,
        "merged": by_status.get(Feedback.Status.MERGED, 0),
    }
    for bucket, statuses in BUCKETS.items():
        result[bucket] = sum(by_status.get(s, 0) for s in statuses)
        result[f"{bucket}_list"] = lists[bucket]
    return result


def _votes(org: int) -> dict:
    """The votes of the company's people: by importance and provenance, and what they voted for most (2 queries)."""
    rows = _rows(
        """
        SELECT GROUPING(importance, provenance), importance, provenance, count(*),
               count(DISTINCT user_id), count(DISTINCT feedback_id)
        FROM feedback_vote WHERE organization_id = %s
        GROUP BY GROUPING SETS ((importance), (provenance), ())
        """,
        [org],
    )
    total = voters = requests = 0
    by_importance = dict.fromkeys(Feedback.Importance.values, 0)
    by_provenance: dict[str, int] = {}
    for grouping, importance, provenance, n, people, fb in rows:
        if grouping == 3:
            total, voters, requests = n, people, fb
        elif grouping == 1:  # grouped by importance
            by_importance[importance] = n
        else:
            by_provenance[provenance] = n
    top = _rows(
        """
        SELECT f.id, f.title, f.status, f.vote_count, f.organization_id = %s, t.n, t.critical, t.important, t.nice
        FROM (
            SELECT feedback_id, count(*) AS n,
                   count(*) FILTER (WHERE importance = 'critical') AS critical,
                   count(*) FILTER (WHERE importance = 'important') AS important,
                   count(*) FILTER (WHERE importance = 'nice_to_have') AS nice
            FROM feedback_vote WHERE organization_id = %s
            GROUP BY feedback_id
            ORDER BY n DESC, critical DESC, important DESC, feedback_id DESC
            LIMIT %s
        ) t JOIN feedback_feedback f ON f.id = t.feedback_id
        ORDER BY t.n DESC, t.critical DESC, t.important DESC, t.feedback_id DESC
        """,
        [org, org, RECENT],
    )
    return {
        "total": total,
        "voters": voters,
        "requests": requests,
        "by_importance": [
            {"importance": key, "importance_label": label, "count": by_importance[key]}
            for key, label in Feedback.Importance.choices
        ],
        "by_provenance": [
            {"provenance": key, "count": by_provenance.get(key, 0)} for key in ("direct", "on_behalf", "meeting")
        ],
        "top": [
            {
                "id": pk,
                "title": title,
                "status": status,
                "status_label": _label(Feedback.Status, status),
                "total_votes": total_votes,
                "own_request": own,
                "votes": n,
                "critical": critical,
                "important": important,
                "nice_to_have": nice,
            }
            for pk, title, status, total_votes, own, n, critical, important, nice in top
        ],
    }


def _decisions(org: int) -> dict:
    """Decisions concerning the company (recorded as such, or on one of its requests), newest first (1 query)."""
    rows = _rows(
        """
        WITH ids AS (
            SELECT decision_id AS id FROM roadmap_decisionorganization WHERE organization_id = %s
            UNION
            SELECT d.id FROM roadmap_decision d JOIN feedback_feedback f ON f.id = d.feedback_id
            WHERE f.organization_id = %s
        )
        SELECT d.id, d.kind, d.decided_at, d.clients_told_at, d.public_message, d.outcome,
               d.item_id, i.title, d.feedback_id, fb.title,
               count(*) OVER (), count(d.clients_told_at) OVER ()
        FROM ids JOIN roadmap_decision d ON d.id = ids.id
        LEFT JOIN roadmap_roadmapitem i ON i.id = d.item_id
        LEFT JOIN feedback_feedback fb ON fb.id = d.feedback_id
        ORDER BY d.decided_at DESC, d.id DESC
        LIMIT %s
        """,
        [org, org, LIST],
    )
    total = told = 0
    lines = []
    for pk, kind, at, told_at, message, outcome, item_id, item_title, fb_id, fb_title, n, n_told in rows:
        total, told = n, n_told
        lines.append(
            {
                "id": pk,
                "kind": kind,
                "kind_label": _label(Decision.Kind, kind),
                "decided_at": at,
                "clients_told_at": told_at,
                "told": told_at is not None,
                "public_message": message,
                "outcome": outcome,
                "outcome_label": _label(Decision.Outcome, outcome),
                "item_id": item_id,
                "item_title": item_title,
                "feedback_id": fb_id,
                "feedback_title": fb_title,
            }
        )
    return {"total": total, "told": told, "not_told": total - told, "list": lines}


def _loop(org: int) -> dict:
    """Status changes of the company's requests and whether its people were told (1 query).

    Told: the change was public, its fan-out ran (notifications and emails written) and it was not
    made silently. Pending: public, not silent, fan-out not run yet (the sweep will)."""
    rows = _rows(
        """
        SELECT s.feedback_id, s.title, s.new_value, s.created_at, s.told, s.silent,
               s.total, s.told_count, s.silent_count, s.rn
        FROM (
            SELECT e.id, e.feedback_id, f.title, e.new_value, e.created_at, e.told, e.silent,
                   count(*) OVER () AS total,
                   count(*) FILTER (WHERE e.told) OVER () AS told_count,
                   count(*) FILTER (WHERE e.silent) OVER () AS silent_count,
                   row_number() OVER (PARTITION BY e.told ORDER BY e.created_at DESC, e.id DESC) AS rn
            FROM (
                SELECT ev.*, (ev.is_public AND ev.fanned_out_at IS NOT NULL AND NOT ev.silent) AS told
                FROM feedback_feedbackevent ev
                JOIN feedback_feedback fx ON fx.id = ev.feedback_id
                WHERE fx.organization_id = %s AND ev.kind = 'status'
            ) e JOIN feedback_feedback f ON f.id = e.feedback_id
        ) s
        WHERE s.rn <= %s
        ORDER BY s.created_at DESC, s.id DESC
        """,
        [org, RECENT],
    )
    total = told = silent = 0
    latest, not_told = [], []
    for pk, title, status, at, was_told, was_silent, n, n_told, n_silent, _rn in rows:
        total, told, silent = n, n_told, n_silent
        line = {
            "feedback_id": pk,
            "title": title,
            "status": status,
            "status_label": _label(Feedback.Status, status),
            "at": at,
            "told": was_told,
            "silent": was_silent,
        }
        (latest if was_told else not_told).append(line)
    return {
        "status_changes": total,
        "told": told,
        "silent": silent,
        "pending": total - told - silent,
        "rate": (told / total) if total else None,
        "told_list": latest,
        "not_told_list": not_told,
    }


def _roadmap(org: int) -> dict:
    """Roadmap items the company's requests, or the requests its people voted for, are linked to (1 query)."""
    rows = _rows(
        """
        WITH mine AS (
            SELECT feedback_id, max(asked) AS asked, max(voted) AS voted FROM (
                SELECT id AS feedback_id, 1 AS asked, 0 AS voted FROM feedback_feedback WHERE organization_id = %s
                UNION ALL
                SELECT feedback_id, 0, 1 FROM feedback_vote WHERE organization_id = %s
            ) x GROUP BY feedback_id
        )
        SELECT i.id, i.title, i.status, i.target_quarter, i.is_public, sum(m.asked), sum(m.voted), count(*) OVER ()
        FROM mine m
        JOIN roadmap_roadmaplink l ON l.feedback_id = m.feedback_id
        JOIN roadmap_roadmapitem i ON i.id = l.item_id
        GROUP BY i.id
        ORDER BY sum(m.asked) DESC, sum(m.voted) DESC, i.id DESC
        LIMIT %s
        """,
        [org, org, LIST],
    )
    return {
        "total": rows[0][7] if rows else 0,
        "items": [
            {
                "id": pk,
                "title": title,
                "status": status,
                "status_label": _label(RoadmapItem.Status, status),
                "target_quarter": quarter,
                "is_public": public,
                "requests_asked": int(asked),
                "requests_voted": int(voted),
            }
            for pk, title, status, quarter, public, asked, voted, _n in rows
        ],
    }


def _clubs(org: int, today: dt.date) -> dict:
    """Club memberships, meeting invitations and attendance, open action items of its people (3 queries)."""
    memberships = _rows(
        """
        SELECT c.id, c.name, c.is_archived,
               count(*) FILTER (WHERE cm.status = 'active'),
               count(*) FILTER (WHERE cm.status = 'requested'),
               (array_agg(coalesce(nullif(u.name, ''), u.email) ORDER BY lower(coalesce(nullif(u.name, ''), u.email)))
                   FILTER (WHERE cm.status = 'active'))[1:6],
               count(*) OVER ()
        FROM clubs_clubmembership cm
        JOIN clubs_club c ON c.id = cm.club_id
        JOIN accounts_user u ON u.id = cm.user_id
        WHERE cm.organization_id = %s AND cm.status IN ('active', 'requested')
        GROUP BY c.id
        ORDER BY c.is_archived, lower(c.name), c.id
        LIMIT %s
        """,
        [org, LIST],
    )
    meetings = _rows(
        """
        SELECT g.*,
               count(*) OVER (),
               count(*) FILTER (WHERE g.status = 'held') OVER (),
               count(*) FILTER (WHERE g.status = 'held' AND g.attended > 0) OVER (),
               sum(g.invited) FILTER (WHERE g.status = 'held') OVER (),
               sum(g.attended) FILTER (WHERE g.status = 'held') OVER ()
        FROM (
            SELECT m.id, m.title, m.starts_at, m.status, c.id AS club_id, c.name,
                   count(*) FILTER (WHERE i.invited_at IS NOT NULL) AS invited,
                   count(*) FILTER (WHERE i.rsvp = 'yes') AS yes,
                   count(*) FILTER (WHERE i.attended) AS attended
            FROM clubs_invitation i
            JOIN clubs_meeting m ON m.id = i.meeting_id
            JOIN clubs_club c ON c.id = m.club_id
            WHERE i.organization_id = %s AND m.status <> 'cancelled'
            GROUP BY m.id, c.id
        ) g
        ORDER BY g.starts_at DESC, g.id DESC
        LIMIT %s
        """,
        [org, RECENT],
    )
    actions = _rows(
        """
        SELECT a.id, a.title, a.due_date, c.id, c.name, u.name, u.email,
               count(*) OVER (), count(*) FILTER (WHERE a.due_date < %s) OVER ()
        FROM accounts_membership mb
        JOIN clubs_actionitem a ON a.owner_id = mb.user_id AND a.status = 'open'
        JOIN clubs_club c ON c.id = a.club_id
        JOIN accounts_user u ON u.id = a.owner_id
        WHERE mb.organization_id = %s
        ORDER BY a.due_date ASC NULLS LAST, a.id
        LIMIT %s
        """,
        [today, org, LIST],
    )
    meeting_lines = []
    totals = {"meetings": 0, "held": 0, "held_attended": 0, "invited_held": 0, "attended_held": 0}
    for row in meetings:
        pk, title, starts, status, club_id, club_name, invited, yes, attended = row[:9]
        n, held, held_attended, invited_held, attended_held = row[9:]
        totals = {
            "meetings": n,
            "held": held,
            "held_attended": held_attended,
            "invited_held": int(invited_held or 0),
            "attended_held": int(attended_held or 0),
        }
        meeting_lines.append(
            {
                "id": pk,
                "title": title,
                "starts_at": starts,
                "status": status,
                "status_label": _label(Meeting.Status, status),
                "club_id": club_id,
                "club_name": club_name,
                "invited": invited,
                "rsvp_yes": yes,
                "attended": attended,
            }
        )
    return {
        "memberships": [
            {
                "club_id": pk,
                "club_name": name,
                "is_archived": archived,
                "active": active,
                "requested": requested,
                "names": list(names or []),
            }
            for pk, name, archived, active, requested, names, _n in memberships
        ],
        "memberships_total": memberships[0][6] if memberships else 0,
        "meetings": {**totals, "list": meeting_lines},
        "actions": {
            "open": actions[0][7] if actions else 0,
            "late": actions[0][8] if actions else 0,
            "list": [
                {
                    "id": pk,
                    "title": title,
                    "due_date": due,
                    "late": due is not None and due < today,
                    "club_id": club_id,
                    "club_name": club_name,
                    "owner": _person(name, email),
                }
                for pk, title, due, club_id, club_name, name, email, _n, _late in actions
            ],
        },
    }


def _emails(org: int) -> dict:
    """The newest emails to the company's people (1 query): subject, status and dates, never a body.

    One indexed walk per person (outbox rows by recipient), so a large outbox is never scanned."""
    rows = _rows(
        """
        SELECT e.id, e.to_email, e.subject, e.status, e.created_at, e.sent_at, e.is_sensitive, e.template
        FROM accounts_membership mb
        CROSS JOIN LATERAL (
            SELECT o.id, o.to_email, o.subject, o.status, o.created_at, o.sent_at, o.is_sensitive, o.template
            FROM core_outboundemail o WHERE o.recipient_id = mb.user_id
            ORDER BY o.created_at DESC, o.id DESC LIMIT %s
        ) e
        WHERE mb.organization_id = %s
        ORDER BY e.created_at DESC, e.id DESC
        LIMIT %s
        """,
        [LIST, org, LIST],
    )
    return {
        "list": [
            {
                "id": pk,
                "to_email": to,
                "subject": subject,
                "status": status,
                "status_label": _label(OutboundEmail.Status, status),
                "created_at": created,
                "sent_at": sent,
                "is_sensitive": sensitive,
                "template": template,
            }
            for pk, to, subject, status, created, sent, sensitive, template in rows
        ]
    }
