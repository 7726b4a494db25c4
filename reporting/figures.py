"""The figures of a period for a scope: what the digest, the dashboard and the API show.

One function, `figures_compute`, returns plain JSON (ids, keys, numbers, ISO dates): the digest
stores it, the dashboard and the API show it. Labels are added in the reader's language by
`figures_labelled`. Each section is a fixed number of set-based queries (grouping sets, window
ranks, `width_bucket` for the trend): the query count does not depend on how many requests,
votes or events the period holds.

Scope: product areas filter requests (and roadmap items); segments and named organizations filter
requests by the asking company; clubs filter the clubs section. An empty filter means everything.
"""

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from feedback.models import Feedback
from reporting.models import ALL_SECTIONS, Section

DECIDED = (Feedback.Status.PLANNED, Feedback.Status.SHIPPED, Feedback.Status.DECLINED)
CLOSED = (Feedback.Status.SHIPPED, Feedback.Status.DECLINED, Feedback.Status.MERGED)
TOP = 10  # lines per list
RENEWAL_DAYS = 90


@dataclass(frozen=True)
class Scope:
    area_ids: tuple[int, ...] = ()
    segments: tuple[str, ...] = ()
    organization_ids: tuple[int, ...] = ()
    club_ids: tuple[int, ...] = ()

    @classmethod
    def of(cls, subscription) -> "Scope":
        return cls(
            area_ids=tuple(sorted(a.pk for a in subscription.product_areas.all())),
            segments=tuple(sorted(subscription.segments)),
            organization_ids=tuple(sorted(o.pk for o in subscription.organizations.all())),
            club_ids=tuple(sorted(c.pk for c in subscription.clubs.all())),
        )

    def as_dict(self) -> dict:
        return {
            "product_areas": list(self.area_ids),
            "segments": list(self.segments),
            "organizations": list(self.organization_ids),
            "clubs": list(self.club_ids),
        }

    def feedback_sql(self, f: str = "f", o: str = "fo") -> tuple[str, list]:
        """SQL conditions on a request `f` and its company `o` (joined by the caller)."""
        parts, params = ["TRUE"], []
        if self.area_ids:
            parts.append(f"{f}.product_area_id = ANY(%s)")
            params.append(list(self.area_ids))
        if self.organization_ids:
            parts.append(f"{f}.organization_id = ANY(%s)")
            params.append(list(self.organization_ids))
        if self.segments:
            parts.append(f"{o}.segment = ANY(%s)")
            params.append(list(self.segments))
        return " AND ".join(parts), params

    @property
    def needs_org_join(self) -> bool:
        return bool(self.segments)


@dataclass
class Window:
    """The period [start, end), the previous one and the trend's bucket bounds (aware datetimes)."""

    start: dt.datetime
    end: dt.datetime
    previous_start: dt.datetime
    trend_bounds: list[dt.datetime] = field(default_factory=list)
    waiting_days: int = 7
    today: dt.date | None = None


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _num(value) -> float:
    return float(value or 0)


def _change(current: float, previous: float) -> dict:
    return {"current": current, "previous": previous, "delta": current - previous}


def _org_join(scope: Scope, alias_f: str = "f", alias_o: str = "fo") -> str:
    if scope.needs_org_join:
        return f" JOIN accounts_organization {alias_o} ON {alias_o}.id = {alias_f}.organization_id"
    return ""


# Incoming ---------------------------------------------------------------------------------------


