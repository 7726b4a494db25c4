# ruff: noqa: S608 - SQL built from integers, dates and constants only (as generate_dataset.py)
"""The roadmap part of the benchmark data set, in set-based SQL (used by `generate_dataset`).

Shape, at full size (1M requests, 5,000 items):
- items spread over the statuses (32% candidate, 15% later, 15% next, 10% now, 20% shipped,
  8% cancelled); 60% of the later/next/now/shipped ones are public, with client-facing wording;
- about a fifth of the requests linked, Zipf-like: item n receives a share of the links that falls
  like n^(-2/3), so the first items gather thousands of requests and most only a handful to a few dozen;
  the linked requests' statuses follow their item (shipped, declined, planned, in progress);
- a decision per decided item (~3,400): accepted with an expected outcome (now/next/shipped; a third
  of the shipped ones reached, a quarter missed with a lesson), declined with a public message
  (cancelled), deferred with a public message (later); the organizations each decision concerned;
- releases (1 per 50 items) publishing the shipped items, already announced;
- then every item's business case, computed like roadmap.services.business_case_refresh does.
"""

from datetime import date

# (status, share in percent), in the order the buckets are cut from (rn * 37) % 100.
STATUS_MIX = [("candidate", 32), ("later", 15), ("next", 15), ("now", 10), ("shipped", 20), ("cancelled", 8)]
IMPACTS = ["3", "2", "1", "1", "0.5", "0.25"]


def _status_case(column: str) -> str:
    bounds, total = [], 0
    for status, share in STATUS_MIX:
        total += share
        bounds.append(f"WHEN ({column} * 37) % 100 < {total} THEN '{status}'")
    return "CASE " + " ".join(bounds) + " END"


def business_case_sql(*, today: date, where: str = "TRUE") -> str:
    """One UPDATE that sets every item's business case (items matching `where`, on alias i2) to what
    business_case_refresh(item_id=...) computes: votes on its linked requests, merged ones excluded;
    the distinct voting organizations, their contract value, the part renewing within 90 days (edges
    included), their segments; RICE from the reach (override or organizations), impact, confidence, effort."""
    day = f"DATE '{today.isoformat()}'"
    return f"""
        WITH v AS (
            SELECT l.item_id, v.organization_id, v.importance, v.provenance
            FROM roadmap_roadmaplink l
            JOIN feedback_feedback f ON f.id = l.feedback_id AND f.status <> 'merged'
            JOIN feedback_vote v ON v.feedback_id = f.id
        ), votes AS (
            SELECT item_id, count(*) n,
                count(*) FILTER (WHERE importance = 'nice_to_have') nice,
                count(*) FILTER (WHERE importance = 'important') important,
                count(*) FILTER (WHERE importance = 'critical') critical,
                count(*) FILTER (WHERE provenance = 'direct') direct,
                count(*) FILTER (WHERE provenance = 'on_behalf') on_behalf,
                count(*) FILTER (WHERE provenance = 'meeting') meeting
            FROM v GROUP BY item_id
        ), orgs AS (
            SELECT DISTINCT v.item_id, o.id, o.annual_contract_value acv, o.renewal_date, o.segment
            FROM v JOIN accounts_organization o ON o.id = v.organization_id
        ), money AS (
            SELECT item_id, count(*) n, sum(acv) revenue,
                sum(acv) FILTER (WHERE renewal_date BETWEEN {day} AND {day} + 90) at_risk
            FROM orgs GROUP BY item_id
        ), seg AS (
            SELECT item_id, jsonb_object_agg(segment, n) segments
            FROM (SELECT item_id, segment, count(*) n FROM orgs WHERE segment <> '' GROUP BY 1, 2) s
            GROUP BY item_id
        ), reqs AS (
            SELECT l.item_id, count(*) n
            FROM roadmap_roadmaplink l JOIN feedback_feedback f ON f.id = l.feedback_id AND f.status <> 'merged'
            GROUP BY l.item_id
        ), bc AS (
            SELECT i2.id, coalesce(reqs.n, 0) request_count, coalesce(votes.n, 0) vote_count,
                coalesce(votes.nice, 0) nice, coalesce(votes.important, 0) important,
                coalesce(votes.critical, 0) critical, coalesce(votes.direct, 0) direct,
                coalesce(votes.on_behalf, 0) on_behalf, coalesce(votes.meeting, 0) meeting,
                coalesce(money.n, 0) organization_count, coalesce(money.revenue, 0) revenue,
                coalesce(money.at_risk, 0) at_risk, coalesce(seg.segments, '{{}}'::jsonb) segments
            FROM roadmap_roadmapitem i2
            LEFT JOIN reqs ON reqs.item_id = i2.id
            LEFT JOIN votes ON votes.item_id = i2.id
            LEFT JOIN money ON money.item_id = i2.id
            LEFT JOIN seg ON seg.item_id = i2.id
            WHERE {where}
        )
        UPDATE roadmap_roadmapitem i SET
            request_count = bc.request_count, vote_count = bc.vote_count,
            votes_nice_to_have = bc.nice, votes_important = bc.important, votes_critical = bc.critical,
            votes_direct = bc.direct, votes_on_behalf = bc.on_behalf, votes_meeting = bc.meeting,
            organization_count = bc.organization_count, revenue = bc.revenue, revenue_at_risk = bc.at_risk,
            segments = bc.segments,
            rice_score = CASE WHEN i.effort <= 0 THEN 0 ELSE (
                coalesce(i.reach_override, bc.organization_count)::numeric * i.impact::numeric
                * i.confidence::numeric / 100 / i.effort)::float8 END,
            business_case_at = now()
        FROM bc WHERE bc.id = i.id"""


