# ruff: noqa: S608 - SQL built from integers, dates and constants only (as generate_dataset.py)
"""The reporting part of the benchmark data set, in set-based SQL (used by `generate_dataset`).

It runs after the rest of the data set, or alone on an existing one (`generate_dataset --only-reporting`).

First it makes the history a digest reads realistic over time (the other parts write what a page
shows today, not when it happened):
- every request gets a product area (linked ones their roadmap item's, the others one of the areas) and a first response hours to days after they were created (the generator's were
  unrelated to the creation date, often before it); a new request is mostly still unanswered;
- every triaged request gets its status changes as events, the way feedback_change_status writes
  them: new → under review (or needs info) at the first response, then the decision (planned, in
  progress, shipped, declined) days to weeks later,
  public, told (fan-out done) except about one in eight decided silently;
- votes, which were all cast at the instant their request was created, partly arrive later: three in
  ten up to four months after (so older requests rise again), the weekly count staying about even;
- roadmap events, decisions and outcomes dated after today (an item created last week "decided ten
  days after") happened between the item's creation (or decision) and now.
A time the schedule above would put after the generation's "now" (its newest request) falls between
its start and that instant instead; delays are short, so the last weeks hold about as much as the
others (what a weekly digest reads is the data set's average week, not a pile-up at "now").
Each of these is idempotent: a second run finds nothing left to change (votes are spread only while
at their request's creation instant; events only for requests with none).

Then the digest subscriptions (1,000 at full size) for 60 staff people and 150 teams (2 to 6
members; every third team with an outside partner address), in English and French, weekly (daily and
monthly too), over seven time zones (most in Paris), with scopes: a third everything, the others one
or two product areas, one or two segments, a club, or a few named companies, with sections to match.
All are due at the same instant `due` (a Monday 05:30 UTC: the hour, weekday and day of the month
are each subscription's local ones), created 60 days earlier.
"""

import datetime as dt

SUBSCRIPTION_PREFIX = "Bench digest "
TEAM_PREFIX = "Bench team "
STAFF_DOMAIN = "retour-staff.example"
PARTNER_DOMAIN = "outside-partners.example"
N_STAFF, N_TEAMS = 60, 150
# (time zone, share in percent), cut from (g * 41) % 100.
ZONES = [
    ("Europe/Paris", 55),
    ("Europe/London", 15),
    ("America/New_York", 10),
    ("Europe/Berlin", 5),
    ("Asia/Tokyo", 5),
    ("America/Los_Angeles", 5),
    ("Australia/Sydney", 5),
]
ALL = "ARRAY['incoming','rising','decisions','responsiveness','roadmap','clubs']"


def due_instant(now: dt.datetime) -> dt.datetime:
    """The latest Monday 05:30 UTC at or before `now` whose day of the month is 2 to 27: every
    time zone's local date is then a Monday (Sunday west of UTC) between the 1st and the 28th, so
    weekly, daily and monthly subscriptions can all be due at that one instant."""
    day = now.astimezone(dt.UTC).date()
    while True:
        instant = dt.datetime(day.year, day.month, day.day, 5, 30, tzinfo=dt.UTC)
        if day.weekday() == 0 and 2 <= day.day <= 27 and instant <= now:
            return instant
        day -= dt.timedelta(days=1)


def align_sql(due: dt.datetime) -> str:
    """Set every bench subscription's weekday, hour, minute and day of the month to `due`'s, in its zone."""
    at = f"(TIMESTAMPTZ '{due.isoformat()}' AT TIME ZONE s.timezone)"
    return f"""UPDATE reporting_digestsubscription s SET
            weekday = extract(isodow FROM {at})::int - 1, hour = extract(hour FROM {at})::int,
            minute = extract(minute FROM {at})::int, day_of_month = extract(day FROM {at})::int
        WHERE s.name LIKE '{SUBSCRIPTION_PREFIX}%'"""


def _zone_case(column: str) -> str:
    bounds, total = [], 0
    for zone, share in ZONES:
        total += share
        bounds.append(f"WHEN ({column} * 41) % 100 < {total} THEN '{zone}'")
    return "CASE " + " ".join(bounds) + " END"


def _h(expr: str, prime: int) -> str:
    """A pseudo-random fraction in [0, 1) from an integer expression."""
    return f"((({expr})::bigint * {prime}) % 10007) / 10007.0"