def _incoming(scope: Scope, w: Window) -> dict:
    cond, params = scope.feedback_sql()
    rows = _rows(
        f"""
        SELECT GROUPING(f.product_area_id, f.kind, o.segment) AS g, f.product_area_id, f.kind, o.segment,
               count(*) FILTER (WHERE f.created_at >= %s) AS cur,
               count(*) FILTER (WHERE f.created_at < %s) AS prev
        FROM feedback_feedback f
        LEFT JOIN accounts_organization o ON o.id = f.organization_id
        WHERE f.created_at >= %s AND f.created_at < %s AND {cond.replace("fo.", "o.")}
        GROUP BY GROUPING SETS ((f.product_area_id), (f.kind), (o.segment), ())
        """,
        [w.start, w.start, w.previous_start, w.end, *params],
    )
    by_area, by_kind, by_segment, total = [], [], [], _change(0, 0)
    for g, area, kind, segment, cur, prev in rows:
        line = {"current": cur, "previous": prev, "delta": cur - prev}
        # GROUPING bits: area=4, kind=2, segment=1; a bit set means "rolled up".
        if g == 7:
            total = line
        elif g == 3:
            by_area.append({"id": area, **line})
        elif g == 5:
            by_kind.append({"key": kind, **line})
        elif g == 6:
            by_segment.append({"key": segment, **line})
    trend = []
    if w.trend_bounds:
        counts = dict(
            _rows(
                f"""
                SELECT width_bucket(f.created_at, %s::timestamptz[]) AS b, count(*)
                FROM feedback_feedback f{_org_join(scope)}
                WHERE f.created_at >= %s AND f.created_at < %s AND {cond}
                GROUP BY 1
                """,
                [w.trend_bounds, w.trend_bounds[0], w.trend_bounds[-1], *params],
            )
        )
        trend = [{"start": _iso(start), "count": counts.get(i + 1, 0)} for i, start in enumerate(w.trend_bounds[:-1])]
    sort = lambda lines: sorted(lines, key=lambda x: (-x["current"], -x["previous"], str(x.get("id") or x.get("key"))))  # noqa: E731
    return {
        "total": total,
        "by_area": sort(by_area),
        "by_kind": sort(by_kind),
        "by_segment": sort(by_segment),
        "trend": trend,
    }


def _vote_join(scope: Scope) -> str:
    """Votes need their request only to filter by its scope: a merged request keeps no vote (they
    follow the merge), so the broad scope reads the votes' covering index alone."""
    if scope.area_ids or scope.organization_ids or scope.segments:
        return " JOIN feedback_feedback f ON f.id = v.feedback_id" + _org_join(scope)
    return ""


def _event_join(scope: Scope) -> str:
    """Status events need their request only to filter by its scope (covering index otherwise)."""
    if scope.area_ids or scope.organization_ids or scope.segments:
        return " JOIN feedback_feedback f ON f.id = e.feedback_id" + _org_join(scope)
    return ""


# Rising -----------------------------------------------------------------------------------------