def roadmap_steps(*, n_items: int, n_releases: int, linked_percent: int, word, today: date) -> list[tuple[str, str]]:
    """The generator's roadmap steps, after requests and votes exist (bench_fb: the generated requests)."""
    n_releases = max(1, n_releases)
    status = _status_case("g")
    impacts = "ARRAY[" + ",".join(f"'{v}'" for v in IMPACTS) + "]"
    return [
        (
            "roadmap items",
            f"""INSERT INTO roadmap_roadmapitem (title, description, status, target_quarter, owner_id, product_area_id,
                    is_public, public_title, public_text, main_request_id, reach_override, impact, confidence, effort,
                    request_count, vote_count, votes_nice_to_have, votes_important, votes_critical, votes_direct,
                    votes_on_behalf, votes_meeting, organization_count, revenue, revenue_at_risk, segments,
                    club_priority, rice_score, business_case_at, created_at, updated_at)
                SELECT initcap({word("en", 43)}) || ' ' || {word("en", 47)} || ' ' || {word("en", 53)} || ' (R' || g || ')',
                    'Generated roadmap item. Internal notes: ' || {word("en", 59)} || ' ' || {word("en", 61)} || '.',
                    {status},
                    CASE WHEN ({status}) IN ('now', 'next', 'later')
                        THEN (2026 + g % 2)::text || '-Q' || (1 + g % 4)::text ELSE '' END,
                    (SELECT id FROM accounts_user WHERE staff_role = 'product_owner' ORDER BY id LIMIT 1),
                    (SELECT id FROM feedback_productarea ORDER BY id OFFSET (g % greatest(1, (SELECT count(*)
                        FROM feedback_productarea))) LIMIT 1),
                    false, '', '', NULL,
                    CASE WHEN g % 20 = 0 THEN 10 + g % 500 END,
                    ({impacts})[1 + g % {len(IMPACTS)}],
                    (ARRAY[20, 50, 50, 80, 80, 100])[1 + (g * 7) % 6],
                    (ARRAY[0.5, 1, 2, 3, 5, 8, 13])[1 + (g * 11) % 7],
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '{{}}'::jsonb, 0, 0, NULL,
                    now() - ((g % 700) || ' days')::interval, now() - ((g % 60) || ' days')::interval
                FROM generate_series(1, {n_items}) g""",
        ),
        (
            "roadmap maps",
            """CREATE TEMP TABLE bench_item AS SELECT id, status, row_number() OVER (ORDER BY id) rn
                   FROM roadmap_roadmapitem WHERE description LIKE 'Generated roadmap item.%';
               CREATE INDEX ON bench_item (rn);""",
        ),
        (
            "public wording",
            f"""UPDATE roadmap_roadmapitem i SET is_public = true,
                    public_title = 'Simpler ' || {word("en", 71, "b.rn")} || ' for your teams (P' || b.rn || ')',
                    public_text = 'What this brings to your teams: ' || {word("en", 67, "b.rn")} || ' made simpler.'
                FROM bench_item b
                WHERE b.id = i.id AND b.status IN ('later', 'next', 'now', 'shipped') AND (b.rn * 53) % 100 < 60""",
        ),
        (
            "roadmap links",
            f"""INSERT INTO roadmap_roadmaplink (item_id, feedback_id, linked_by_id, created_at)
                SELECT i.id, f.id, (SELECT id FROM accounts_user WHERE staff_role = 'product_owner' ORDER BY id LIMIT 1),
                    f.created_at + interval '1 day'
                FROM bench_fb f
                JOIN bench_item i ON i.rn = 1 + floor({n_items} * power(((f.rn * 7919) % 10007) / 10007.0, 3))::int
                WHERE (f.rn * 104729) % 100 < {linked_percent}""",
        ),
        (
            "link vote counts",
            """UPDATE roadmap_roadmaplink l SET vote_count = f.vote_count
                FROM feedback_feedback f WHERE f.id = l.feedback_id""",
        ),
        (
            "linked statuses",
            """UPDATE feedback_feedback f SET status = CASE i.status
                    WHEN 'shipped' THEN 'shipped' WHEN 'cancelled' THEN 'declined'
                    WHEN 'now' THEN 'in_progress' WHEN 'next' THEN 'planned'
                    ELSE CASE WHEN f.status IN ('shipped', 'declined', 'planned', 'in_progress')
                        THEN 'under_review' ELSE f.status END END
                FROM roadmap_roadmaplink l JOIN bench_item i ON i.id = l.item_id
                WHERE l.feedback_id = f.id""",
        ),
        (
            "main requests",
            """UPDATE roadmap_roadmapitem i SET main_request_id = m.feedback_id
                FROM (SELECT DISTINCT ON (l.item_id) l.item_id, l.feedback_id
                      FROM roadmap_roadmaplink l JOIN bench_item b ON b.id = l.item_id
                      JOIN feedback_feedback f ON f.id = l.feedback_id
                      ORDER BY l.item_id, f.visibility <> 'public', l.feedback_id) m
                WHERE m.item_id = i.id""",
        ),
        (
            "roadmap events",
            """INSERT INTO roadmap_roadmapevent (item_id, actor_id, kind, old_value, new_value, created_at)
                SELECT i.id, i.owner_id, 'created', '', '', i.created_at
                FROM roadmap_roadmapitem i JOIN bench_item b ON b.id = i.id
                UNION ALL
                SELECT i.id, i.owner_id, 'status', 'candidate', i.status, i.created_at + interval '10 days'
                FROM roadmap_roadmapitem i JOIN bench_item b ON b.id = i.id WHERE i.status <> 'candidate'""",
        ),
        (
            "decisions",
            """INSERT INTO roadmap_decision (item_id, feedback_id, kind, rationale, public_message, expected_outcome,
                    outcome, actual_outcome, lesson, outcome_recorded_at, decided_by_id, decided_at, clients_told_at,
                    product_area_id, search_text)
                SELECT i.id, NULL, d.kind,
                    'Internal: weighed against the quarter''s capacity (R' || b.rn || ').',
                    d.public_message, d.expected_outcome,
                    d.outcome, CASE d.outcome WHEN 'reached' THEN 'Support tickets on this topic halved.'
                        WHEN 'missed' THEN 'Adoption stayed low: few clients used it after three months.' ELSE '' END,
                    CASE WHEN d.outcome = 'missed' THEN 'Test a prototype with two clients before building.' ELSE '' END,
                    CASE WHEN d.outcome <> 'unknown' THEN i.created_at + interval '120 days' END,
                    i.owner_id, i.created_at + interval '10 days', i.created_at + interval '10 days',
                    i.product_area_id,
                    i.title || ' ' || d.public_message || ' ' || d.expected_outcome
                FROM roadmap_roadmapitem i JOIN bench_item b ON b.id = i.id
                CROSS JOIN LATERAL (SELECT
                    CASE WHEN i.status IN ('now', 'next', 'shipped') THEN 'accepted'
                         WHEN i.status = 'cancelled' THEN 'declined' ELSE 'deferred' END kind,
                    CASE WHEN i.status = 'cancelled' THEN 'This does not fit the product''s direction; '
                            || 'the export API covers most of the need.'
                         WHEN i.status = 'later' THEN 'Not this year: we first finish the reporting overhaul.'
                         ELSE '' END public_message,
                    CASE WHEN i.status IN ('now', 'next', 'shipped')
                         THEN 'The clients who asked stop working around it; tickets on the topic drop by half.'
                         ELSE '' END expected_outcome,
                    CASE WHEN i.status = 'shipped' AND (b.rn * 11) % 12 < 4 THEN 'reached'
                         WHEN i.status = 'shipped' AND (b.rn * 11) % 12 < 7 THEN 'missed'
                         ELSE 'unknown' END outcome) d
                WHERE i.status <> 'candidate'""",
        ),
        (
            "decision orgs",
            """INSERT INTO roadmap_decisionorganization (decision_id, organization_id)
                SELECT d.id, f.organization_id
                FROM roadmap_decision d JOIN bench_item b ON b.id = d.item_id
                JOIN roadmap_roadmaplink l ON l.item_id = d.item_id JOIN feedback_feedback f ON f.id = l.feedback_id
                UNION
                SELECT d.id, v.organization_id
                FROM roadmap_decision d JOIN bench_item b ON b.id = d.item_id
                JOIN roadmap_roadmaplink l ON l.item_id = d.item_id JOIN feedback_vote v ON v.feedback_id = l.feedback_id
                ON CONFLICT DO NOTHING""",
        ),
        (
            "releases",
            f"""INSERT INTO roadmap_release (title, body, release_date, status, published_at, published_by_id,
                    fanned_out_at, created_at)
                SELECT 'Release ' || (2024 + r / 52)::text || '.' || (1 + r % 52)::text,
                    E'## What is new\\n\\nThe items below shipped in this release. Thank you for asking.',
                    {f"DATE '{today.isoformat()}'"} - r * 7, 'published',
                    ({f"DATE '{today.isoformat()}'"} - r * 7)::timestamptz + interval '9 hours',
                    (SELECT id FROM accounts_user WHERE staff_role = 'product_owner' ORDER BY id LIMIT 1),
                    ({f"DATE '{today.isoformat()}'"} - r * 7)::timestamptz + interval '10 hours',
                    ({f"DATE '{today.isoformat()}'"} - r * 7)::timestamptz
                FROM generate_series(0, {n_releases - 1}) r;
               CREATE TEMP TABLE bench_release AS SELECT id, row_number() OVER (ORDER BY id) - 1 rn
                   FROM roadmap_release WHERE body LIKE '## What is new%';""",
        ),
        (
            "release items",
            f"""INSERT INTO roadmap_release_items (release_id, roadmapitem_id)
                SELECT r.id, b.id FROM bench_item b JOIN bench_release r ON r.rn = b.rn % {n_releases}
                WHERE b.status = 'shipped'""",
        ),
        ("business cases", business_case_sql(today=today)),
    ]
