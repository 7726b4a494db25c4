"""The staff inbox through HTTP: filter chips, companies by name, sortable headers, saved views renamed,
the searches behind the autocompletes, actions posted with htmx, and what each page costs."""

from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from feedback.models import Feedback, ProductArea, SavedView, Tag
from tests.factories import OrganizationFactory, feedback_for

HTMX = {"HTTP_HX_REQUEST": "true"}


def _inbox(client, query: str = ""):
    return client.get(reverse("feedback:triage_inbox") + (f"?{query}" if query else ""))


def _titles(response) -> set[str]:
    return {item.title for item in response.context["page"]}


# --- Filters as chips ------------------------------------------------------------------------------


def test_each_active_filter_is_a_chip_whose_link_drops_it(login, product_owner, uneven):
    page = _inbox(login(product_owner), "q=wish&status=new&status=under_review&sort=votes&kind=")
    chips = {(chip["name"], str(chip["value"])): parse_qs(chip["query"]) for chip in page.context["chips"]}
    assert set(chips) == {("q", "wish"), ("status", "New"), ("status", "Under review")}  # no chip for sort or blanks
    assert chips[("q", "wish")] == {"status": ["new", "under_review"], "sort": ["votes"]}
    assert chips[("status", "New")] == {"q": ["wish"], "status": ["under_review"], "sort": ["votes"]}
    html = page.content.decode()
    assert 'data-testid="filter-chip"' in html and "Remove the filter Search: wish" in html


def test_removing_the_last_chip_lists_every_status_rather_than_the_default(login, product_owner, uneven):
    client = login(product_owner)
    planned = uneven["acme"][0]
    Feedback.objects.filter(pk=planned.pk).update(status=Feedback.Status.PLANNED)
    default = _inbox(client)
    assert planned.title not in _titles(default)  # the default: what needs a decision
    only_chip = next(chip for chip in _inbox(client, "q=Acme").context["chips"])
    assert only_chip["query"] == "status="
    everything = _inbox(client, only_chip["query"])
    assert planned.title in _titles(everything) and len(everything.context["page"]) == 7
    assert everything.context["chips"] == []


def test_statuses_are_toggle_chips_not_a_multiple_select(login, product_owner, uneven):
    html = _inbox(login(product_owner), "status=new&status=planned").content.decode()
    assert '<select name="status"' not in html and 'name="status" multiple' not in html
    assert 'type="checkbox" name="status" value="new" checked' in html
    assert 'type="checkbox" name="status" value="planned" checked' in html
    assert 'type="checkbox" name="status" value="declined" data-testid' in html


def test_organization_by_name_any_case_or_by_identifier(login, product_owner, uneven, org_b):
    client = login(product_owner)
    by_name = _inbox(client, "organization=globex+&status=")
    assert _titles(by_name) == {"Globex private wish", "Globex public idea"}
    assert [str(chip["value"]) for chip in by_name.context["chips"]] == ["Globex"]
    by_slug = _inbox(client, f"organization={org_b.slug}&status=")
    assert _titles(by_slug) == {"Globex private wish", "Globex public idea"}


def test_an_unknown_organization_says_so_instead_of_listing_everything(login, product_owner, contributor, uneven):
    response = _inbox(login(product_owner), "organization=Initech")
    assert response.context["page"] is None
    assert response.context["form"].errors["organization"] == ["No organization named “Initech”."]
    html = response.content.decode()
    assert 'data-testid="organization-error"' in html and "Acme request number" not in html
    french = _inbox(login(contributor), "organization=Initech")  # the contributor reads French
    assert french.context["form"].errors["organization"] == ["Aucune organisation nommée « Initech »."]


def test_two_organizations_of_the_same_name_ask_for_the_identifier(login, product_owner, uneven):
    OrganizationFactory(name="Globex", slug="globex-emea")
    response = _inbox(login(product_owner), "organization=Globex")
    [error] = response.context["form"].errors["organization"]
    assert "globex-emea" in error and response.context["page"] is None
    assert _titles(_inbox(login(product_owner), "organization=globex&status=")) == {
        "Globex private wish",
        "Globex public idea",
    }