def _rising(scope: Scope, w: Window) -> dict:
    cond, params = scope.feedback_sql()
    today = w.today or timezone.localdate()
    horizon = today + dt.timedelta(days=RENEWAL_DAYS)
    # Votes of the period per (request, company), each company's contract value read once (`po`, as
    # float8: numeric sums were a third of the time); per request, then per roadmap item over the
    # distinct companies of its linked requests (links looked up for the period's requests only);
    # each ranking is a top-N sort (no window over every request); the totals over the companies.
    rows = _rows(
        f"""
        WITH po AS MATERIALIZED (
            SELECT pv.feedback_id, pv.organization_id, pv.n, o.annual_contract_value::float8 AS acv,
                   CASE WHEN o.renewal_date BETWEEN %s AND %s THEN o.annual_contract_value::float8 END AS at_risk
            FROM (
                SELECT v.feedback_id, v.organization_id, count(*) AS n
                FROM feedback_vote v{_vote_join(scope)}
                WHERE v.created_at >= %s AND v.created_at < %s AND {cond}
                GROUP BY 1, 2
            ) pv LEFT JOIN accounts_organization o ON o.id = pv.organization_id
        ),
        per_request AS MATERIALIZED (
            SELECT po.feedback_id AS id, sum(po.n) AS votes, count(po.organization_id) AS orgs,
                   coalesce(sum(po.acv), 0) AS revenue, coalesce(sum(po.at_risk), 0) AS at_risk
            FROM po GROUP BY po.feedback_id
        ),
        linked AS MATERIALIZED (
            SELECT l.feedback_id, l.item_id FROM per_request r JOIN roadmap_roadmaplink l ON l.feedback_id = r.id
        ),
        per_item AS MATERIALIZED (
            SELECT io.item_id AS id, sum(io.n) AS votes, count(io.organization_id) AS orgs,
                   coalesce(sum(io.acv), 0) AS revenue, coalesce(sum(io.at_risk), 0) AS at_risk
            FROM (
                SELECT k.item_id, po.organization_id, sum(po.n) AS n, max(po.acv) AS acv, max(po.at_risk) AS at_risk
                FROM po JOIN linked k ON k.feedback_id = po.feedback_id GROUP BY 1, 2
            ) io GROUP BY io.item_id
        )
        (SELECT 'fv', id, votes, orgs, revenue, at_risk FROM per_request ORDER BY votes DESC, revenue DESC, id LIMIT %s)
        UNION ALL
        (SELECT 'fr', id, votes, orgs, revenue, at_risk FROM per_request ORDER BY revenue DESC, votes DESC, id LIMIT %s)
        UNION ALL
        (SELECT 'iv', id, votes, orgs, revenue, at_risk FROM per_item ORDER BY votes DESC, revenue DESC, id LIMIT %s)
        UNION ALL
        (SELECT 'ir', id, votes, orgs, revenue, at_risk FROM per_item ORDER BY revenue DESC, votes DESC, id LIMIT %s)
        UNION ALL
        SELECT 't', NULL, (SELECT coalesce(sum(votes), 0) FROM per_request), count(*),
               coalesce(sum(c.acv), 0), coalesce(sum(c.at_risk), 0)
        FROM (SELECT max(po.acv) AS acv, max(po.at_risk) AS at_risk FROM po
              WHERE po.organization_id IS NOT NULL GROUP BY po.organization_id) c
        """,
        [today, horizon, w.start, w.end, *params, TOP, TOP, TOP, TOP],
    )
    previous_votes = _rows(
        f"""
        SELECT count(*) FROM feedback_vote v{_vote_join(scope)}
        WHERE v.created_at >= %s AND v.created_at < %s AND {cond}
        """,
        [w.previous_start, w.start, *params],
    )[0][0]
    lines: dict[tuple[str, int], dict] = {}
    ranked: dict[str, list[dict]] = {"fv": [], "fr": [], "iv": [], "ir": []}
    totals = {}
    for kind, pk, votes, orgs, revenue, at_risk in rows:
        if kind == "t":
            totals = {"votes": int(votes), "organizations": int(orgs), "revenue": _num(revenue)}
            totals["revenue_at_risk"] = _num(at_risk)
            continue
        # A line in both rankings of its kind is one dict (titles read once).
        line = lines.setdefault(
            (kind[0], pk),
            {
                "id": pk,
                "votes": int(votes),
                "organizations": int(orgs),
                "revenue": _num(revenue),
                "revenue_at_risk": _num(at_risk),
            },
        )
        ranked[kind].append(line)
    for kind, key in (("fv", "rank_votes"), ("fr", "rank_revenue"), ("iv", "rank_votes"), ("ir", "rank_revenue")):
        for rank, line in enumerate(ranked[kind], start=1):
            line[key] = rank
    _titles([line for (k, _pk), line in lines.items() if k == "f"], "feedback_feedback", "title")
    _titles([line for (k, _pk), line in lines.items() if k == "i"], "roadmap_roadmapitem", "title")
    by_rev = lambda lines: [x for x in lines if x["revenue"] > 0]  # noqa: E731
    return {
        "votes": _change(totals.get("votes", 0), previous_votes),
        "organizations": totals.get("organizations", 0),
        "revenue": totals.get("revenue", 0.0),
        "revenue_at_risk": totals.get("revenue_at_risk", 0.0),
        "requests_by_votes": ranked["fv"],
        "requests_by_revenue": by_rev(ranked["fr"]),
        "items_by_votes": ranked["iv"],
        "items_by_revenue": by_rev(ranked["ir"]),
    }


def _titles(lines: list[dict], table: str, column: str) -> None:
    if not lines:
        return
    ids = sorted({line["id"] for line in lines})
    titles = dict(_rows(f"SELECT id, {column} FROM {table} WHERE id = ANY(%s)", [ids]))
    for line in lines:
        line["title"] = titles.get(line["id"], "")


# Decisions --------------------------------------------------------------------------------------


