"""Generate the benchmark data set (DESIGN.md §6) with set-based SQL: 1M requests load in minutes.

    python manage.py generate_dataset --feedback 1000000 --organizations 20000 --users 200000 \
        --votes-per-item 5 --comments-per-item 1 --roadmap-items 5000 --releases 100 --linked-percent 20 \
        --clubs 200 --meetings 5000

    python manage.py generate_dataset --only-clubs --clubs 200 --meetings 5000   # clubs on an existing data set
    python manage.py generate_dataset --only-reporting --subscriptions 1000      # reporting on an existing one

Run it on a dedicated database (DATABASE_URL=postgres://…/retour_bench): it adds rows, never deletes.
"""

import itertools
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from bench.dataset_clubs import clubs_analyze_step, clubs_steps
from bench.dataset_reporting import due_instant, reporting_analyze_step, reporting_steps
from bench.dataset_roadmap import roadmap_steps
from feedback.services import lexicon_refresh, status_counts_compact

EN_WORDS = [
    "export",
    "dashboard",
    "report",
    "invoice",
    "billing",
    "mobile",
    "offline",
    "sync",
    "calendar",
    "planning",
    "user",
    "permissions",
    "audit",
    "search",
    "filter",
    "notification",
    "email",
    "webhook",
    "integration",
    "api",
    "import",
    "csv",
    "pdf",
    "excel",
    "dark",
    "mode",
    "theme",
    "login",
    "password",
    "sso",
    "customer",
    "contract",
    "workflow",
    "approval",
    "comment",
    "attachment",
    "chart",
    "graph",
    "performance",
    "slow",
    "timeout",
    "bulk",
]
FR_WORDS = [
    "exporter",
    "tableau",
    "bord",
    "rapport",
    "facture",
    "facturation",
    "mobile",
    "hors-ligne",
    "synchronisation",
    "calendrier",
    "planification",
    "utilisateur",
    "droits",
    "audit",
    "recherche",
    "filtre",
    "notification",
    "courriel",
    "intégration",
    "équipe",
    "équipes",
    "importer",
    "modèle",
    "sombre",
    "thème",
    "connexion",
    "mot",
    "passe",
    "client",
    "contrat",
    "validation",
    "commentaire",
    "pièce",
    "jointe",
    "graphique",
    "lenteur",
    "délai",
    "masse",
    "périodes",
    "données",
    "sécurité",
    "réunion",
]


# A request's status slot (0-7), hashed so that it is independent of its company's segment (g % 4).
STATUS_SLOT = "((g::bigint * 104729) % 10007 % 8)"


def _array(words: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + w.replace("'", "''") + "'" for w in words) + "]"


EN_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "si", "pe", "da", "zu", "fi", "gra", "tor", "ben"]
FR_SYLLABLES = ["ké", "lo", "mè", "ne", "ru", "té", "vo", "si", "pé", "da", "zou", "fi", "gra", "tor", "bien"]


def _vocabulary(real: list[str], syllables: list[str], size: int) -> list[str]:
    """The real words first (the frequent head), then made-up words up to `size` (the long tail)."""
    made_up = ("".join(parts) for parts in itertools.product(syllables, repeat=3))
    return real + list(itertools.islice(made_up, max(0, size - len(real))))


def _pick(array_sql: str, length: int, prime: int, *, skewed: bool, var: str = "g") -> str:
    """SQL choosing a word for row `var`: uniform over a tiny vocabulary, or Zipf-like over a large one."""
    if not skewed:
        return f"({array_sql})[1 + ({var} * {prime}) % {length}]"
    return f"({array_sql})[1 + floor({length} * power((({var}::bigint * {prime}) % 9973) / 9973.0, 3))::int]"


