"""The multi-step paths that used to leak, each ending with a scan of what the other company received,
and the role and input rules that used to be bypassable."""

import pytest
from allauth.mfa.models import Authenticator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Invitation
from core.models import OutboundEmail
from feedback import services
from feedback.models import Attachment, Comment, Feedback, Notification, Tag, Vote
from tests.factories import StaffFactory, feedback_for

PRIVATE_TITLE = "Acme secret payroll connector"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def assert_nothing_reached(users, needle: str = PRIVATE_TITLE) -> None:
    """No email, email subject or portal notification of these users mentions `needle`."""
    emails = OutboundEmail.objects.filter(to_email__in=[u.email for u in users])
    for email in emails:
        for part in (email.subject, email.text_body, email.html_body):
            assert needle not in part, f"{needle!r} reached {email.to_email}"
    for notification in Notification.objects.filter(user__in=users).select_related("feedback", "event"):
        assert notification.feedback.title != needle
        assert needle not in notification.event.public_message


@pytest.fixture
def private_a(member_a):
    return feedback_for(author=member_a, title=PRIVATE_TITLE)


# Merge -----------------------------------------------------------------------------------------


def test_public_request_voted_by_another_company_cannot_be_merged_into_a_private_one(
    login, product_owner, member_a, member_b, admin_b, private_a
):
    public = feedback_for(author=member_a, title="Payroll export to the bank", visibility="public")
    services.vote_cast(feedback=public, user=member_b, importance="critical")
    response = login(product_owner).post(
        reverse("feedback:triage_detail", args=[public.pk]), {"action": "merge", "target": private_a.pk}
    )
    assert response.status_code == 200  # the form again, with the reason
    assert "Make the target public first" in response.content.decode()
    public.refresh_from_db()
    private_a.refresh_from_db()
    assert public.status != Feedback.Status.MERGED
    assert private_a.vote_count == 1 and private_a.organization_count == 1  # Globex's vote did not move in
    # Once the target is public, the merge goes through, and Globex is led to a request it can see.
    assert_nothing_reached([member_b, admin_b])
    Feedback.objects.filter(pk=private_a.pk).update(visibility="public")
    services.feedback_merge(source=public, target=Feedback.objects.get(pk=private_a.pk), actor=product_owner)
    assert login(member_b).get(reverse("feedback:portal_detail", args=[private_a.pk])).status_code == 200


def test_private_request_cannot_be_merged_into_another_companys_private_request(
    product_owner, member_b, admin_b, private_a
):
    private_b = feedback_for(author=member_b, title="Globex payroll wish")
    with pytest.raises(Exception, match="private"):
        services.feedback_merge(source=private_b, target=private_a, actor=product_owner)
    assert_nothing_reached([member_b, admin_b])
    assert Vote.objects.filter(feedback=private_a).count() == 1


def test_merge_within_a_company_still_works_and_tells_the_requesters(
    django_capture_on_commit_callbacks, product_owner, member_a, admin_a, private_a
):
    duplicate = feedback_for(author=admin_a, title="Payroll connector please")
    with django_capture_on_commit_callbacks(execute=True):
        services.feedback_merge(source=duplicate, target=private_a, actor=product_owner)
    private_a.refresh_from_db()
    assert private_a.vote_count == 2
    assert OutboundEmail.objects.filter(to_email=admin_a.email, template="feedback/emails/merged").count() == 1


# On behalf -------------------------------------------------------------------------------------


def test_staff_cannot_vote_for_another_companys_client_on_a_private_request(
    login, product_owner, member_b, admin_b, private_a
):
    response = login(product_owner).post(
        reverse("feedback:triage_detail", args=[private_a.pk]),
        {"action": "vote", "user": member_b.email, "importance": "critical"},
    )
    assert response.status_code == 200
    assert "cannot see this request" in response.content.decode()
    assert not Vote.objects.filter(feedback=private_a, user=member_b).exists()
    # A public reply afterwards reaches Acme only.
    services.comment_add(feedback=private_a, author=product_owner, body="We are on it")
    assert_nothing_reached([member_b, admin_b])