def _decisions(scope: Scope, w: Window) -> dict:
    cond, params = scope.feedback_sql()
    counts = _rows(
        f"""
        SELECT e.new_value, count(*) FILTER (WHERE e.created_at >= %s), count(*) FILTER (WHERE e.created_at < %s)
        FROM feedback_feedbackevent e{_event_join(scope)}
        WHERE e.kind = 'status' AND e.created_at >= %s AND e.created_at < %s AND {cond}
        GROUP BY 1
        """,
        [w.start, w.start, w.previous_start, w.end, *params],
    )
    by_status = sorted(
        ({"key": key, "current": cur, "previous": prev, "delta": cur - prev} for key, cur, prev in counts),
        key=lambda x: (-x["current"], x["key"]),
    )
    # Decided requests of the period: the latest decision of each, its public reason, and whether
    # its people were told (the event's fan-out ran and was not silenced).
    rows = _rows(
        f"""
        WITH d AS (
            SELECT DISTINCT ON (e.feedback_id) e.id, e.feedback_id, e.new_value, e.created_at,
                   (e.is_public AND e.fanned_out_at IS NOT NULL AND NOT e.silent) AS told
            FROM feedback_feedbackevent e{_event_join(scope)}
            WHERE e.kind = 'status' AND e.new_value = ANY(%s) AND e.created_at >= %s AND e.created_at < %s AND {cond}
            ORDER BY e.feedback_id, e.created_at DESC, e.id DESC
        ),
        r AS (
            SELECT d.*, row_number() OVER (PARTITION BY new_value ORDER BY created_at DESC, id DESC) AS rn,
                   row_number() OVER (PARTITION BY told ORDER BY created_at DESC, id DESC) AS rn_told,
                   count(*) OVER () AS decided, count(*) FILTER (WHERE told) OVER () AS told_count
            FROM d
        )
        SELECT r.feedback_id, r.new_value, e.public_message, r.created_at, r.told, f.title, r.rn, r.rn_told,
               r.decided, r.told_count
        FROM r JOIN feedback_feedbackevent e ON e.id = r.id JOIN feedback_feedback f ON f.id = r.feedback_id
        WHERE r.rn <= %s OR (NOT r.told AND r.rn_told <= %s)
        ORDER BY r.created_at DESC, r.id DESC
        """,
        [list(DECIDED), w.start, w.end, *params, TOP, TOP * 2],
    )
    lists = {"planned": [], "shipped": [], "declined": []}
    not_told, decided, told = [], 0, 0
    for pk, status, message, at, was_told, title, rn, rn_told, decided_n, told_n in rows:
        decided, told = decided_n, told_n
        line = {"id": pk, "title": title, "status": status, "public_message": message, "at": _iso(at), "told": was_told}
        if rn <= TOP:
            lists[status].append(line)
        if not was_told and rn_told <= TOP * 2:
            not_told.append(line)
    roadmap = _rows(
        """
        SELECT d.kind, count(*) FROM roadmap_decision d
        LEFT JOIN roadmap_roadmapitem i ON i.id = d.item_id
        WHERE d.decided_at >= %s AND d.decided_at < %s AND (%s OR coalesce(d.product_area_id, i.product_area_id) = ANY(%s))
        GROUP BY 1
        """,
        [w.start, w.end, not scope.area_ids, list(scope.area_ids)],
    )
    return {
        "by_status": by_status,
        "planned": lists["planned"],
        "shipped": lists["shipped"],
        "declined": lists["declined"],
        "decided": decided,
        "told": told,
        "loop_closure_rate": (told / decided) if decided else None,
        "not_told": not_told,
        "roadmap_decisions": sorted(({"key": k, "count": n} for k, n in roadmap), key=lambda x: x["key"]),
    }


# Responsiveness ---------------------------------------------------------------------------------


