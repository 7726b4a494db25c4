# ruff: noqa: S608 - SQL built from integers, dates and constants only (as generate_dataset.py)
"""The clubs part of the benchmark data set, in set-based SQL (used by `generate_dataset`).

It only reads what is already there (client users, requests, roadmap items, product areas), so it
runs after the rest of the data set or alone on an existing one (`generate_dataset --only-clubs`).

Shape, at full size (200 clubs, 5,000 meetings):
- club 1 of the run has 300 members from 150 companies (two users of each) and no product scope: the
  benchmark's agenda suggestions are computed for it; the others have 8 to 80 members drawn across
  all organizations (some left, some asking to join an open club), a third in French, two thirds
  scoped to a product area, a few archived; the product owner organizes them all;
- 25 meetings per club, spread from two years ago to four months ahead: past ones held (a twelfth
  cancelled), future ones planned, invitations sent three weeks before; every meeting has its
  minutes (published once held) and five agenda topics: two requests, a roadmap item, two written
  by the organizer (a private request or item gets a summary, never its own title);
- every active client member is invited, with RSVPs (yes, no, maybe, no answer), attendance on the
  day (a few came without an invitation), reminders sent to those who accepted;
- one closed dot vote per held meeting over its first four topics: about 95% of the attendees cast
  5 points (3 + 2, or all 5 on one topic); the results per topic and organization are the sums of
  the ballots, `ballot_count` their number, and the roadmap items' club priority is recomputed as
  clubs.services.club_priority_refresh does;
- two action items per held meeting (a staff one on the first request, a member's one on the
  roadmap item): old ones done or dropped, recent ones partly open, so some are late.

`Meeting.ical_uid` is unique and normally set by `save()`: it is written here explicitly.
Not generated: mailings (the email ledger), captured requests, meeting votes on the requests.
"""

from datetime import date

MEMBERS_LARGE, COMPANIES_LARGE = 300, 150
BUDGET = 5