class Command(BaseCommand):
    help = "Generate a large synthetic data set for the benchmark (set-based SQL)."

    def add_arguments(self, parser):
        parser.add_argument("--feedback", type=int, default=1_000_000)
        parser.add_argument("--organizations", type=int, default=20_000)
        parser.add_argument("--users", type=int, default=200_000)
        parser.add_argument("--votes-per-item", type=int, default=5)
        parser.add_argument("--comments-per-item", type=int, default=1)
        parser.add_argument(
            "--roadmap-items",
            type=int,
            default=None,
            help="Roadmap items (default: one per 200 requests, 5,000 at full size).",
        )
        parser.add_argument(
            "--releases", type=int, default=None, help="Published releases (default: one per 50 roadmap items)."
        )
        parser.add_argument("--linked-percent", type=int, default=20, help="Share of the requests linked to an item.")
        parser.add_argument(
            "--clubs", type=int, default=None, help="User clubs (default: one per 5,000 requests, 200 at full size)."
        )
        parser.add_argument(
            "--meetings", type=int, default=None, help="Club meetings (default: 25 per club, 5,000 at full size)."
        )
        parser.add_argument(
            "--only-clubs",
            action="store_true",
            help="Only add the clubs (over the client users, requests and roadmap items already there).",
        )
        parser.add_argument(
            "--subscriptions",
            type=int,
            default=None,
            help="Digest subscriptions, all due at the same instant (default: one per 1,000 requests, 1,000 at full size).",
        )
        parser.add_argument(
            "--only-reporting",
            action="store_true",
            help="Only the reporting part: realistic history (areas, first responses, status events, vote times) "
            "and the digest subscriptions, over the data set already there.",
        )
        parser.add_argument(
            "--vocabulary",
            type=int,
            default=0,
            help="Words per language (0: the 42 real words, uniformly; e.g. 3000: a Zipf-like long tail).",
        )

    def handle(self, *args, **opts):
        n_org, n_user, n_fb = opts["organizations"], opts["users"], opts["feedback"]
        n_items = opts["roadmap_items"] if opts["roadmap_items"] is not None else max(1, n_fb // 200)
        n_releases = opts["releases"] if opts["releases"] is not None else max(1, n_items // 50)
        n_clubs = opts["clubs"] if opts["clubs"] is not None else max(2, n_fb // 5000)
        n_meetings = opts["meetings"] if opts["meetings"] is not None else 25 * n_clubs
        club_steps = clubs_steps(n_clubs=n_clubs, n_meetings=n_meetings, today=timezone.localdate())
        n_subscriptions = opts["subscriptions"] if opts["subscriptions"] is not None else max(10, n_fb // 1000)
        report_steps = reporting_steps(n_subscriptions=n_subscriptions, due=due_instant(timezone.now()))
        if opts["only_clubs"]:
            self._run([*club_steps, clubs_analyze_step()])
            return
        if opts["only_reporting"]:
            self._run([*report_steps, reporting_analyze_step()])
            return
        skewed = opts["vocabulary"] > 0
        en_words = _vocabulary(EN_WORDS, EN_SYLLABLES, opts["vocabulary"]) if skewed else EN_WORDS
        fr_words = _vocabulary(FR_WORDS, FR_SYLLABLES, opts["vocabulary"]) if skewed else FR_WORDS
        en, fr = _array(en_words), _array(fr_words)

        def word(language: str, prime: int, var: str = "g") -> str:
            words = fr_words if language == "fr" else en_words
            return _pick(fr if language == "fr" else en, len(words), prime, skewed=skewed, var=var)

        steps = [
            (
                "organizations",
                f"""INSERT INTO accounts_organization (name, slug, email_domains, segment, tier, annual_contract_value,
                        renewal_date, created_at)
                    SELECT 'Bench company ' || g, 'bench-' || g, ARRAY['bench' || g || '.example'],
                        (ARRAY['enterprise','mid_market','small_business','public_sector'])[1 + g % 4],
                        (ARRAY['standard','premium','strategic'])[1 + g % 3],
                        ((g * 7919) % 200000 + 1000)::numeric, current_date + (g % 400), now()
                    FROM generate_series(1, {n_org}) g""",
            ),
            (
                "users",
                f"""INSERT INTO accounts_user (password, email, name, language, timezone, staff_role, is_staff,
                        is_active, is_superuser, date_joined)
                    SELECT '!', 'bench' || g || '@bench.example', 'Bench user ' || g,
                        CASE WHEN g % 3 = 0 THEN 'fr' ELSE 'en' END, 'Europe/Paris', '', false, true, false, now()
                    FROM generate_series(1, {n_user}) g""",
            ),
            (
                "bench maps",
                """CREATE TEMP TABLE bench_org AS SELECT id, row_number() OVER (ORDER BY id) rn
                       FROM accounts_organization WHERE slug LIKE 'bench-%';
                   CREATE TEMP TABLE bench_user AS SELECT id, row_number() OVER (ORDER BY id) rn
                       FROM accounts_user WHERE email LIKE '%@bench.example';""",
            ),
            (
                "memberships",
                f"""INSERT INTO accounts_membership (user_id, organization_id, role, created_at)
                    SELECT u.id, o.id, CASE WHEN u.rn % 10 = 0 THEN 'admin' ELSE 'member' END, now()
                    FROM bench_user u JOIN bench_org o ON o.rn = 1 + (u.rn % {n_org})
                    ON CONFLICT DO NOTHING;
                    CREATE TEMP TABLE bench_client AS
                        SELECT m.user_id id, m.organization_id org_id, row_number() OVER (ORDER BY m.user_id) rn
                        FROM accounts_membership m JOIN bench_user u ON u.id = m.user_id;
                    CREATE INDEX ON bench_client (rn);""",
            ),
            (
                "feedback",
                f"""INSERT INTO feedback_feedback (title, description, kind, status, visibility, language, importance,
                        source, organization_id, author_id, vote_count, organization_count, revenue, hot_score,
                        created_at, updated_at, first_response_at)
                    SELECT
                        CASE WHEN g % 3 = 0
                          THEN initcap({word("fr", 7)}) || ' ' || {word("fr", 13)}
                               || ' ' || {word("fr", 17)} || ' ' || {word("fr", 29)}
                          ELSE initcap({word("en", 7)}) || ' ' || {word("en", 13)}
                               || ' ' || {word("en", 17)} || ' ' || {word("en", 29)}
                        END || ' #' || g,
                        CASE WHEN g % 3 = 0
                          THEN 'Nous aimerions ' || {word("fr", 31)} || ' et ' || {word("fr", 37)} || ' ' || {word("fr", 41)} || '.'
                          ELSE 'We would like ' || {word("en", 31)} || ' and ' || {word("en", 37)} || ' ' || {word("en", 41)} || '.'
                        END,
                        (ARRAY['idea','idea','idea','problem','question'])[1 + g % 5],
                        (ARRAY['new','new','under_review','needs_info','planned','in_progress','shipped','declined'])[1 + {STATUS_SLOT}],
                        CASE WHEN g % 5 = 0 THEN 'public' ELSE 'private' END,
                        CASE WHEN g % 3 = 0 THEN 'fr' ELSE 'en' END,
                        (ARRAY['nice_to_have','important','critical'])[1 + g % 3],
                        (ARRAY['portal','portal','portal','staff','api','email'])[1 + g % 6],
                        c.org_id, c.id, 0, 0, 0, 0,
                        now() - ((g % 730) || ' days')::interval - ((g::bigint * 7919 % 86400) || ' seconds')::interval,
                        now() - ((g % 365) || ' days')::interval,
                        CASE WHEN {STATUS_SLOT} < 2 THEN NULL ELSE now() - ((g % 700) || ' days')::interval END
                    FROM generate_series(1, {n_fb}) g
                    JOIN bench_client c ON c.rn = 1 + ((g::bigint * 7919) % {n_user})""",
            ),
            (
                "votes",
                f"""INSERT INTO feedback_vote (feedback_id, user_id, organization_id, importance, provenance, created_at)
                    SELECT f.id, c.id, c.org_id, (ARRAY['nice_to_have','important','critical'])[1 + (f.id + k) % 3],
                        CASE WHEN (f.id * 7 + k) % 20 = 0 THEN 'meeting'
                             WHEN (f.id * 7 + k) % 20 < 3 THEN 'on_behalf' ELSE 'direct' END,
                        f.created_at
                    FROM feedback_feedback f
                    CROSS JOIN generate_series(0, {opts["votes_per_item"] - 1}) k
                    JOIN bench_client c ON c.rn = 1 + ((f.id::bigint * 104729 + k * 15485863) % {n_user})
                    WHERE f.title LIKE '%#%'
                    ON CONFLICT DO NOTHING""",
            ),
            (
                "comments",
                f"""INSERT INTO feedback_comment (feedback_id, author_id, body, is_internal, created_at)
                    SELECT f.id, f.author_id, 'Any news on this? We still need it.', (f.id + k) % 5 = 0, f.created_at
                    FROM feedback_feedback f CROSS JOIN generate_series(1, {opts["comments_per_item"]}) k
                    WHERE f.title LIKE '%#%'""",
            ),
            (
                "counters",
                """UPDATE feedback_feedback f SET vote_count = s.n, organization_count = s.orgs, revenue = s.revenue,
                     hot_score = log(greatest(s.n, 1)) + extract(epoch from f.created_at) / 604800
                   FROM (
                     SELECT d.feedback_id, sum(d.n) n, count(*) orgs, sum(o.annual_contract_value) revenue
                     FROM (SELECT feedback_id, organization_id, count(*) n FROM feedback_vote GROUP BY 1, 2) d
                     JOIN accounts_organization o ON o.id = d.organization_id GROUP BY d.feedback_id
                   ) s WHERE s.feedback_id = f.id""",
            ),
            (
                "search vectors",
                """UPDATE feedback_feedback SET search_vector =
                     setweight(to_tsvector(CASE language WHEN 'fr' THEN 'retour_fr'::regconfig ELSE 'retour_en'::regconfig END, title), 'A')
                     || setweight(to_tsvector(CASE language WHEN 'fr' THEN 'retour_fr'::regconfig ELSE 'retour_en'::regconfig END, description), 'B')
                   WHERE search_vector IS NULL""",
            ),
            (
                "request map",
                """CREATE TEMP TABLE bench_fb AS SELECT id, created_at, row_number() OVER (ORDER BY id) rn
                       FROM feedback_feedback WHERE title LIKE '%#%';
                   CREATE INDEX ON bench_fb (rn);""",
            ),
            *roadmap_steps(
                n_items=n_items,
                n_releases=n_releases,
                linked_percent=opts["linked_percent"],
                word=word,
                today=timezone.localdate(),
            ),
            *club_steps,
            *report_steps,
            (
                "tags, assignees",
                # Every request: one or two tags and an assignee among the staff (areas: reporting steps).
                """CREATE TEMP TABLE bench_tag AS SELECT id, row_number() OVER (ORDER BY id) rn FROM feedback_tag;
                   CREATE TEMP TABLE bench_staff AS SELECT id, row_number() OVER (ORDER BY id) rn FROM accounts_user
                       WHERE staff_role IN ('product_owner', 'contributor');
                   INSERT INTO feedback_feedback_tags (feedback_id, tag_id)
                   SELECT f.id, t.id FROM bench_fb f CROSS JOIN generate_series(0, 1) k
                   JOIN bench_tag t ON t.rn = 1 + (f.id * 31 + k * 7) % (SELECT count(*) FROM bench_tag)
                   WHERE k = 0 OR f.id % 3 = 0
                   ON CONFLICT DO NOTHING;
                   UPDATE feedback_feedback f SET assignee_id = s.id FROM bench_fb b
                   JOIN bench_staff s ON s.rn = 1 + (b.id * 17) % (SELECT count(*) FROM bench_staff)
                   WHERE f.id = b.id AND f.assignee_id IS NULL""",
            ),
        ]
        self._run(steps)

    def _run(self, steps: list[tuple[str, str]]) -> None:
        for name, sql in steps:
            started = time.monotonic()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
                count = cursor.rowcount
            self.stdout.write(f"{name:<16} {count:>10} rows  {time.monotonic() - started:7.1f} s")
        compacted = status_counts_compact()  # the rollup's triggers wrote a row per generated change
        self.stdout.write(f"{'status counts':<16} {compacted:>10} rows")
        self.stdout.write(f"{'vocabulary':<16} {lexicon_refresh():>10} rows")
        # Fresh rows have no visibility map: until VACUUM, index-only scans read the heap (3-10x slower).
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")  # tests run in one
        self.stdout.write(f"{'vacuum analyze':<16} {'':>10}       {time.monotonic() - started:7.1f} s")