def _responsiveness(scope: Scope, w: Window) -> dict:
    cond, params = scope.feedback_sql()
    medians = _rows(
        f"""
        SELECT GROUPING(f.product_area_id, f.assignee_id) AS g, f.product_area_id, f.assignee_id,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM f.first_response_at - f.created_at))
                   FILTER (WHERE f.first_response_at >= %s),
               count(*) FILTER (WHERE f.first_response_at >= %s),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM f.first_response_at - f.created_at))
                   FILTER (WHERE f.first_response_at < %s)
        FROM feedback_feedback f{_org_join(scope)}
        WHERE f.first_response_at >= %s AND f.first_response_at < %s AND {cond}
        GROUP BY GROUPING SETS ((f.product_area_id), (f.assignee_id), ())
        """,
        [w.start, w.start, w.start, w.previous_start, w.end, *params],
    )
    cutoff = w.end - dt.timedelta(days=w.waiting_days)
    waiting = _rows(
        f"""
        SELECT GROUPING(f.product_area_id, f.assignee_id) AS g, f.product_area_id, f.assignee_id, count(*),
               min(f.created_at)
        FROM feedback_feedback f{_org_join(scope)}
        WHERE f.first_response_at IS NULL AND f.created_at < %s AND NOT (f.status = ANY(%s)) AND {cond}
        GROUP BY GROUPING SETS ((f.product_area_id), (f.assignee_id), ())
        """,
        [cutoff, list(CLOSED), *params],
    )
    # The oldest ten found in the covering index alone, then their titles: reading each waiting
    # request's row to filter it by scope took half a second when the scope matched none.
    oldest = _rows(
        f"""
        WITH o AS MATERIALIZED (
            SELECT f.id, f.created_at FROM feedback_feedback f{_org_join(scope)}
            WHERE f.first_response_at IS NULL AND f.created_at < %s AND NOT (f.status = ANY(%s)) AND {cond}
            ORDER BY f.created_at, f.id LIMIT %s
        )
        SELECT f.id, f.title, f.created_at, f.product_area_id, f.assignee_id
        FROM o JOIN feedback_feedback f ON f.id = o.id ORDER BY o.created_at, o.id
        """,
        [cutoff, list(CLOSED), *params, TOP],
    )
    hours = lambda seconds: round(seconds / 3600, 1) if seconds is not None else None  # noqa: E731
    out = {
        "median_hours": {"current": None, "previous": None},
        "answered": 0,
        "by_area": [],
        "by_assignee": [],
        "waiting_days": w.waiting_days,
        "waiting": 0,
        "waiting_by_area": [],
        "waiting_by_assignee": [],
        "oldest_waiting": [
            {"id": pk, "title": title, "created_at": _iso(at), "area_id": area, "assignee_id": who}
            for pk, title, at, area, who in oldest
        ],
    }
    for g, area, who, cur, n, prev in medians:
        if g == 3:
            out["median_hours"] = {"current": hours(cur), "previous": hours(prev)}
            out["answered"] = n
        elif g == 1 and n:
            out["by_area"].append({"id": area, "median_hours": hours(cur), "answered": n})
        elif g == 2 and n:
            out["by_assignee"].append({"id": who, "median_hours": hours(cur), "answered": n})
    for g, area, who, n, since in waiting:
        if g == 3:
            out["waiting"] = n
        elif g == 1:
            out["waiting_by_area"].append({"id": area, "count": n, "oldest": _iso(since)})
        elif g == 2:
            out["waiting_by_assignee"].append({"id": who, "count": n, "oldest": _iso(since)})
    for key in ("by_area", "by_assignee"):
        out[key].sort(key=lambda x: (-x["answered"], str(x["id"])))
    for key in ("waiting_by_area", "waiting_by_assignee"):
        out[key].sort(key=lambda x: (-x["count"], str(x["id"])))
    return out


# Roadmap ----------------------------------------------------------------------------------------


