"""The feedback benchmark cases (inbox, counts, search, duplicates, detail, portal), each with the
proof that it measured what it claims: the URL's filters pass the inbox's own form (a rejected
filter fails the run instead of timing the unfiltered inbox), the case prints how many rows its
filters match, and the page shows the first rows the same filters select straight from the table.
"""

from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

from django.db import connection
from django.db.models import Count
from django.http import QueryDict
from django.test import Client

from accounts.models import Organization, User
from bench.roadmap_cases import ProofFailed, in_order
from feedback import selectors
from feedback.forms import InboxFilterForm
from feedback.models import Feedback, Tag


def _filters(url: str) -> tuple[dict, str]:
    params = QueryDict(urlsplit(url).query, mutable=True)
    form = InboxFilterForm(params)
    if not form.is_valid():
        raise ProofFailed(f"filter rejected by the inbox: {dict(form.errors)}")
    return form.cleaned_data, form.cleaned_data.get("sort") or "newest"


def inbox_proof(url: str) -> Callable:
    """The filters are accepted; the count of matching rows; the page's first rows in order."""
    filters, sort = _filters(url)
    queryset = selectors.feedback_inbox(filters=filters, sort=sort)
    matched = queryset.order_by().count()
    if not matched:
        raise ProofFailed(f"no rows match {url}: the case would time an empty page")
    ordered = in_order(list(queryset.values_list("title", flat=True)[:5]))

    def proof(response) -> str:
        return f"{matched:,} rows match; {ordered(response)}"

    return proof