def test_column_headers_sort_and_keep_the_filters(login, product_owner, uneven):
    page = _inbox(login(product_owner), "q=Acme&sort=votes")
    links = page.context["sort_links"]
    assert parse_qs(links["revenue"]["query"]) == {"q": ["Acme"], "sort": ["revenue"]}
    assert links["votes"]["current"] and not links["revenue"]["current"]
    assert parse_qs(links["created"]["query"])["sort"] == ["newest"]
    assert 'aria-sort="descending"><a href="?q=Acme&amp;sort=votes"' in page.content.decode()
    oldest = _inbox(login(product_owner), "status=&sort=oldest_waiting")
    assert oldest.context["page"].object_list[0].title == "Acme request number 0"
    assert parse_qs(oldest.context["sort_links"]["created"]["query"])["sort"] == ["newest"]


def test_filter_menus_are_the_fetched_choices_and_filter_without_more_queries(login, product_owner, uneven):
    area = ProductArea.objects.create(name="Billing", slug="billing")
    tag = Tag.objects.create(name="churn-risk")
    item = uneven["acme"][1]
    Feedback.objects.filter(pk=item.pk).update(product_area=area, assignee=product_owner)
    item.tags.add(tag)
    client = login(product_owner)
    query = f"product_area={area.pk}&tag={tag.pk}&assignee={product_owner.pk}&status="
    response = _inbox(client, query)
    assert _titles(response) == {item.title}
    assert {str(chip["value"]) for chip in response.context["chips"]} == {"Billing", "churn-risk", "Paula Owner"}
    wrong = _inbox(client, "tag=999999")
    assert "tag" in wrong.context["form"].errors and wrong.context["page"] is None


# --- What a page costs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=&sort=votes",
        "status=new&sort=revenue",
        "status=&sort=organizations&unassigned=on",
        "status=&sort=oldest_waiting&kind=idea&source=portal&language=en&snoozed=no",
        "q=request&sort=votes",
        "organization=acme&segment=enterprise&waiting_days=1&created_from=2020-01-01",
        "organization=acme&product_area=AREA&tag=TAG&assignee=ME&sort=revenue",
    ],
)
def test_inbox_query_count_is_pinned_for_every_filter_and_sort(
    login, product_owner, uneven, member_a, query, django_assert_max_num_queries
):
    area = ProductArea.objects.create(name="Billing", slug="billing")
    tag = Tag.objects.create(name="churn-risk")
    query = query.replace("AREA", str(area.pk)).replace("TAG", str(tag.pk)).replace("ME", str(product_owner.pk))
    client = login(product_owner)
    _inbox(client, query)
    with CaptureQueriesContext(connection) as few:
        _inbox(client, query)
    for i in range(20):
        feedback_for(author=member_a, title=f"Bulk generated request {i}")
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as many:
        response = _inbox(client, query)
    assert response.status_code == 200 and not response.context["form"].errors
    assert len(many) == len(few)


def test_the_inbox_reads_only_the_columns_it_shows(login, product_owner, uneven):
    client = login(product_owner)
    with CaptureQueriesContext(connection) as captured:
        _inbox(client)
    rows = [q["sql"] for q in captured if 'FROM "feedback_feedback"' in q["sql"] and "LIMIT 51" in q["sql"]]
    assert len(rows) == 1
    assert '"search_vector"' not in rows[0] and '"description"' not in rows[0] and '"password"' not in rows[0]


def test_rows_are_one_loop_and_the_bulk_bar_has_no_django_widgets(login, product_owner, uneven):
    page = _inbox(login(product_owner))
    used = [template.name for template in page.templates]
    assert used.count("feedback/_inbox_rows.html") == 1
    assert not any(name.startswith("django/forms/") for name in used)  # every menu is a plain loop
    assert "feedback/_status.html" not in used


# --- Saved views -----------------------------------------------------------------------------------