def realism_steps() -> list[tuple[str, str]]:
    """The history's UPDATE and INSERT passes. Times are reckoned up to `anchor`, the newest generated
    request's creation (the generation's "now"), so that a second run computes the same values."""
    generated = "f.title LIKE '%#%'"
    # Hours to the first answer: half within a day and a half, nine in ten within four days, at most ten.
    delay = f"interval '1 hour' * (0.5 + 240 * power({_h('f.id', 7919)}, 5))"
    first_response = f"""CASE
        WHEN f.status = 'new' AND {_h("f.id", 7)} < 0.8 THEN NULL
        WHEN f.created_at + {delay} <= n.anchor THEN f.created_at + {delay}
        WHEN f.status = 'new' THEN NULL
        ELSE f.created_at + (n.anchor - f.created_at) * {_h("f.id", 3571)} END"""
    return [
        (
            "reporting maps",
            f"""DROP TABLE IF EXISTS brep_area, brep_n;
               CREATE TEMP TABLE brep_area AS SELECT id, row_number() OVER (ORDER BY id) rn FROM feedback_productarea;
               CREATE TEMP TABLE brep_n AS SELECT greatest(1, count(*)) areas,
                   coalesce((SELECT max(f.created_at) FROM feedback_feedback f WHERE {generated}), now()) anchor
                   FROM brep_area""",
        ),
        (
            "roadmap dates",
            f"""UPDATE roadmap_roadmapevent e SET created_at = i.created_at + (now() - i.created_at) * {_h("e.id", 7919)}
                FROM roadmap_roadmapitem i WHERE i.id = e.item_id AND e.created_at > now();
               UPDATE roadmap_decision d
                SET decided_at = x.moment, clients_told_at = CASE WHEN d.clients_told_at IS NOT NULL THEN x.moment END
                FROM roadmap_roadmapitem i
                CROSS JOIN LATERAL (SELECT i.created_at + (now() - i.created_at) * {_h("i.id", 7919)} AS moment) x
                WHERE i.id = d.item_id AND (d.decided_at > now() OR d.clients_told_at > now());
               UPDATE roadmap_decision d
                SET outcome_recorded_at = d.decided_at + (now() - d.decided_at) * {_h("d.id", 7919)}
                WHERE d.outcome_recorded_at > now()""",
        ),
        (
            "areas, responses",
            f"""UPDATE feedback_feedback f SET
                    product_area_id = coalesce(f.product_area_id, x.area), first_response_at = x.first_response
                FROM (
                    SELECT f.id, coalesce(i.product_area_id, a.id) area,
                        {first_response} first_response
                    FROM feedback_feedback f
                    CROSS JOIN brep_n n
                    LEFT JOIN roadmap_roadmaplink l ON l.feedback_id = f.id
                    LEFT JOIN roadmap_roadmapitem i ON i.id = l.item_id
                    LEFT JOIN brep_area a ON a.rn = 1 + (f.id * 13) % n.areas
                    WHERE {generated}
                ) x
                WHERE x.id = f.id AND ((f.product_area_id IS NULL AND x.area IS NOT NULL)
                    OR f.first_response_at IS DISTINCT FROM x.first_response)""",
        ),
        (
            "status events",
            f"""INSERT INTO feedback_feedbackevent (feedback_id, actor_id, kind, old_value, new_value, public_message,
                    is_public, created_at, fanned_out_at, silent)
                WITH r0 AS (
                    -- Decided one day to six weeks after the first answer (half within a week). Not when
                    -- a linked request's roadmap item was: the generator's most linked items are its
                    -- newest, so thousands of decisions would fall in the last weeks.
                    SELECT f.id, f.status, f.first_response_at fr, n.anchor,
                        f.first_response_at + interval '1 day' * (1 + 40 * power({_h("f.id", 104729)}, 3)) decided_at,
                        {_h("f.id", 15485863)} < 0.12 silent
                    FROM feedback_feedback f
                    CROSS JOIN brep_n n
                    WHERE {generated} AND f.status <> 'new' AND f.status <> 'merged' AND f.first_response_at IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM feedback_feedbackevent e WHERE e.feedback_id = f.id
                                        AND e.kind = 'status')
                ), r AS (
                    -- A decision the schedule above puts after the anchor was made since the first answer.
                    SELECT r0.id, r0.status, r0.fr, r0.silent,
                        CASE WHEN r0.decided_at <= greatest(r0.anchor, r0.fr) THEN r0.decided_at
                        ELSE r0.fr + (greatest(r0.anchor, r0.fr) - r0.fr) * {_h("r0.id", 1299709)} END decided_at
                    FROM r0
                ), staff AS (
                    SELECT id FROM accounts_user WHERE staff_role = 'product_owner' ORDER BY id LIMIT 1
                )
                SELECT r.id, (SELECT id FROM staff), 'status', 'new',
                    CASE WHEN r.status IN ('under_review', 'needs_info') THEN r.status ELSE 'under_review' END,
                    '', true, r.fr, r.fr + interval '1 minute', false
                FROM r
                UNION ALL
                SELECT r.id, (SELECT id FROM staff), 'status', 'under_review', r.status,
                    CASE WHEN r.status = 'declined'
                        THEN 'This does not fit the product''s direction: the export API covers most of the need.'
                        WHEN r.status = 'shipped' THEN 'It is in the latest release: thank you for asking.'
                        ELSE '' END,
                    true, r.decided_at, r.decided_at + interval '1 minute', r.silent
                FROM r WHERE r.status IN ('planned', 'in_progress', 'shipped', 'declined')""",
        ),
        (
            "vote times",
            # Seven votes in ten at the request's creation (the generator's time); the others up to four
            # months later (a third within two weeks), within the time the request has existed.
            f"""UPDATE feedback_vote v
                SET created_at = f.created_at
                    + least(interval '120 days', n.anchor - f.created_at) * power({_h("v.id", 104723)}, 2)
                FROM feedback_feedback f CROSS JOIN brep_n n
                WHERE f.id = v.feedback_id AND v.created_at = f.created_at AND {generated}
                    AND {_h("v.id", 2654435761)} >= 0.7 AND n.anchor > f.created_at""",
        ),
    ]