def _roadmap(scope: Scope, w: Window) -> dict:
    area = "(%s OR i.product_area_id = ANY(%s))"
    area_params = [not scope.area_ids, list(scope.area_ids)]
    moved = _rows(
        f"""
        SELECT e.item_id, i.title, e.old_value, e.new_value, e.created_at, count(*) OVER ()
        FROM roadmap_roadmapevent e JOIN roadmap_roadmapitem i ON i.id = e.item_id
        WHERE e.kind = 'status' AND e.created_at >= %s AND e.created_at < %s AND {area}
        ORDER BY e.created_at DESC, e.id DESC LIMIT %s
        """,
        [w.start, w.end, *area_params, TOP * 2],
    )
    releases = _rows(
        """
        SELECT r.id, r.title, r.published_at, count(ri.roadmapitem_id)
        FROM roadmap_release r LEFT JOIN roadmap_release_items ri ON ri.release_id = r.id
        WHERE r.status = 'published' AND r.published_at >= %s AND r.published_at < %s
        GROUP BY r.id ORDER BY r.published_at DESC, r.id DESC
        """,
        [w.start, w.end],
    )
    # The counts are window aggregates, taken before the LIMIT: a long list does not cap them.
    outcomes = _rows(
        f"""
        SELECT d.id, d.item_id, i.title, d.outcome, d.lesson, d.outcome_recorded_at,
               count(*) FILTER (WHERE d.outcome = 'reached') OVER (),
               count(*) FILTER (WHERE d.outcome = 'missed') OVER ()
        FROM roadmap_decision d JOIN roadmap_roadmapitem i ON i.id = d.item_id
        WHERE d.outcome_recorded_at >= %s AND d.outcome_recorded_at < %s AND d.outcome <> 'unknown' AND {area}
        ORDER BY d.outcome_recorded_at DESC, d.id DESC LIMIT %s
        """,
        [w.start, w.end, *area_params, TOP * 2],
    )
    return {
        "moved_count": moved[0][5] if moved else 0,
        "moved": [
            {"id": pk, "title": title, "old": old, "new": new, "at": _iso(at)} for pk, title, old, new, at, _n in moved
        ],
        "releases": [{"id": pk, "title": title, "published_at": _iso(at), "items": n} for pk, title, at, n in releases],
        "outcomes": [
            {"decision_id": d, "id": pk, "title": title, "outcome": outcome, "lesson": lesson, "at": _iso(at)}
            for d, pk, title, outcome, lesson, at, _reached, _missed in outcomes
        ],
        "reached": outcomes[0][6] if outcomes else 0,
        "missed": outcomes[0][7] if outcomes else 0,
    }


# Clubs ------------------------------------------------------------------------------------------


def _clubs(scope: Scope, w: Window) -> dict:
    club = "(%s OR m.club_id = ANY(%s))"
    club_params = [not scope.club_ids, list(scope.club_ids)]
    upcoming_end = w.end + max(w.end - w.start, dt.timedelta(days=14))
    # Held and upcoming meetings are ranked apart (a busy period must not push the upcoming ones out
    # of one shared LIMIT); attendance and votes are read for the kept lines only.
    meetings = _rows(
        f"""
        WITH ranked AS (
            SELECT m.id, m.title, c.name AS club, m.starts_at,
                   row_number() OVER (PARTITION BY m.starts_at < %s ORDER BY m.starts_at, m.id) AS rn,
                   count(*) FILTER (WHERE m.starts_at < %s) OVER () AS held_count,
                   count(*) FILTER (WHERE m.starts_at >= %s) OVER () AS upcoming_count
            FROM clubs_meeting m JOIN clubs_club c ON c.id = m.club_id
            WHERE m.status <> 'cancelled' AND m.starts_at >= %s AND m.starts_at < %s AND {club}
        )
        SELECT m.id, m.title, m.club, m.starts_at,
               (SELECT count(*) FROM clubs_invitation inv WHERE inv.meeting_id = m.id AND inv.attended),
               (SELECT count(*) FROM clubs_invitation inv WHERE inv.meeting_id = m.id),
               (SELECT count(*) FROM clubs_invitation inv WHERE inv.meeting_id = m.id AND inv.rsvp = 'yes'),
               (SELECT array_agg(t.title || ' (' || t.points || ')' ORDER BY t.points DESC, t.id) FROM (
                    SELECT a.id, a.title, sum(r.points) AS points FROM clubs_voteresult r
                    JOIN clubs_agendaitem a ON a.id = r.topic_id
                    WHERE a.meeting_id = m.id GROUP BY a.id, a.title ORDER BY 3 DESC, a.id LIMIT 3) t),
               m.held_count, m.upcoming_count
        FROM ranked m WHERE m.rn <= %s
        ORDER BY m.starts_at, m.id
        """,
        [w.end, w.end, w.end, w.start, upcoming_end, *club_params, TOP * 2],
    )
    # Late means due before the digest's (local) date, the same in every time zone.
    today = w.today or (w.end - dt.timedelta(seconds=1)).date()
    soon = today + dt.timedelta(days=14)
    actions = _rows(
        f"""
        SELECT a.id, a.title, c.name, a.club_id, a.due_date, u.name, count(*) OVER (),
               count(*) FILTER (WHERE a.due_date < %s) OVER ()
        FROM clubs_actionitem a JOIN clubs_club c ON c.id = a.club_id LEFT JOIN accounts_user u ON u.id = a.owner_id
        WHERE a.status = 'open' AND a.due_date IS NOT NULL AND a.due_date <= %s AND {club.replace("m.", "a.")}
        ORDER BY a.due_date, a.id LIMIT %s
        """,
        [today, soon, *club_params, TOP * 2],
    )
    held, upcoming = [], []
    for pk, title, club_name, at, attended, invited, yes, topics, _held, _upcoming in meetings:
        line = {
            "id": pk,
            "title": title,
            "club": club_name,
            "starts_at": _iso(at),
            "attended": attended,
            "invited": invited,
            "yes": yes,
            "top_topics": topics or [],
        }
        (held if at < w.end else upcoming).append(line)
    return {
        "held": held,
        "upcoming": upcoming,
        "action_items": [
            {
                "id": pk,
                "title": title,
                "club": club_name,
                "club_id": club_id,
                "due_date": _iso(due),
                "owner": owner,
                "late": due < today,
            }
            for pk, title, club_name, club_id, due, owner, _n, _late in actions
        ],
        "action_items_due": actions[0][6] if actions else 0,
        "action_items_late": actions[0][7] if actions else 0,
        "held_count": meetings[0][8] if meetings else 0,
        "upcoming_count": meetings[0][9] if meetings else 0,
    }