def test_saved_views_are_always_shown_and_renamable(login, product_owner, contributor, uneven):
    client = login(product_owner)
    client.post(reverse("feedback:triage_inbox") + "?sort=votes&q=", {"save_view": "1", "view_name": "Top voted"})
    view = SavedView.objects.get(user=product_owner)
    assert view.query == "sort=votes"  # the empty fields are not saved
    page = _inbox(client, "sort=votes")
    assert page.context["current_view"] == view
    assert reverse("feedback:triage_saved_view_rename", args=[view.pk]) in page.content.decode()

    url = reverse("feedback:triage_saved_view_rename", args=[view.pk])
    response = client.post(url, {"name": "  Most   voted "})
    assert response.status_code == 302 and response.url.endswith("?sort=votes")
    view.refresh_from_db()
    assert view.name == "Most voted"

    SavedView.objects.create(user=product_owner, name="Mine", query="assignee=1")
    refused = client.post(url, {"name": "Mine"}, follow=True)
    assert "You already have a view named “Mine”." in refused.content.decode()
    empty = client.post(url, {"name": "  "}, follow=True)
    assert "Give the view a name." in empty.content.decode()
    view.refresh_from_db()
    assert view.name == "Most voted"

    assert login(contributor).post(url, {"name": "Stolen"}).status_code == 404  # not theirs: not found
    view.refresh_from_db()
    assert view.name == "Most voted"


def test_saved_view_rename_is_404_for_clients(login, member_a, product_owner):
    view = SavedView.objects.create(user=product_owner, name="Top", query="sort=votes")
    url = reverse("feedback:triage_saved_view_rename", args=[view.pk])
    assert login(member_a).post(url, {"name": "Mine now"}).status_code == 404
    assert login(product_owner).get(url).status_code == 405


# --- The searches behind the autocompletes ------------------------------------------------------------


def test_organization_search_by_the_start_of_the_name_for_staff_only(login, contributor, member_a, org_a, org_b):
    for i in range(12):
        OrganizationFactory(name=f"Globo {i:02d}", slug=f"globo-{i}")
    url = reverse("feedback:triage_organization_search")
    client = login(contributor)
    found = client.get(url, {"q": "glob"}).json()["results"]
    assert len(found) == 10 and found[0] == {"name": "Globex", "slug": "globex"}
    assert client.get(url, {"q": "cme"}).json()["results"] == []  # the start of the name, not any part
    assert client.get(url, {"q": ""}).json()["results"] == []
    assert login(member_a).get(url, {"q": "glob"}).status_code == 404
    client.logout()
    assert client.get(url, {"q": "glob"}).status_code == 302


def test_request_search_for_the_merge_picker(login, product_owner, member_a, uneven):
    url = reverse("feedback:triage_feedback_search")
    client = login(product_owner)
    wish = uneven["globex"][0]
    by_words = client.get(url, {"q": "globex wish"}).json()["results"]
    assert [r["id"] for r in by_words] == [wish.pk]
    assert by_words[0] == {"id": wish.pk, "title": "Globex private wish", "status": "New", "organization": "Globex"}
    assert client.get(url, {"q": f"#{wish.pk}"}).json()["results"][0]["id"] == wish.pk
    assert client.get(url, {"q": f"#{wish.pk}", "exclude": wish.pk}).json()["results"] == []
    assert client.get(url, {"q": "a"}).json()["results"] == []
    assert login(member_a).get(url, {"q": "wish"}).status_code == 404


# --- Actions posted with htmx --------------------------------------------------------------------------