def test_on_behalf_vote_on_a_visible_request_is_recorded(product_owner, member_b):
    public = feedback_for(author=member_b, title="Public wish of Globex", visibility="public")
    vote = services.vote_cast(
        feedback=public, user=member_b, importance="critical", provenance="on_behalf", cast_by=product_owner
    )
    assert vote.importance == "critical"


# Attachments -----------------------------------------------------------------------------------


def test_attachments_are_the_asking_companys_and_staffs_only(login, member_a, admin_a, member_b, product_owner):
    upload = SimpleUploadedFile("écran été.png", PNG, content_type="image/png")
    upload.sniffed_type = "image/png"
    public = feedback_for(author=member_a, title="Public request with a screenshot", visibility="public")
    attachment = Attachment.objects.create(
        feedback=public,
        organization=public.organization,
        file=upload,
        original_name="écran été.png",
        content_type="image/png",
        size=len(PNG),
        uploaded_by=member_a,
    )
    url = reverse("feedback:attachment", args=[attachment.pk])
    assert login(member_b).get(url).status_code == 404
    page = login(member_b).get(reverse("feedback:portal_detail", args=[public.pk]))
    assert url not in page.content.decode()
    own = login(admin_a).get(url)
    assert own.status_code == 200
    assert own["Content-Disposition"] == (
        "inline; filename=\"ecran ete.png\"; filename*=UTF-8''%C3%A9cran%20%C3%A9t%C3%A9.png"
    )
    assert login(product_owner).get(url).status_code == 200
    assert login(member_a).get(reverse("feedback:attachment", args=[attachment.pk + 1000])).status_code == 404


def test_a_refused_attachment_is_never_dropped_silently(login, member_a):
    response = login(member_a).post(
        reverse("feedback:portal_submit"),
        {
            "title": "Request with a bad file",
            "kind": "idea",
            "importance": "important",
            "visibility": "private",
            "attachments": [SimpleUploadedFile("notes.txt", b"plain text", content_type="text/plain")],
        },
    )
    assert response.status_code == 200
    assert "is not an image" in response.content.decode()
    assert not Feedback.objects.filter(title="Request with a bad file").exists()


# Organization and tags -------------------------------------------------------------------------


def test_clients_never_see_which_company_asked_nor_staff_tags(api_client, member_a, member_b):
    public_b = feedback_for(author=member_b, title="Globex public idea", visibility="public")
    internal = Tag.objects.create(name="churn-risk")
    public_tag = Tag.objects.create(name="reporting", is_public=True)
    public_b.tags.set([internal, public_tag])
    api = api_client(member_a)
    refused = api.get(f"/api/v1/feedback/?organization={public_b.organization_id}")
    assert refused.status_code == 400 and "organization" in refused.json()["error"]["fields"]
    item = api.get(f"/api/v1/feedback/{public_b.pk}/").json()
    assert item["organization"] is None
    assert item["tags"] == ["reporting"]
    assert api.get(f"/api/v1/feedback/?tag={internal.pk}").json()["results"] == []
    assert [r["id"] for r in api.get(f"/api/v1/feedback/?tag={public_tag.pk}").json()["results"]] == [public_b.pk]
    own = api_client(member_b).get(f"/api/v1/feedback/{public_b.pk}/").json()
    assert own["organization"] == public_b.organization.slug


# Roles ------------------------------------------------------------------------------------------


def test_contributor_cannot_merge_through_the_form_or_in_bulk_and_is_not_offered_it(
    login, contributor, member_a, private_a
):
    other = feedback_for(author=member_a, title="Another Acme request")
    client = login(contributor)
    assert (
        client.post(
            reverse("feedback:triage_detail", args=[other.pk]), {"action": "merge", "target": private_a.pk}
        ).status_code
        == 403
    )
    client.post(
        reverse("feedback:triage_bulk"),
        {"bulk-ids": str(other.pk), "bulk-action": "merge", "bulk-target": private_a.pk},
    )
    other.refresh_from_db()
    assert other.status == Feedback.Status.NEW
    page = client.get(reverse("feedback:triage_detail", args=[other.pk])).content.decode()
    assert 'value="merge"' not in page and 'value="status"' not in page and 'value="reply"' not in page
    assert 'value="note"' in page and 'value="vote"' in page