SECTION_BUILDERS = {
    Section.INCOMING: _incoming,
    Section.RISING: _rising,
    Section.DECISIONS: _decisions,
    Section.RESPONSIVENESS: _responsiveness,
    Section.ROADMAP: _roadmap,
    Section.CLUBS: _clubs,
}


def _activity(section: str, data: dict) -> bool:
    if section == Section.INCOMING:
        return data["total"]["current"] > 0
    if section == Section.RISING:
        return data["votes"]["current"] > 0
    if section == Section.DECISIONS:
        return bool(data["decided"] or any(x["current"] for x in data["by_status"]) or data["roadmap_decisions"])
    if section == Section.RESPONSIVENESS:
        return bool(data["answered"] or data["waiting"])
    if section == Section.ROADMAP:
        return bool(data["moved_count"] or data["releases"] or data["outcomes"])
    return bool(data["held"] or data["upcoming"] or data["action_items"])


def figures_cache_key(prefix: str, *, scope: Scope, window: Window, sections) -> str:
    """A cache key naming everything the figures depend on (the digest and the dashboard share it)."""
    key_src = json.dumps(
        [
            scope.as_dict(),
            list(sections),
            window.start.isoformat(),
            window.end.isoformat(),
            window.previous_start.isoformat(),
            [b.isoformat() for b in window.trend_bounds],
            window.waiting_days,
            window.today.isoformat() if window.today else None,
        ],
        sort_keys=True,
    )
    return f"reporting:{prefix}:" + hashlib.sha256(key_src.encode()).hexdigest()


# How long a reader waits for another process computing the same figures before computing them itself.
COMPUTE_WAIT_SECONDS = 60


def figures_cached(key: str, compute: Callable[[], Any], *, timeout: int) -> Any:
    """The figures (or their rendering) under `key`, computed once even when several workers want them at the same time.

    1,000 digests due at one instant share a few hundred figure sets: the first worker to miss takes
    a short lock (`cache.add`) and computes; the others wait for its result instead of running the
    same aggregates in parallel. A lock left by a killed worker expires; after the wait a reader
    computes on its own.
    """
    figures = cache.get(key)
    if figures is not None:
        return figures
    lock = key + ":computing"
    if not cache.add(lock, 1, COMPUTE_WAIT_SECONDS):
        deadline = time.monotonic() + COMPUTE_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            figures = cache.get(key)
            if figures is not None:
                return figures
            if cache.add(lock, 1, COMPUTE_WAIT_SECONDS):
                break  # the other worker gave up (failed or was killed): compute here
    try:
        figures = compute()
        cache.set(key, figures, timeout)
    finally:
        cache.delete(lock)
    return figures


