"""Portal and triage through HTTP: success, validation, and another company's user gets 404."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import OutboundEmail
from feedback import services
from feedback.models import Attachment, Feedback, FeedbackEvent, Vote
from tests.factories import feedback_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_portal_home_shows_own_company_and_public_only(login, everyone, uneven):
    page = login(everyone["member_a"]).get(reverse("feedback:portal_home"))
    titles = {item.title for item in page.context["page"]}
    assert len(titles) == 6  # 5 of Acme + Globex's public one
    assert "Globex public idea" in titles and "Globex private wish" not in titles
    page_b = login(everyone["member_b"]).get(reverse("feedback:portal_home"))
    assert len(page_b.context["page"]) == 3


def test_portal_home_query_count_does_not_grow(login, everyone, uneven, member_a):
    client = login(member_a)
    client.get(reverse("feedback:portal_home"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("feedback:portal_home"))
    for i in range(15):
        feedback_for(author=member_a, title=f"More requests {i}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("feedback:portal_home"))
    assert len(few) == len(many) <= 10


def test_submit_through_the_portal_with_attachment(login, member_a, org_a):
    response = login(member_a).post(
        reverse("feedback:portal_submit"),
        {
            "title": "Export the planning to Excel",
            "description": "We **need** it <script>alert(1)</script>",
            "kind": "idea",
            "importance": "critical",
            "visibility": "private",
            "attachments": [SimpleUploadedFile("plan.png", PNG, content_type="image/png")],
        },
    )
    feedback = Feedback.objects.get()
    assert response.status_code == 302 and response.url == reverse("feedback:portal_detail", args=[feedback.pk])
    assert (feedback.organization, feedback.author, feedback.source) == (org_a, member_a, "portal")
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/png" and "plan" not in attachment.file.name
    detail = login(member_a).get(response.url)
    assert b"<strong>need</strong>" in detail.content and b"<script>alert" not in detail.content


def test_submit_validation_writes_nothing(login, member_a):
    response = login(member_a).post(
        reverse("feedback:portal_submit"),
        {
            "title": "Hi",
            "kind": "idea",
            "importance": "important",
            "visibility": "private",
            "attachments": [SimpleUploadedFile("evil.png", b"MZ\x90\x00 not an image", content_type="image/png")],
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "title" in errors and "attachments" in errors
    assert not Feedback.objects.exists() and not Attachment.objects.exists()


def test_attachment_is_served_only_to_who_may_see_the_request(login, member_a, admin_a, member_b, client):
    feedback = services.feedback_submit(
        author=member_a,
        organization=member_a.organization,
        title="With a screenshot",
        attachments=[_upload()],
    )
    attachment = feedback.attachments.get()
    assert login(admin_a).get(reverse("feedback:attachment", args=[attachment.pk])).status_code == 200
    assert login(member_b).get(reverse("feedback:attachment", args=[attachment.pk])).status_code == 404


def _upload():
    upload = SimpleUploadedFile("shot.png", PNG, content_type="image/png")
    upload.sniffed_type = "image/png"
    return upload


def test_other_companys_private_request_is_404_everywhere(login, everyone, uneven):
    private_b = uneven["globex"][0]
    client = login(everyone["admin_a"])
    assert client.get(reverse("feedback:portal_detail", args=[private_b.pk])).status_code == 404
    assert (
        client.post(
            reverse("feedback:portal_detail", args=[private_b.pk]), {"action": "vote", "importance": "critical"}
        ).status_code
        == 404
    )
    assert not Vote.objects.filter(feedback=private_b, user=everyone["admin_a"]).exists()
    public_b = uneven["globex"][1]
    assert client.get(reverse("feedback:portal_detail", args=[public_b.pk])).status_code == 200


def test_vote_follow_and_comment_in_the_portal(login, member_b, uneven):
    public_a = uneven["acme"][4]
    client = login(member_b)
    client.post(reverse("feedback:portal_detail", args=[public_a.pk]), {"action": "vote", "importance": "critical"})
    client.post(reverse("feedback:portal_detail", args=[public_a.pk]), {"action": "comment", "body": "Same for us"})
    public_a.refresh_from_db()
    assert public_a.vote_count == 2 and public_a.organization_count == 2
    response = client.post(
        reverse("feedback:portal_detail", args=[public_a.pk]), {"action": "comment", "body": "  "}, follow=True
    )
    assert "Écrivez".encode() in response.content or b"Write something first" in response.content
    client.post(reverse("feedback:portal_detail", args=[public_a.pk]), {"action": "unvote"})
    public_a.refresh_from_db()
    assert public_a.vote_count == 1


def test_internal_notes_never_reach_the_portal(login, member_a, product_owner, uneven):
    feedback = uneven["acme"][0]
    services.comment_add(feedback=feedback, author=product_owner, body="INTERNAL: churn risk", is_internal=True)
    services.comment_add(feedback=feedback, author=product_owner, body="Thanks, we are on it.")
    page = login(member_a).get(reverse("feedback:portal_detail", args=[feedback.pk]))
    assert b"Thanks, we are on it." in page.content
    assert b"INTERNAL" not in page.content and b"churn" not in page.content


def test_similar_requests_while_typing(login, member_b, uneven):
    response = login(member_b).get(reverse("feedback:portal_similar"), {"title": "acme public ideas"})
    assert response.status_code == 200
    assert b"Acme public idea" in response.content
    assert b"Acme request number" not in response.content  # private to Acme


def test_triage_is_404_for_clients(login, member_a, uneven):
    client = login(member_a)
    item = uneven["acme"][0]
    for url in [
        reverse("feedback:triage_inbox"),
        reverse("feedback:triage_detail", args=[item.pk]),
        reverse("feedback:triage_log"),
    ]:
        assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("feedback:triage_bulk"),
            {"bulk-ids": str(item.pk), "bulk-action": "status", "bulk-status": "planned"},
        ).status_code
        == 404
    )
    item.refresh_from_db()
    assert item.status == "new"


def test_inbox_filters_sorts_and_counts(login, product_owner, uneven, org_b):
    client = login(product_owner)
    page = client.get(reverse("feedback:triage_inbox"))
    assert len(page.context["page"]) == 7
    by_org = client.get(reverse("feedback:triage_inbox"), {"organization": org_b.slug, "sort": "votes"})
    assert {f.title for f in by_org.context["page"]} == {"Globex private wish", "Globex public idea"}
    searched = client.get(reverse("feedback:triage_inbox"), {"q": "wish"})
    assert [f.title for f in searched.context["page"]] == ["Globex private wish"]
    counts = client.get(reverse("feedback:triage_counts"))
    assert {v: n for v, _label, n, _qs in counts.context["status_links"]}["new"] == 7
    assert b'data-testid="count-new">7<' in counts.content


def test_inbox_query_count_is_pinned(login, product_owner, uneven, member_a):
    client = login(product_owner)
    client.get(reverse("feedback:triage_inbox"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("feedback:triage_inbox"))
    for i in range(20):
        feedback_for(author=member_a, title=f"Bulk generated {i}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("feedback:triage_inbox"))
    assert len(few) == len(many) <= 10


def test_triage_detail_query_count_is_pinned(login, product_owner, uneven, everyone):
    item = uneven["acme"][4]
    client = login(product_owner)
    client.get(reverse("feedback:triage_detail", args=[item.pk]))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("feedback:triage_detail", args=[item.pk]))
    for who in ["member_a", "member_b", "admin_b"]:
        services.vote_cast(feedback=item, user=everyone[who])
        services.comment_add(feedback=item, author=product_owner, body=f"note {who}", is_internal=True)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("feedback:triage_detail", args=[item.pk]))
    assert len(few) == len(many) <= 25


def test_decline_from_triage_needs_a_reason_then_tells_the_requester(
    login, product_owner, member_a, uneven, django_capture_on_commit_callbacks
):
    item = uneven["acme"][0]
    client = login(product_owner)
    response = client.post(
        reverse("feedback:triage_detail", args=[item.pk]), {"action": "status", "status": "declined"}, follow=True
    )
    assert b"Tell the clients why" in response.content
    item.refresh_from_db()
    assert item.status == "new"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("feedback:triage_detail", args=[item.pk]),
            {"action": "status", "status": "declined", "public_message": "Not in our product vision."},
        )
    item.refresh_from_db()
    assert item.status == "declined"
    assert OutboundEmail.objects.filter(to_email=member_a.email, template="feedback/emails/status").exists()
    portal = login(member_a).get(reverse("feedback:portal_detail", args=[item.pk]))
    assert b"Not in our product vision." in portal.content


def test_contributor_cannot_decide_but_can_note_and_vote_on_behalf(login, contributor, member_b, uneven):
    item = uneven["acme"][4]
    client = login(contributor)
    client.post(reverse("feedback:triage_detail", args=[item.pk]), {"action": "status", "status": "planned"})
    client.post(
        reverse("feedback:triage_detail", args=[item.pk]),
        {"action": "note", "body": "Customer call notes"},
    )
    client.post(
        reverse("feedback:triage_detail", args=[item.pk]),
        {"action": "vote", "user": member_b.email, "importance": "critical"},
    )
    item.refresh_from_db()
    assert item.status == "new"
    assert item.comments.get().is_internal
    assert Vote.objects.get(feedback=item, user=member_b).provenance == "on_behalf"


def test_merge_from_triage_and_bulk_status(login, product_owner, uneven):
    source, target = uneven["acme"][0], uneven["acme"][1]
    client = login(product_owner)
    response = client.post(
        reverse("feedback:triage_detail", args=[source.pk]), {"action": "merge", "target": target.pk}
    )
    assert response.url == reverse("feedback:triage_detail", args=[target.pk])
    source.refresh_from_db()
    assert source.status == "merged"
    ids = ",".join(str(f.pk) for f in uneven["acme"][2:4])
    client.post(
        reverse("feedback:triage_bulk"), {"bulk-ids": ids, "bulk-action": "status", "bulk-status": "under_review"}
    )
    assert set(
        Feedback.objects.filter(pk__in=[f.pk for f in uneven["acme"][2:4]]).values_list("status", flat=True)
    ) == {"under_review"}
    client.post(
        reverse("feedback:triage_bulk"), {"bulk-ids": ids, "bulk-action": "status", "bulk-status": "declined"}
    )  # no reason: nothing changes
    assert not Feedback.objects.filter(status="declined").exists()
    client.post(reverse("feedback:triage_bulk"), {"bulk-ids": ids, "bulk-action": "status"})  # no status chosen
    assert set(
        Feedback.objects.filter(pk__in=[f.pk for f in uneven["acme"][2:4]]).values_list("status", flat=True)
    ) == {"under_review"}


def test_staff_log_on_behalf_of_a_client(login, contributor, member_b):
    response = login(contributor).post(
        reverse("feedback:triage_log"),
        {
            "author": member_b.email,
            "title": "Call: needs SSO with Okta",
            "kind": "idea",
            "importance": "critical",
            "visibility": "private",
            "language": "en",
        },
    )
    feedback = Feedback.objects.get()
    assert response.url == reverse("feedback:triage_detail", args=[feedback.pk])
    assert (feedback.source, feedback.submitted_by, feedback.organization) == (
        "staff",
        contributor,
        member_b.organization,
    )
    assert feedback.events.get().kind == FeedbackEvent.Kind.CREATED


def test_inbox_counts_are_capped_and_pages_need_no_count(login, product_owner, uneven, monkeypatch):
    from feedback import selectors

    monkeypatch.setattr(selectors, "STATUS_COUNT_CAP", 3)
    client = login(product_owner)
    page = client.get(reverse("feedback:triage_inbox"))
    counts = client.get(reverse("feedback:triage_counts"), {"kind": "idea"})  # a filter the rollup does not hold
    assert {v: n for v, _label, n, _qs in counts.context["status_links"]}["new"] == "3+"
    assert page.context["page"].has_next is False
    unknown = client.get(reverse("feedback:triage_inbox"), {"organization": "no-such-company"})
    assert "organization" in unknown.context["form"].errors


def test_inbox_counts_give_up_rather_than_delay(login, product_owner, uneven, monkeypatch):
    from django.db import connection

    from feedback import selectors

    def slow(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(2)")
        return {}

    monkeypatch.setattr(selectors, "feedback_status_counts", slow)
    monkeypatch.setattr(selectors, "STATUS_COUNT_TIMEOUT_MS", 50)
    counts = login(product_owner).get(reverse("feedback:triage_counts"), {"kind": "idea"})
    assert {n for _v, _label, n, _qs in counts.context["status_links"]} == {"?"}


def test_counts_endpoint_is_404_for_clients(login, member_a):
    assert login(member_a).get(reverse("feedback:triage_counts")).status_code == 404


def test_unknown_client_contact_is_a_form_error(login, contributor, uneven):
    item = uneven["acme"][0]
    response = login(contributor).post(
        reverse("feedback:triage_detail", args=[item.pk]),
        {"action": "vote", "user": "nobody@nowhere.test", "importance": "critical"},
    )
    assert response.context["vote_form"].errors["user"] == ["Aucun utilisateur client n'a cette adresse e-mail."]
    assert item.votes.count() == 1


def test_duplicates_panel_loads_after_the_detail(login, product_owner, member_a, uneven):
    item = feedback_for(author=member_a, title="Acme request number seven")
    client = login(product_owner)
    detail = client.get(reverse("feedback:triage_detail", args=[item.pk]))
    assert reverse("feedback:triage_duplicates", args=[item.pk]).encode() in detail.content
    panel = client.get(reverse("feedback:triage_duplicates", args=[item.pk]))
    titles = [f.title for f in panel.context["duplicates"]]
    # The closest titles first; a request sharing only the company's name ranks after them.
    assert len(titles) >= 4 and all(t.startswith("Acme request number") for t in titles[:4])
    assert item.title not in titles
    assert login(member_a).get(reverse("feedback:triage_duplicates", args=[item.pk])).status_code == 404


def test_activity_lists_only_my_own_news(
    login, member_a, member_b, product_owner, uneven, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(feedback=uneven["acme"][0], author=product_owner, body="Reply for Acme only")
    mine = login(member_a).get(reverse("feedback:portal_activity"))
    assert [n.feedback_id for n in mine.context["notifications"]] == [uneven["acme"][0].pk]
    theirs = login(member_b).get(reverse("feedback:portal_activity"))
    assert list(theirs.context["notifications"]) == []
    assert b"Acme request number" not in theirs.content


def test_saved_views_are_per_user(login, product_owner, contributor, uneven):
    from feedback.models import SavedView

    login(product_owner).post(
        reverse("feedback:triage_inbox") + "?sort=votes", {"save_view": "1", "view_name": "Top voted"}
    )
    view = SavedView.objects.get(user=product_owner)
    assert view.name == "Top voted" and "sort=votes" in view.query
    assert list(login(contributor).get(reverse("feedback:triage_inbox")).context["saved_views"]) == []
    login(contributor).post(reverse("feedback:triage_saved_view_delete", args=[view.pk]))
    assert SavedView.objects.filter(pk=view.pk).exists()
    login(product_owner).post(reverse("feedback:triage_saved_view_delete", args=[view.pk]))
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_portal_pages_are_404_for_staff_and_preferences_are_saved(login, product_owner, member_a):
    assert login(product_owner).get(reverse("feedback:portal_submit")).status_code == 404
    assert login(product_owner).get(reverse("feedback:portal_preferences")).status_code == 404
    client = login(member_a)
    client.post(reverse("feedback:portal_preferences"), {"status": "on", "merged": "on"})
    from feedback.models import NotificationPreference

    assert dict(NotificationPreference.objects.filter(user=member_a).values_list("event", "email")) == {
        "status": True,
        "reply": False,
        "merged": True,
    }


def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured)


def test_portal_detail_and_activity_query_counts_are_pinned(
    login, member_a, admin_a, product_owner, uneven, django_capture_on_commit_callbacks
):
    item = uneven["acme"][0]
    client = login(member_a)
    detail_url = reverse("feedback:portal_detail", args=[item.pk])
    activity_url = reverse("feedback:portal_activity")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(feedback=item, author=product_owner, body="First reply")
    few_detail, few_activity = _queries(client, detail_url), _queries(client, activity_url)
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(6):
            services.comment_add(feedback=item, author=product_owner, body=f"Reply {i}")
            services.comment_add(feedback=item, author=admin_a, body=f"Client note {i}")
    assert _queries(client, detail_url) == few_detail <= 14
    assert _queries(client, activity_url) == few_activity <= 10


def test_organization_page_query_count_is_pinned(login, admin_a, org_a):
    from tests.factories import client_user

    client = login(admin_a)
    url = reverse("accounts:organization_detail", args=[org_a.slug])
    few = _queries(client, url)
    for i in range(5):
        client_user(organization=org_a, email=f"extra{i}@acme.test")
    assert _queries(client, url) == few <= 10


def test_pagination_keeps_every_filter_value(login, product_owner, member_a):
    for i in range(51):
        feedback_for(author=member_a, title=f"Paginated request {i}")
    page = login(product_owner).get(reverse("feedback:triage_inbox") + "?status=new&status=under_review")
    html = page.content.decode()
    assert "status=new&amp;status=under_review&amp;page=2" in html  # both statuses survive the next link