def test_a_merged_request_offers_no_decision_and_takes_no_comment(login, product_owner, member_a, private_a):
    duplicate = feedback_for(author=member_a, title="Duplicate of the payroll connector")
    services.feedback_merge(source=duplicate, target=private_a, actor=product_owner)
    client = login(product_owner)
    page = client.get(reverse("feedback:triage_detail", args=[duplicate.pk])).content.decode()
    assert 'value="status"' not in page and 'value="reply"' not in page and 'value="note"' not in page
    assert (
        client.post(
            reverse("feedback:triage_detail", args=[duplicate.pk]), {"action": "reply", "body": "Hello"}
        ).status_code
        == 403
    )
    portal = login(member_a)
    portal.post(reverse("feedback:portal_detail", args=[duplicate.pk]), {"action": "comment", "body": "Still here?"})
    assert not Comment.objects.filter(feedback=duplicate).exists()


def test_note_and_reply_are_distinct_actions(
    django_capture_on_commit_callbacks, login, product_owner, member_a, private_a
):
    client = login(product_owner)
    url = reverse("feedback:triage_detail", args=[private_a.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "note", "body": "Big deal"})
    assert not OutboundEmail.objects.filter(to_email=member_a.email).exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "reply", "body": "Planned soon"})
    assert OutboundEmail.objects.filter(to_email=member_a.email, template="feedback/emails/reply").count() == 1
    assert [c.is_internal for c in Comment.objects.filter(feedback=private_a).order_by("id")] == [True, False]


# Strict input -----------------------------------------------------------------------------------


def test_api_refuses_unknown_fields_and_writes_nothing(api_client, member_a, private_a):
    api = api_client(member_a)
    response = api.post(
        f"/api/v1/feedback/{private_a.pk}/comments/", {"body": "hello", "internal": True}, format="json"
    )
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["internal"]
    response = api.post(
        f"/api/v1/feedback/{private_a.pk}/comments/", {"body": "hello", "is_internal": True}, format="json"
    )
    assert response.status_code == 400 and "is_internal" in response.json()["error"]["fields"]
    assert not Comment.objects.filter(feedback=private_a).exists()
    services.vote_cast(feedback=private_a, user=member_a, importance="critical")
    typo = api.post(f"/api/v1/feedback/{private_a.pk}/vote/", {"importnce": "nice_to_have"}, format="json")
    assert typo.status_code == 400 and "importnce" in typo.json()["error"]["fields"]
    assert Vote.objects.get(feedback=private_a, user=member_a).importance == "critical"
    created = api.post("/api/v1/feedback/", {"title": "A new idea here", "visibilty": "public"}, format="json")
    assert created.status_code == 400 and "visibilty" in created.json()["error"]["fields"]