def clubs_steps(*, n_clubs: int, n_meetings: int, today: date) -> list[tuple[str, str]]:
    n_clubs = max(1, n_clubs)
    n_meetings = max(n_clubs, n_meetings)
    per_club = -(-n_meetings // n_clubs)  # meetings of one club, rounded up
    day = f"DATE '{today.isoformat()}'"
    return [
        (
            "club maps",
            f"""DROP TABLE IF EXISTS bclub_mark, bclub_client, bclub_fb, bclub_item, bclub_area, bclub_n, bclub,
                    bclub_meeting, bclub_vote, bclub_vote_topic;
                CREATE TEMP TABLE bclub_mark AS SELECT
                    (SELECT coalesce(max(id), 0) FROM clubs_club) club_id,
                    (SELECT coalesce(max(id), 0) FROM clubs_meeting) meeting_id,
                    (SELECT id FROM accounts_user WHERE staff_role = 'product_owner' ORDER BY id LIMIT 1) staff_id,
                    {day} today;
                CREATE TEMP TABLE bclub_client AS
                    SELECT m.user_id id, m.organization_id org_id, row_number() OVER (ORDER BY m.user_id) rn
                    FROM accounts_membership m JOIN accounts_user u ON u.id = m.user_id AND u.is_active;
                CREATE INDEX ON bclub_client (rn);
                CREATE TEMP TABLE bclub_fb AS
                    SELECT id, visibility, title, row_number() OVER (ORDER BY id) rn
                    FROM feedback_feedback WHERE status <> 'merged';
                CREATE INDEX ON bclub_fb (rn);
                CREATE TEMP TABLE bclub_item AS
                    SELECT id, is_public, public_title, row_number() OVER (ORDER BY id) rn FROM roadmap_roadmapitem;
                CREATE INDEX ON bclub_item (rn);
                CREATE TEMP TABLE bclub_area AS
                    SELECT id, row_number() OVER (ORDER BY id) rn FROM feedback_productarea;
                CREATE TEMP TABLE bclub_n AS SELECT
                    greatest(1, (SELECT count(*) FROM bclub_client)) clients,
                    greatest(1, (SELECT count(*) FROM bclub_fb)) fb,
                    greatest(1, (SELECT count(*) FROM bclub_item)) items,
                    (SELECT count(*) FROM bclub_area) areas;""",
        ),
        (
            "clubs",
            f"""INSERT INTO clubs_club (name, description, language, region, visibility, is_archived, member_count,
                    created_at, created_by_id)
                SELECT CASE WHEN g = 1 THEN 'Bench club 1 (the large one)' ELSE 'Bench club ' || g END,
                    CASE WHEN g % 3 = 0
                        THEN 'Les utilisateurs échangent avec l''équipe produit (club ' || g || ').'
                        ELSE 'Users meet the product team to discuss what matters to them (club ' || g || ').' END,
                    CASE WHEN g % 3 = 0 THEN 'fr' ELSE 'en' END,
                    (ARRAY['Europe', 'France', 'Benelux', 'North America', 'Nordics'])[1 + g % 5],
                    CASE WHEN g % 4 = 0 THEN 'open' ELSE 'invitation' END,
                    g > 1 AND g % 50 = 0, 0, now() - interval '760 days', (SELECT staff_id FROM bclub_mark)
                FROM generate_series(1, {n_clubs}) g;
                CREATE TEMP TABLE bclub AS
                    SELECT c.id, c.visibility, row_number() OVER (ORDER BY c.id) rn
                    FROM clubs_club c WHERE c.id > (SELECT club_id FROM bclub_mark);
                CREATE INDEX ON bclub (rn);""",
        ),
        (
            "club organizers",
            """INSERT INTO clubs_club_organizers (club_id, user_id)
                SELECT c.id, k.staff_id FROM bclub c CROSS JOIN bclub_mark k WHERE k.staff_id IS NOT NULL;
               INSERT INTO clubs_club_product_areas (club_id, productarea_id)
                SELECT c.id, a.id FROM bclub c CROSS JOIN bclub_n n
                JOIN bclub_area a ON a.rn = 1 + c.rn % greatest(n.areas, 1)
                WHERE c.rn > 1 AND c.rn % 3 <> 0""",
        ),
        (
            "club members",
            f"""WITH orgs AS (
                    SELECT org_id FROM bclub_client GROUP BY org_id HAVING count(*) >= 2
                    ORDER BY org_id LIMIT {COMPANIES_LARGE}
                ), ranked AS (
                    SELECT c.id, c.org_id, row_number() OVER (PARTITION BY c.org_id ORDER BY c.id) k
                    FROM bclub_client c JOIN orgs USING (org_id)
                ), chosen AS (
                    SELECT id, org_id, row_number() OVER (ORDER BY k, org_id) n
                    FROM ranked ORDER BY k, org_id LIMIT {MEMBERS_LARGE}
                )
                INSERT INTO clubs_clubmembership (role, status, joined_at, left_at, created_at, added_by_id, club_id,
                    organization_id, user_id)
                SELECT CASE WHEN n = 1 THEN 'chair' WHEN n % 25 = 0 THEN 'ambassador' ELSE 'member' END,
                    'active', now() - ((100 + n % 600) || ' days')::interval, NULL, now(), mark.staff_id, big.id,
                    chosen.org_id, chosen.id
                FROM chosen CROSS JOIN bclub_mark mark JOIN bclub big ON big.rn = 1;

                INSERT INTO clubs_clubmembership (role, status, joined_at, left_at, created_at, added_by_id, club_id,
                    organization_id, user_id)
                SELECT CASE WHEN k = 1 THEN 'chair' WHEN k % 10 = 0 THEN 'ambassador' ELSE 'member' END,
                    CASE WHEN k % 20 = 0 THEN 'left'
                         WHEN k % 29 = 0 AND c.visibility = 'open' THEN 'requested' ELSE 'active' END,
                    CASE WHEN k % 29 = 0 AND c.visibility = 'open' THEN NULL
                         ELSE now() - ((100 + (c.rn * 13 + k) % 600) || ' days')::interval END,
                    CASE WHEN k % 20 = 0 THEN now() - ((k % 90) || ' days')::interval END,
                    now(), mark.staff_id, c.id, cl.org_id, cl.id
                FROM bclub c CROSS JOIN bclub_mark mark CROSS JOIN bclub_n n
                CROSS JOIN generate_series(1, 80) k
                JOIN bclub_client cl ON cl.rn = 1 + ((c.rn::bigint * 7919 + k * 104729) % n.clients)
                WHERE c.rn > 1 AND k <= 8 + (c.rn * 37) % 73
                ON CONFLICT DO NOTHING""",
        ),
        (
            "member counts",
            """UPDATE clubs_club c SET member_count = s.n
                FROM (SELECT m.club_id, count(*) n FROM clubs_clubmembership m JOIN bclub b ON b.id = m.club_id
                      WHERE m.status = 'active' GROUP BY m.club_id) s
                WHERE s.club_id = c.id""",
        ),
        (
            "meetings",
            f"""INSERT INTO clubs_meeting (title, description, starts_at, ends_at, timezone, place, video_url, status,
                    ical_uid, sequence, invitations_sent_at, created_at, updated_at, club_id, created_by_id)
                SELECT CASE WHEN c.rn % 3 = 0 THEN 'Réunion du club, ' ELSE 'Club meeting, ' END
                        || to_char(s.starts_at, 'YYYY-MM-DD'),
                    'Agenda below; bring your questions.',
                    s.starts_at, s.starts_at + interval '2 hours',
                    (ARRAY['Europe/Paris', 'Europe/London', 'America/New_York'])[1 + c.rn % 3],
                    CASE WHEN g % 2 = 0 THEN 'Lyon office, room ' || (1 + g % 9) ELSE '' END,
                    'https://meet.example/bench-' || g,
                    CASE WHEN s.starts_at < now() THEN CASE WHEN c.rn > 1 AND g % 12 = 0 THEN 'cancelled' ELSE 'held' END
                         ELSE CASE WHEN c.rn > 1 AND g % 25 = 0 THEN 'cancelled' ELSE 'planned' END END,
                    gen_random_uuid()::text || '@retour', g % 3,
                    CASE WHEN s.starts_at - interval '21 days' < now() THEN s.starts_at - interval '21 days' END,
                    s.starts_at - interval '40 days', now(), c.id, mark.staff_id
                FROM generate_series(1, {n_meetings}) g
                JOIN bclub c ON c.rn = 1 + (g - 1) % {n_clubs}
                CROSS JOIN bclub_mark mark
                CROSS JOIN LATERAL (SELECT date_trunc('day', now()) + interval '14 hours' + ((g % 3) || ' hours')::interval
                    + ((-730 + ((g - 1) / {n_clubs}) * 850 / greatest({per_club} - 1, 1) + (c.rn * 7) % 29 - 14)
                       || ' days')::interval starts_at) s;
                CREATE TEMP TABLE bclub_meeting AS
                    SELECT m.id, m.club_id, m.starts_at, m.ends_at, m.status, m.invitations_sent_at, c.rn club_rn,
                        row_number() OVER (ORDER BY m.id) rn
                    FROM clubs_meeting m JOIN bclub c ON c.id = m.club_id
                    WHERE m.id > (SELECT meeting_id FROM bclub_mark);
                CREATE INDEX ON bclub_meeting (id);""",
        ),
        (
            "minutes",
            """INSERT INTO clubs_minutes (body, updated_at, published_at, meeting_id, written_by_id)
                SELECT CASE WHEN m.status = 'held' THEN E'## Discussed\\n\\n- The members ranked the topics by vote.'
                    || E'\\n- The team presented the roadmap items in progress.\\n\\n## Decided\\n\\n'
                    || '- See the action items.' ELSE '' END,
                    now(), CASE WHEN m.status = 'held' THEN m.ends_at + interval '1 day' END, m.id, mark.staff_id
                FROM bclub_meeting m CROSS JOIN bclub_mark mark""",
        ),
        (
            "agenda",
            """INSERT INTO clubs_agendaitem (position, title, notes, minutes_allotted, origin, created_at,
                    action_item_id, feedback_id, roadmap_item_id, meeting_id)
                SELECT k,
                    CASE WHEN k <= 2 AND f.id IS NOT NULL THEN
                            CASE WHEN f.visibility = 'public' THEN left(f.title, 200)
                                 ELSE 'What several companies asked us (summary ' || m.rn || '-' || k || ')' END
                         WHEN k = 3 AND i.id IS NOT NULL THEN
                            CASE WHEN i.is_public AND i.public_title <> '' THEN left(i.public_title, 200)
                                 ELSE 'Where the team stands on a planned improvement (summary ' || m.rn || ')' END
                         WHEN k = 5 THEN 'Questions, and the date of the next meeting'
                         ELSE 'Open discussion: what slows you down this quarter' END,
                    CASE WHEN k = 1 THEN 'Votes and comments of the club''s companies attached.' ELSE '' END,
                    (ARRAY[20, 15, 25, 30, 10])[k],
                    CASE WHEN k <= 2 AND f.id IS NOT NULL THEN 'demand'
                         WHEN k = 3 AND i.id IS NOT NULL THEN CASE WHEN m.rn % 2 = 0 THEN 'awaiting' ELSE 'changed' END
                         ELSE 'manual' END,
                    m.starts_at - interval '30 days', NULL,
                    CASE WHEN k <= 2 THEN f.id END, CASE WHEN k = 3 THEN i.id END, m.id
                FROM bclub_meeting m CROSS JOIN bclub_n n CROSS JOIN generate_series(1, 5) k
                LEFT JOIN bclub_fb f ON k <= 2 AND f.rn = 1 + ((m.rn::bigint * 7919 + k * 15485863) % n.fb)
                LEFT JOIN bclub_item i ON k = 3 AND i.rn = 1 + ((m.rn::bigint * 104729) % n.items)""",
        ),
        (
            "invitations",
            """INSERT INTO clubs_invitation (rsvp, comment, responded_at, invited_at, attended, reminded_at,
                    created_at, organization_id, user_id, meeting_id)
                SELECT x.rsvp,
                    CASE WHEN x.rsvp = 'no' AND x.h % 2 = 0 THEN 'On holiday that week, sorry.'
                         WHEN x.rsvp = 'maybe' THEN 'Depends on our quarter closing.' ELSE '' END,
                    CASE WHEN x.rsvp <> 'pending' THEN x.invited_at + interval '2 days' END,
                    CASE WHEN x.uninvited THEN NULL ELSE x.invited_at END,
                    x.attended,
                    CASE WHEN x.rsvp = 'yes' AND x.status = 'held' THEN x.starts_at - interval '1 day' END,
                    coalesce(x.invited_at, x.starts_at), x.organization_id, x.user_id, x.id
                FROM (
                    SELECT m.id, m.status, m.starts_at, cm.user_id, cm.organization_id,
                        coalesce(m.invitations_sent_at, m.starts_at - interval '21 days') invited_at, h.h,
                        m.status = 'held' AND h.h % 40 = 39 uninvited,
                        CASE WHEN m.status = 'held' AND h.h % 40 = 39 THEN 'pending'
                             WHEN h.h % 20 < 12 THEN 'yes' WHEN h.h % 20 < 16 THEN 'no'
                             WHEN h.h % 20 < 18 THEN 'maybe' ELSE 'pending' END rsvp,
                        m.status = 'held' AND (h.h % 20 < 11 OR h.h % 20 = 16 OR h.h % 40 = 39) attended
                    FROM bclub_meeting m
                    JOIN clubs_clubmembership cm ON cm.club_id = m.club_id AND cm.status = 'active'
                        AND cm.organization_id IS NOT NULL
                    CROSS JOIN LATERAL (SELECT ((m.id * 31 + cm.user_id * 17) % 1000)::int h) h
                    WHERE m.invitations_sent_at IS NOT NULL
                ) x""",
        ),
        (
            "votes",
            f"""INSERT INTO clubs_meetingvote (title, budget, status, opened_at, closed_at, ballot_count, created_at,
                    created_by_id, meeting_id)
                SELECT CASE WHEN m.club_rn % 3 = 0 THEN 'Quel sujet compte le plus pour vous ?'
                            ELSE 'Which topic matters most to you?' END,
                    {BUDGET}, 'closed', m.starts_at + interval '60 minutes', m.starts_at + interval '75 minutes', 0,
                    m.starts_at - interval '1 day', mark.staff_id, m.id
                FROM bclub_meeting m CROSS JOIN bclub_mark mark WHERE m.status = 'held';
                CREATE TEMP TABLE bclub_vote AS
                    SELECT v.id, v.meeting_id, v.closed_at FROM clubs_meetingvote v JOIN bclub_meeting m ON m.id = v.meeting_id;
                INSERT INTO clubs_meetingvote_topics (meetingvote_id, agendaitem_id)
                    SELECT v.id, a.id FROM bclub_vote v JOIN clubs_agendaitem a ON a.meeting_id = v.meeting_id
                    WHERE a.position <= 4;
                CREATE TEMP TABLE bclub_vote_topic AS
                    SELECT v.id vote_id, a.id topic_id, a.position - 1 idx
                    FROM bclub_vote v JOIN clubs_agendaitem a ON a.meeting_id = v.meeting_id WHERE a.position <= 4;
                CREATE INDEX ON bclub_vote_topic (vote_id, idx);""",
        ),
        (
            "ballots",
            f"""INSERT INTO clubs_ballot (total, cast_at, organization_id, user_id, vote_id)
                SELECT {BUDGET}, v.closed_at - interval '10 minutes' + ((i.id % 540) || ' seconds')::interval,
                    i.organization_id, i.user_id, v.id
                FROM bclub_vote v JOIN clubs_invitation i ON i.meeting_id = v.meeting_id AND i.attended
                WHERE i.organization_id IS NOT NULL AND i.id % 20 <> 0""",
        ),
        (
            "ballot points",
            f"""INSERT INTO clubs_ballotpoints (points, ballot_id, topic_id, vote_id)
                SELECT p.points, b.id, t.topic_id, b.vote_id
                FROM clubs_ballot b JOIN bclub_vote v ON v.id = b.vote_id
                CROSS JOIN LATERAL (VALUES
                    (b.id % 4, CASE WHEN b.id % 7 = 0 THEN {BUDGET} ELSE 3 END),
                    ((b.id % 4 + 1 + (b.id / 4) % 3) % 4, CASE WHEN b.id % 7 = 0 THEN 0 ELSE {BUDGET} - 3 END)
                ) p(idx, points)
                JOIN bclub_vote_topic t ON t.vote_id = b.vote_id AND t.idx = p.idx
                WHERE p.points > 0""",
        ),
        (
            "vote results",
            """INSERT INTO clubs_voteresult (points, voters, organization_id, topic_id, vote_id)
                SELECT sum(p.points), count(p.ballot_id), b.organization_id, p.topic_id, p.vote_id
                FROM clubs_ballotpoints p JOIN bclub_vote v ON v.id = p.vote_id JOIN clubs_ballot b ON b.id = p.ballot_id
                GROUP BY p.vote_id, p.topic_id, b.organization_id;
               UPDATE clubs_ballot b SET total = s.total
                FROM (SELECT p.ballot_id, sum(p.points) total FROM clubs_ballotpoints p JOIN bclub_vote v ON v.id = p.vote_id
                      GROUP BY p.ballot_id) s
                WHERE s.ballot_id = b.id AND b.total <> s.total;
               UPDATE clubs_meetingvote mv SET ballot_count = s.n
                FROM (SELECT b.vote_id, count(*) n FROM clubs_ballot b JOIN bclub_vote v ON v.id = b.vote_id
                      GROUP BY b.vote_id) s
                WHERE s.vote_id = mv.id""",
        ),
        (
            "club priority",
            # As club_priority_refresh: a result counts once per item, through its topic's item or request.
            """UPDATE roadmap_roadmapitem i SET club_priority = s.points
                FROM (SELECT item_id, sum(points) points FROM (
                        SELECT r.id, a.roadmap_item_id item_id, r.points
                        FROM clubs_voteresult r JOIN clubs_agendaitem a ON a.id = r.topic_id
                        WHERE a.roadmap_item_id IS NOT NULL
                        UNION
                        SELECT r.id, l.item_id, r.points
                        FROM clubs_voteresult r JOIN clubs_agendaitem a ON a.id = r.topic_id
                        JOIN roadmap_roadmaplink l ON l.feedback_id = a.feedback_id
                      ) t GROUP BY item_id) s
                WHERE s.item_id = i.id AND i.club_priority <> s.points""",
        ),
        (
            "action items",
            """INSERT INTO clubs_actionitem (title, due_date, status, created_at, closed_at, created_by_id, feedback_id,
                    owner_id, roadmap_item_id, club_id, meeting_id)
                SELECT x.title, x.due_date, x.status, x.ends_at,
                    CASE WHEN x.status <> 'open' THEN (x.due_date - 3)::timestamptz + interval '10 hours' END,
                    x.staff_id, x.feedback_id, x.owner_id, x.roadmap_item_id, x.club_id, x.id
                FROM (
                    SELECT m.id, m.club_id, m.ends_at, mark.staff_id, k,
                        CASE WHEN k = 1 THEN 'Send the club the specification of the first topic'
                             ELSE 'Share our usage figures on the roadmap topic with the team' END title,
                        (m.starts_at::date + CASE WHEN k = 1 THEN 30 ELSE 45 END) due_date,
                        CASE WHEN m.starts_at < now() - interval '180 days'
                                THEN CASE WHEN (m.rn + k) % 10 = 0 THEN 'dropped' ELSE 'done' END
                             WHEN (m.rn + k) % 3 = 0 THEN 'done' ELSE 'open' END status,
                        CASE WHEN k = 1 THEN a1.feedback_id END feedback_id,
                        CASE WHEN k = 2 THEN a3.roadmap_item_id END roadmap_item_id,
                        CASE WHEN k = 1 THEN mark.staff_id ELSE coalesce(owner.user_id, mark.staff_id) END owner_id
                    FROM bclub_meeting m CROSS JOIN bclub_mark mark CROSS JOIN generate_series(1, 2) k
                    LEFT JOIN clubs_agendaitem a1 ON a1.meeting_id = m.id AND a1.position = 1
                    LEFT JOIN clubs_agendaitem a3 ON a3.meeting_id = m.id AND a3.position = 3
                    LEFT JOIN LATERAL (SELECT cm.user_id FROM clubs_clubmembership cm
                        WHERE cm.club_id = m.club_id AND cm.status = 'active' ORDER BY cm.id
                        OFFSET m.rn % 5 LIMIT 1) owner ON k = 2
                    WHERE m.status = 'held'
                ) x""",
        ),
    ]


def clubs_analyze_step() -> tuple[str, str]:
    """After the clubs alone: fresh statistics for the tables they filled (the full run analyzes all)."""
    tables = [
        "clubs_club",
        "clubs_clubmembership",
        "clubs_meeting",
        "clubs_agendaitem",
        "clubs_invitation",
        "clubs_meetingvote",
        "clubs_meetingvote_topics",
        "clubs_ballot",
        "clubs_ballotpoints",
        "clubs_voteresult",
        "clubs_minutes",
        "clubs_actionitem",
        "roadmap_roadmapitem",
    ]
    return ("analyze clubs", "ANALYZE " + ", ".join(tables))