def subscription_steps(*, n_subscriptions: int, due: dt.datetime) -> list[tuple[str, str]]:
    zone = _zone_case("g")
    return [
        (
            "digest staff",
            f"""INSERT INTO accounts_user (password, email, name, language, timezone, staff_role, is_staff,
                    is_active, is_superuser, date_joined)
                SELECT '!', 'bench-staff-' || g || '@{STAFF_DOMAIN}', 'Bench staff ' || g,
                    CASE WHEN g % 3 = 0 THEN 'fr' ELSE 'en' END, 'Europe/Paris',
                    CASE WHEN g % 10 = 0 THEN 'product_owner' ELSE 'contributor' END, false, true, false,
                    now() - interval '400 days'
                FROM generate_series(1, {N_STAFF}) g
                ON CONFLICT DO NOTHING;
               DROP TABLE IF EXISTS brep_staff, brep_team, brep_sub;
               CREATE TEMP TABLE brep_staff AS SELECT id, language, row_number() OVER (ORDER BY id) rn
                   FROM accounts_user WHERE email LIKE 'bench-staff-%@{STAFF_DOMAIN}'""",
        ),
        (
            "digest teams",
            f"""INSERT INTO accounts_team (name, extra_emails, language, created_at)
                SELECT '{TEAM_PREFIX}' || g,
                    CASE WHEN g % 3 = 0 THEN ARRAY['partner-' || g || '@{PARTNER_DOMAIN}']::varchar[]
                         ELSE ARRAY[]::varchar[] END,
                    CASE WHEN g % 3 = 1 THEN 'fr' ELSE 'en' END, now() - interval '300 days'
                FROM generate_series(1, {N_TEAMS}) g
                ON CONFLICT (name) DO NOTHING;
               CREATE TEMP TABLE brep_team AS SELECT id, language, row_number() OVER (ORDER BY id) rn
                   FROM accounts_team WHERE name LIKE '{TEAM_PREFIX}%';
               INSERT INTO accounts_team_members (team_id, user_id)
                SELECT t.id, s.id FROM brep_team t CROSS JOIN generate_series(0, 5) k
                JOIN brep_staff s ON s.rn = 1 + (t.rn * 7 + k * 11) % {N_STAFF}
                WHERE k < 2 + t.rn % 5
                ON CONFLICT DO NOTHING""",
        ),
        (
            "digest subscriptions",
            f"""INSERT INTO reporting_digestsubscription (name, language, frequency, weekday, day_of_month, hour,
                    minute, timezone, segments, sections, waiting_days, unsubscribed, is_active, created_at,
                    updated_at, created_by_id, team_id, user_id)
                SELECT '{SUBSCRIPTION_PREFIX}' || (base.n + g), coalesce(t.language, s.language),
                    CASE WHEN g % 25 < 3 THEN 'daily' WHEN g % 25 < 5 THEN 'monthly' ELSE 'weekly' END,
                    0, 1, 8, 0, {zone},
                    CASE g % 12 WHEN 2 THEN ARRAY['enterprise']
                        WHEN 5 THEN CASE WHEN g % 24 = 17 THEN ARRAY[]::varchar[] ELSE ARRAY['mid_market'] END
                        WHEN 8 THEN ARRAY['enterprise', 'mid_market'] WHEN 1 THEN
                            CASE WHEN g % 24 = 13 THEN ARRAY['small_business'] ELSE ARRAY[]::varchar[] END
                        ELSE ARRAY[]::varchar[] END,
                    CASE WHEN g % 3 = 0 THEN {ALL}
                         WHEN g % 12 = 11 THEN ARRAY['rising', 'roadmap', 'clubs']
                         WHEN g % 4 = 1 THEN ARRAY['incoming', 'rising', 'decisions', 'roadmap']
                         WHEN g % 4 = 2 THEN ARRAY['incoming', 'decisions', 'responsiveness']
                         ELSE {ALL} END,
                    CASE WHEN g % 10 = 3 THEN 3 WHEN g % 10 = 7 THEN 14 ELSE 7 END,
                    ARRAY[]::varchar[], true, now() - interval '60 days', now() - interval '60 days',
                    (SELECT id FROM accounts_user WHERE staff_role = 'product_owner' ORDER BY id LIMIT 1),
                    t.id, CASE WHEN t.id IS NULL THEN s.id END
                FROM generate_series(1, {n_subscriptions}) g
                CROSS JOIN (SELECT count(*) n FROM reporting_digestsubscription
                            WHERE name LIKE '{SUBSCRIPTION_PREFIX}%') base
                LEFT JOIN brep_team t ON g % 2 = 0 AND t.rn = 1 + (g / 2) % {N_TEAMS}
                LEFT JOIN brep_staff s ON g % 2 = 1 AND s.rn = 1 + (g * 7) % {N_STAFF};
               CREATE TEMP TABLE brep_sub AS
                   SELECT id, substr(name, {len(SUBSCRIPTION_PREFIX) + 1})::int g FROM reporting_digestsubscription
                   WHERE name LIKE '{SUBSCRIPTION_PREFIX}%'""",
        ),
        (
            "digest scopes",
            """INSERT INTO reporting_digestsubscription_product_areas (digestsubscription_id, productarea_id)
                SELECT s.id, a.id FROM brep_sub s CROSS JOIN brep_n n CROSS JOIN generate_series(0, 1) k
                JOIN brep_area a ON a.rn = 1 + (s.g + k) % n.areas
                WHERE (s.g % 12 IN (1, 4, 7) AND k = 0) OR (s.g % 12 = 10 AND (k = 0 OR n.areas > 1))
                ON CONFLICT DO NOTHING;
               INSERT INTO reporting_digestsubscription_clubs (digestsubscription_id, club_id)
                SELECT s.id, c.id FROM brep_sub s
                JOIN (SELECT id, row_number() OVER (ORDER BY id) rn, count(*) OVER () n
                      FROM clubs_club WHERE NOT is_archived) c ON c.rn = 1 + s.g % c.n
                WHERE s.g % 12 = 11
                ON CONFLICT DO NOTHING;
               INSERT INTO reporting_digestsubscription_organizations (digestsubscription_id, organization_id)
                SELECT s.id, o.id FROM brep_sub s CROSS JOIN generate_series(0, 4) k
                JOIN (SELECT id, row_number() OVER (ORDER BY id) rn, count(*) OVER () n
                      FROM accounts_organization) o ON o.rn = 1 + (s.g * 37 + k * 101) % o.n
                WHERE s.g % 24 = 17
                ON CONFLICT DO NOTHING""",
        ),
        ("digest schedule", align_sql(due)),
    ]


def reporting_steps(*, n_subscriptions: int, due: dt.datetime) -> list[tuple[str, str]]:
    return [*realism_steps(), *subscription_steps(n_subscriptions=n_subscriptions, due=due)]


def reporting_analyze_step() -> tuple[str, str]:
    tables = [
        "feedback_feedback",
        "feedback_feedbackevent",
        "feedback_vote",
        "roadmap_roadmapevent",
        "roadmap_decision",
        "accounts_user",
        "accounts_team",
        "accounts_team_members",
        "reporting_digestsubscription",
        "reporting_digestsubscription_product_areas",
        "reporting_digestsubscription_organizations",
        "reporting_digestsubscription_clubs",
    ]
    return ("analyze reporting", "ANALYZE " + ", ".join(tables))