def counts_proof(url: str) -> Callable:
    filters, _sort = _filters(url)
    filters = {k: v for k, v in filters.items() if k != "status"}
    exact = selectors.feedback_status_counts_exact(filters=filters)
    if exact is None:
        raise ProofFailed("these filters are not answered from the rollup")
    truth = dict(
        selectors._inbox_filtered(filters={**filters, "status": list(Feedback.Status.values)})
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    if any(exact[status] != truth.get(status, 0) for status in exact):
        raise ProofFailed(f"rollup {exact} differs from a count of the rows {truth}")

    def proof(response) -> str:
        html = response.content.decode()
        shown = [f">{n}<" in html.replace("&nbsp;", "") or f"{n:,}" in html for n in exact.values()]
        if not all(shown):
            raise ProofFailed(f"the counts shown differ from {exact}")
        return f"exact: {sum(exact.values()):,} rows over {sum(1 for n in exact.values() if n)} statuses, equal to COUNT(*)"

    return proof


def similar_proof(title: str, user: User) -> Callable:
    def proof(response) -> str:
        found = selectors.feedback_similar(user=user, title=title)
        if not found:
            raise ProofFailed(f"no suggestion for {title!r}")
        return f"{len(found)} suggestions for {title!r}, the first {found[0].title!r}"

    return proof


def _words() -> dict[str, str]:
    """Search words of each language chosen by how many requests hold them (the vocabulary's counts
    of the generator's own words, stemmed the way each language's search configuration stems them)."""
    from bench.management.commands.generate_dataset import EN_SYLLABLES, EN_WORDS, FR_SYLLABLES, FR_WORDS, _vocabulary

    picked = {}
    for language, config, words in (
        ("English", "retour_en", _vocabulary(EN_WORDS, EN_SYLLABLES, 3000)),
        ("French", "retour_fr", _vocabulary(FR_WORDS, FR_SYLLABLES, 3000)),
    ):
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT w, l.ndoc FROM unnest(%s::text[]) AS w
                   JOIN feedback_lexeme l ON l.word = (tsvector_to_array(to_tsvector(%s::regconfig, w)))[1]
                   WHERE w ~ '^[[:alpha:]]{5,}$'""",
                [words, config],
            )
            counted = sorted(cursor.fetchall(), key=lambda row: row[1])
        if not counted:
            continue
        for label, target in (("frequent", 100_000), ("mid-frequency", 5_000), ("rare", 20)):
            word, _ndoc = next((row for row in counted if row[1] >= target), counted[-1])
            picked[f"{language}, {label} word"] = word
    picked["absent word"] = "zqxvwk"
    return picked


def feedback_cases(*, staff_client: Client, portal_client: Client, client_user: User, rng) -> list[tuple]:
    """(area, label, client, url maker, proof) for the benchmark's loop."""
    org = (
        Organization.objects.filter(slug__startswith="bench-")
        .annotate(n=Count("feedback"))
        .order_by("-n", "pk")
        .first()
    )
    area = Feedback.objects.values_list("product_area_id", flat=True).exclude(product_area=None).first()
    assignee = Feedback.objects.values_list("assignee_id", flat=True).exclude(assignee=None).first()
    tag = Tag.objects.order_by("pk").first()
    max_id = Feedback.objects.order_by("-pk").values_list("pk", flat=True).first()
    inbox = [
        ("default (new + under review, newest)", "/triage/?status=new&status=under_review"),
        ("sorted by votes", "/triage/?status=new&status=under_review&sort=votes"),
        ("sorted by revenue", "/triage/?status=new&sort=revenue"),
        ("organization + oldest waiting", f"/triage/?organization={org.slug if org else ''}&sort=oldest_waiting"),
        ("segment + kind + language", "/triage/?segment=enterprise&kind=problem&language=fr&sort=votes"),
        ("waiting > 30 days, not snoozed", "/triage/?waiting_days=30&snoozed=no&sort=revenue"),
        ("product area, planned + shipped", f"/triage/?product_area={area}&status=planned&status=shipped"),
        (
            "assignee + tag, by organizations",
            f"/triage/?assignee={assignee}&tag={tag.pk if tag else ''}&sort=organizations",
        ),
        ("needs info, enterprise, by votes", "/triage/?status=needs_info&segment=enterprise&sort=votes"),
    ]
    cases = [("inbox", label, staff_client, (lambda u=url: u), inbox_proof(url)) for label, url in inbox]
    counts = [
        ("counts per status, everything", "/triage/counts/"),
        ("counts per status, segment", "/triage/counts/?segment=enterprise"),
        (
            "counts, area + segment + assignee",
            f"/triage/counts/?product_area={area}&segment=enterprise&assignee={assignee}",
        ),
        ("counts per status, organization", f"/triage/counts/?organization={org.slug if org else ''}"),
    ]
    cases += [("counts", label, staff_client, (lambda u=url: u), counts_proof(url)) for label, url in counts]
    for label, word in _words().items():
        for status_label, status in (("", ""), (", status new", "&status=new")):
            for sort_label, sort in ((", newest", ""), (", most votes", "&sort=votes")):
                url = f"/triage/?{urlencode({'q': word})}{status}{sort}"
                if word == "zqxvwk":
                    proof = _absent_proof(url)
                else:
                    proof = inbox_proof(url)
                cases.append(
                    ("search", f"{label} {word!r}{status_label}{sort_label}", staff_client, (lambda u=url: u), proof)
                )
    staff = User.objects.filter(staff_role="product_owner").order_by("pk").first()
    typed = ["export dashboard pdf", "tableau de bord", "dark mode theme", "invoice billing sync"]
    cases.append(
        (
            "similar",
            "client typing a title",
            portal_client,
            lambda: "/portal/feedback/similar/?" + urlencode({"title": rng.choice(typed)}),
            similar_proof(typed[0], client_user),
        )
    )
    cases += [
        (
            "similar",
            "triage duplicates panel (htmx)",
            staff_client,
            lambda: f"/triage/feedback/{rng.randint(1, max_id)}/duplicates/",
            None,
        ),
        (
            "detail",
            "triage detail, random request",
            staff_client,
            lambda: f"/triage/feedback/{rng.randint(1, max_id)}/",
            None,
        ),
        ("portal", "client portal home", portal_client, lambda: "/portal/", None),
    ]
    del staff
    return cases


def _absent_proof(url: str) -> Callable:
    _filters(url)
    q = parse_qs(urlsplit(url).query)["q"][0]

    def proof(response) -> str:
        if selectors.feedback_inbox(filters={"q": q}).exists():
            raise ProofFailed(f"{q!r} is not absent")
        return "0 rows match (absent word)"

    return proof