def figures_compute(*, scope: Scope, window: Window, sections=ALL_SECTIONS) -> dict:
    """Every chosen section's figures for the window; `had_activity` says whether anything happened."""
    out: dict = {
        "period": {
            "start": _iso(window.start),
            "end": _iso(window.end),
            "previous_start": _iso(window.previous_start),
        },
        "scope": scope.as_dict(),
        "sections": [s for s in ALL_SECTIONS if s in sections],
    }
    activity = {}
    with transaction.atomic(), connection.cursor() as cursor:
        # These aggregates are short: compiling them (JIT) costs more than it saves. A period's
        # votes grouped per request and company outgrow the default 4 MB and spill to disk.
        cursor.execute("SET LOCAL jit = off; SET LOCAL work_mem = '32MB'")
        for section in out["sections"]:
            out[section] = SECTION_BUILDERS[section](scope, window)
            activity[section] = _activity(section, out[section])
    out["activity"] = activity
    out["had_activity"] = any(activity.values())
    return out


# Labels in the reader's language ----------------------------------------------------------------


def figures_labelled(figures: dict) -> dict:
    """A copy with display labels (areas, kinds, segments, statuses, people) in the active language."""
    from accounts.models import User
    from feedback.models import ProductArea
    from roadmap.models import Decision, RoadmapItem

    figures = {**figures}
    kinds = dict(Feedback.Kind.choices)
    segments = dict(Organization.Segment.choices)
    statuses = dict(Feedback.Status.choices)
    item_statuses = dict(RoadmapItem.Status.choices)
    decision_kinds = dict(Decision.Kind.choices)
    outcomes = dict(Decision.Outcome.choices)
    area_ids, user_ids = set(), set()
    resp = figures.get("responsiveness") or {}
    for key in ("by_area", "waiting_by_area"):
        area_ids |= {x["id"] for x in resp.get(key, []) if x["id"]}
    area_ids |= {x["id"] for x in (figures.get("incoming") or {}).get("by_area", []) if x["id"]}
    for key in ("by_assignee", "waiting_by_assignee"):
        user_ids |= {x["id"] for x in resp.get(key, []) if x["id"]}
    areas = dict(ProductArea.objects.filter(pk__in=area_ids).values_list("pk", "name")) if area_ids else {}
    people = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "name")) if user_ids else {}
    none_area, nobody = _("No product area"), _("Unassigned")

    def each(lines, label):
        return [{**x, "label": label(x)} for x in lines]

    if "incoming" in figures:
        inc = {**figures["incoming"]}
        inc["by_area"] = each(inc["by_area"], lambda x: areas.get(x["id"], none_area))
        inc["by_kind"] = each(inc["by_kind"], lambda x: str(kinds.get(x["key"], x["key"])))
        inc["by_segment"] = each(inc["by_segment"], lambda x: str(segments.get(x["key"], x["key"] or "—")))
        figures["incoming"] = inc
    if "decisions" in figures:
        dec = {**figures["decisions"]}
        dec["by_status"] = each(dec["by_status"], lambda x: str(statuses.get(x["key"], x["key"])))
        dec["roadmap_decisions"] = each(dec["roadmap_decisions"], lambda x: str(decision_kinds.get(x["key"], x["key"])))
        for key in ("planned", "shipped", "declined", "not_told"):
            dec[key] = each(dec[key], lambda x: str(statuses.get(x["status"], x["status"])))
        figures["decisions"] = dec
    if "responsiveness" in figures:
        resp = {**resp}
        for key in ("by_area", "waiting_by_area"):
            resp[key] = each(resp[key], lambda x: areas.get(x["id"], none_area))
        for key in ("by_assignee", "waiting_by_assignee"):
            resp[key] = each(resp[key], lambda x: people.get(x["id"], nobody))
        figures["responsiveness"] = resp
    if "roadmap" in figures:
        rm = {**figures["roadmap"]}
        rm["moved"] = [
            {
                **x,
                "old_label": str(item_statuses.get(x["old"], x["old"])),
                "new_label": str(item_statuses.get(x["new"], x["new"])),
            }
            for x in rm["moved"]
        ]
        rm["outcomes"] = each(rm["outcomes"], lambda x: str(outcomes.get(x["outcome"], x["outcome"])))
        figures["roadmap"] = rm
    return figures