def test_patch_is_all_or_nothing(api_client, contributor, product_owner, private_a):
    response = api_client(contributor).patch(
        f"/api/v1/feedback/{private_a.pk}/", {"assignee": product_owner.pk, "status": "planned"}, format="json"
    )
    assert response.status_code == 403
    private_a.refresh_from_db()
    assert private_a.assignee_id is None and private_a.status == Feedback.Status.NEW
    ok = api_client(product_owner).patch(
        f"/api/v1/feedback/{private_a.pk}/", {"assignee": product_owner.pk, "status": "planned"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "planned"


def test_over_long_texts_are_refused_with_the_text_kept(login, api_client, member_a, private_a):
    long_comment = "word " * 4000  # 20,000 characters
    response = login(member_a).post(
        reverse("feedback:portal_detail", args=[private_a.pk]), {"action": "comment", "body": long_comment}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Write something first" not in page
    assert "at most 10000 characters" in page or "10,000" in page
    assert long_comment.strip()[:200] in page  # the text is still in the field
    assert not Comment.objects.filter(feedback=private_a).exists()
    huge = api_client(member_a).post(
        "/api/v1/feedback/",
        {"title": "Huge description", "description": " ".join(f"w{i}" for i in range(200_000))},
        format="json",
    )
    assert huge.status_code == 400 and "description" in huge.json()["error"]["fields"]


# Accounts ---------------------------------------------------------------------------------------


def test_staff_token_needs_mfa_and_stops_working_without_it(api_client, client, product_owner, db):
    api = api_client(product_owner)
    assert api.get("/api/v1/me/").status_code == 200
    Authenticator.objects.filter(user=product_owner).delete()
    response = api.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert "two-factor" in response.json()["error"]["message"]
    newcomer = StaffFactory(email="new@retour.test", totp=False)
    with pytest.raises(Exception, match="two-factor"):
        api_client(newcomer)


def test_bad_tokens_are_throttled(client, db):
    statuses = [client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token wrong-{i}").status_code for i in range(25)]
    assert statuses[0] == 401 and statuses[-1] == 429


def test_client_admin_invitation_does_not_reveal_existing_accounts(login, admin_a, org_a, member_b):
    client = login(admin_a)
    url = reverse("accounts:organization_detail", args=[org_a.slug])
    known = client.post(url, {"email": member_b.email, "role": "member", "language": "en"}, follow=True)
    unknown = client.post(url, {"email": "nobody@else.test", "role": "member", "language": "en"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    for page in (known.content.decode(), unknown.content.decode()):
        assert "message-success" in page and "errorlist" not in page
    assert "already" not in known.content.decode() and "déjà" not in known.content.decode()
    assert Invitation.objects.filter(email=member_b.email).exists()
    notice = OutboundEmail.objects.get(to_email=member_b.email)
    assert "/invitations/" not in notice.text_body  # nothing to accept: they can sign in


def test_fan_out_reaches_only_people_who_may_see_the_request(
    django_capture_on_commit_callbacks, product_owner, member_a, member_b, admin_b
):
    """A Globex voter on an Acme request that later became private hears nothing more of it."""
    item = feedback_for(author=member_a, title=PRIVATE_TITLE, visibility="public")
    services.vote_cast(feedback=item, user=member_b, importance="critical")
    Feedback.objects.filter(pk=item.pk).update(visibility="private")
    item.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.feedback_change_status(feedback=item, actor=product_owner, status="planned")
        services.comment_add(feedback=item, author=product_owner, body="Shipping soon")
    assert OutboundEmail.objects.filter(to_email=member_a.email).count() == 2
    assert_nothing_reached([member_b, admin_b])


def test_files_lost_to_another_fields_error_are_announced(login, member_a):
    response = login(member_a).post(
        reverse("feedback:portal_submit"),
        {
            "title": "abc",  # too short
            "kind": "idea",
            "importance": "important",
            "visibility": "private",
            "attachments": [SimpleUploadedFile("shot.png", PNG, content_type="image/png")],
        },
    )
    assert response.status_code == 200
    assert "choose them again" in response.content.decode()
    assert not Attachment.objects.exists()


def test_another_companys_commenter_without_a_name_is_never_shown_by_address(login, member_a, member_b):
    member_a.name = ""
    member_a.save(update_fields=["name"])
    item = feedback_for(author=member_a, title="Public wish with a nameless commenter", visibility="public")
    services.comment_add(feedback=item, author=member_a, body="We need it by spring.")
    url = reverse("feedback:portal_detail", args=[item.pk])
    other = login(member_b).get(url).content.decode()
    assert "We need it by spring." in other
    assert member_a.email not in other
    assert "A client" in other or "Un client" in other
    assert member_a.email in login(member_a).get(url).content.decode()  # a colleague may see it