def test_htmx_bulk_decline_answers_the_changed_rows_not_a_redirect(login, product_owner, uneven):
    first, second = uneven["acme"][0], uneven["acme"][1]
    client = login(product_owner)
    response = client.post(
        reverse("feedback:triage_bulk"),
        {
            "bulk-ids": [str(first.pk), str(second.pk)],  # the rows' checkboxes post one value each
            "bulk-action": "status",
            "bulk-status": "declined",
            "bulk-public_message": "Not this year.",
            "next": "/triage/",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert response.templates[0].name == "feedback/_inbox_update.html"
    html = response.content.decode()
    assert "2 requests updated." in html and "data-updated-rows" in html
    assert html.count('data-testid="inbox-row"') == 2 and html.count('data-testid="row-status">Declined<') == 2
    first.refresh_from_db()
    assert first.status == Feedback.Status.DECLINED
    assert not list(client.get(reverse("feedback:triage_inbox")).context["messages"])  # nothing left for later


def test_htmx_decline_without_a_reason_is_refused_with_a_clear_error(login, product_owner, contributor, uneven):
    item = uneven["acme"][0]
    data = {"bulk-ids": str(item.pk), "bulk-action": "status", "bulk-status": "declined", "next": "/triage/"}
    response = login(product_owner).post(reverse("feedback:triage_bulk"), data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "message-error" in html
    assert "Tell the clients why this request is declined." in html and "data-updated-rows" not in html
    item.refresh_from_db()
    assert item.status == Feedback.Status.NEW
    refused = (
        login(contributor)
        .post(reverse("feedback:triage_bulk"), {**data, "bulk-public_message": "Non."}, **HTMX)
        .content.decode()
    )
    assert "message-error" in refused and "data-updated-rows" not in refused  # the policy refuses a contributor
    item.refresh_from_db()
    assert item.status == Feedback.Status.NEW


def test_bulk_without_js_still_redirects_with_a_message(login, product_owner, uneven):
    item = uneven["acme"][0]
    client = login(product_owner)
    response = client.post(
        reverse("feedback:triage_bulk"),
        {"bulk-ids": str(item.pk), "bulk-action": "status", "bulk-status": "planned", "next": "/triage/?sort=votes"},
    )
    assert response.status_code == 302 and response.url == "/triage/?sort=votes"
    assert [str(m) for m in client.get(response.url).context["messages"]] == ["1 request updated."]


def test_htmx_snooze_from_the_inbox_answers_the_row(login, contributor, uneven):
    item = uneven["acme"][0]
    response = login(contributor).post(
        reverse("feedback:triage_detail", args=[item.pk]),
        {"action": "snooze", "until": "2999-01-01T09:00"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-id="{item.pk}"' in html and "en veille" in html  # "snoozed", in the contributor's French
    item.refresh_from_db()
    assert item.snoozed_until is not None
    past = login(contributor).post(
        reverse("feedback:triage_detail", args=[item.pk]), {"action": "snooze", "until": "2000-01-01T09:00"}, **HTMX
    )
    assert "message-error" in past.content.decode() and "data-updated-rows" not in past.content.decode()


def test_bulk_snooze_is_all_or_nothing(login, contributor, uneven):
    items = uneven["acme"][:2]
    ids = ",".join(str(item.pk) for item in items)
    client = login(contributor)
    refused = client.post(
        reverse("feedback:triage_bulk"),
        {"bulk-ids": ids, "bulk-action": "snooze", "bulk-until": "2000-01-01T09:00"},
        **HTMX,
    )
    assert "message-error" in refused.content.decode()
    assert not Feedback.objects.filter(pk__in=[i.pk for i in items], snoozed_until__isnull=False).exists()
    done = client.post(
        reverse("feedback:triage_bulk"),
        {"bulk-ids": ids, "bulk-action": "snooze", "bulk-until": "2999-01-01T09:00"},
        **HTMX,
    )
    assert "data-updated-rows" in done.content.decode()
    assert Feedback.objects.filter(pk__in=[i.pk for i in items], snoozed_until__isnull=False).count() == 2
    client.post(reverse("feedback:triage_bulk"), {"bulk-ids": ids, "bulk-action": "snooze", "bulk-until": ""}, **HTMX)
    assert not Feedback.objects.filter(pk__in=[i.pk for i in items], snoozed_until__isnull=False).exists()  # woken


def test_the_detail_page_has_the_palette_and_the_merge_picker(login, product_owner, contributor, uneven):
    item = uneven["acme"][0]
    html = login(product_owner).get(reverse("feedback:triage_detail", args=[item.pk])).content.decode()
    assert 'id="palette"' in html and 'data-command="decline"' in html and 'data-run="merge"' in html
    assert f'data-exclude="{item.pk}"' in html
    theirs = login(contributor).get(reverse("feedback:triage_detail", args=[item.pk])).content.decode()
    assert 'data-command="assign-me"' in theirs
    assert 'data-command="decline"' not in theirs and 'data-command="merge"' not in theirs  # not theirs to decide
