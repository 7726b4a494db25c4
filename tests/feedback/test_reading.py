"""What the client and the product owner read: statuses and system messages in the reader's language,
each notification with its own status, the team's latest answer on top of a request, the question in
the conversation where it is answered, no vote offered on a closed request, no sign-up link when
sign-up is closed. Through HTTP, with users of two companies."""

import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from feedback import services
from feedback.models import Feedback
from tests.factories import feedback_for


@pytest.fixture
def notify(django_capture_on_commit_callbacks):
    """Runs what a service does after commit (the notification fan-out), as in production."""

    def _notify():
        return django_capture_on_commit_callbacks(execute=True)

    return _notify


class _TextById(HTMLParser):
    """Collects the text of every element marked data-testid=<testid>, nested tags included."""

    VOID = frozenset({"br", "img", "input", "hr", "meta", "link"})

    def __init__(self, testid: str):
        super().__init__()
        self.testid, self.depth, self.texts = testid, 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("data-testid") == self.testid:
            self.depth = 1
            self.texts.append("")

    def handle_endtag(self, tag):
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.texts[-1] += data


def _testids(html: str, testid: str) -> list[str]:
    """The text of each element marked data-testid=<testid>, spaces squeezed."""
    parser = _TextById(testid)
    parser.feed(html)
    return [" ".join(text.split()) for text in parser.texts]


def _section(html: str, testid: str) -> str:
    match = re.search(rf'<section[^>]*data-testid="{testid}".*?</section>', html, re.S)
    assert match, f"no section {testid}"
    return match.group(0)


def _conversation(html: str) -> str:
    match = re.search(r'<h2 id="comments-title">.*?<form', html, re.S)
    assert match
    return match.group(0)


def _history(html: str) -> str:
    match = re.search(r'<ol class="timeline">.*?</ol>', html, re.S)
    assert match
    return match.group(0)


# 1. The history speaks the reader's language --------------------------------------------------


def test_history_shows_status_labels_in_the_readers_language(
    login, member_b, admin_b, member_a, product_owner, contributor, notify
):
    item = feedback_for(author=admin_b, title="Globex export wish", visibility="public")
    with notify():
        services.feedback_change_status(
            feedback=item, actor=product_owner, status="declined", public_message="Not this year."
        )

    french = login(member_b).get(reverse("feedback:portal_detail", args=[item.pk])).content.decode()
    assert _testids(_history(french), "event-status") == ["Nouvelle → Refusée"]
    assert ">declined<" not in french and ">new<" not in french

    english = login(member_a).get(reverse("feedback:portal_detail", args=[item.pk])).content.decode()
    assert _testids(_history(english), "event-status") == ["New → Declined"]

    # Staff read the same history in theirs: the contributor works in French, the product owner in English.
    triage_fr = login(contributor).get(reverse("feedback:triage_detail", args=[item.pk])).content.decode()
    assert "Nouvelle → Refusée" in _testids(_history(triage_fr), "event-status")
    triage_en = login(product_owner).get(reverse("feedback:triage_detail", args=[item.pk])).content.decode()
    assert "New → Declined" in _testids(_history(triage_en), "event-status")


def test_status_label_keeps_an_unknown_value_as_stored():
    from feedback.templatetags.feedback_tags import status_label

    assert status_label("declined") == "Declined"
    assert status_label("archived-long-ago") == "archived-long-ago"


# 2. My activity: each notification with the status of its own event ---------------------------------


def test_activity_shows_each_events_own_status_after_a_later_change(login, member_a, member_b, product_owner, notify):
    item = feedback_for(author=member_a, title="Acme planning export")
    with notify():
        services.feedback_change_status(feedback=item, actor=product_owner, status="planned")
    with notify():
        services.feedback_change_status(feedback=item, actor=product_owner, status="shipped")

    html = login(member_a).get(reverse("feedback:portal_activity")).content.decode()
    # Newest first: the later change says "Shipped", the earlier one still says "Planned".
    assert _testids(html, "notification-status") == ["Shipped", "Planned"]

    member_a.language = "fr"
    member_a.save(update_fields=["language"])
    html_fr = login(member_a).get(reverse("feedback:portal_activity")).content.decode()
    assert _testids(html_fr, "notification-status") == ["Livrée", "Planifiée"]

    # Another company's user has no news of Acme's private request.
    assert _testids(login(member_b).get(reverse("feedback:portal_activity")).content.decode(), "notification") == []


# 3. System messages are written at display time, in the reader's language ---------------------------


@pytest.fixture
def merged(member_a, admin_a, admin_b, product_owner, notify):
    """Acme's public request merged (by an English-speaking product owner) into Globex's public one;
    admin_a (French) voted on the source, so is told of the merge."""
    source = feedback_for(author=member_a, title="Acme calendar sync", visibility="public")
    target = feedback_for(author=admin_b, title="Zebra-striped calendar sync", visibility="public")
    services.vote_cast(feedback=source, user=admin_a, importance="critical")
    with notify():
        services.feedback_merge(source=source, target=target, actor=product_owner)
    source.refresh_from_db()
    assert source.merged_into_id == target.pk
    return source, target


def test_merge_message_is_in_the_readers_language_in_portal_and_triage(login, merged, member_a, member_b, contributor):
    source, target = merged
    url = reverse("feedback:portal_detail", args=[source.pk])

    french = _history(login(member_b).get(url).content.decode())
    assert _testids(french, "merge-message") == ["Fusionnée dans “Zebra-striped calendar sync”"]
    assert "Merged into" not in french
    assert f'href="{reverse("feedback:portal_detail", args=[target.pk])}"' in french

    english = _history(login(member_a).get(url).content.decode())
    assert _testids(english, "merge-message") == ["Merged into “Zebra-striped calendar sync”"]

    triage = _history(login(contributor).get(reverse("feedback:triage_detail", args=[source.pk])).content.decode())
    assert _testids(triage, "merge-message") == ["Fusionnée dans “Zebra-striped calendar sync”"]
    assert f'href="{reverse("feedback:triage_detail", args=[target.pk])}"' in triage
    # The target's history names where the merged request came from (staff only: the event is internal).
    target_history = _history(
        login(contributor).get(reverse("feedback:triage_detail", args=[target.pk])).content.decode()
    )
    (received,) = _testids(target_history, "merge-message")
    assert received.endswith(f"#{source.pk}")
    assert f'href="{reverse("feedback:triage_detail", args=[source.pk])}"' in target_history


def test_merge_notification_in_activity_is_in_the_readers_language(login, merged, admin_a):
    html = login(admin_a).get(reverse("feedback:portal_activity")).content.decode()
    assert "Fusionnée dans" in html and "“Zebra-striped calendar sync”" in html
    assert "Merged into" not in html


def test_a_merge_target_the_reader_may_not_see_is_not_named(login, merged, member_a, admin_a):
    """Should the target become private to its company later, the other company's readers of the
    source are told it was merged, never into what (the stored message would have named it)."""
    source, target = merged
    Feedback.objects.filter(pk=target.pk).update(visibility=Feedback.Visibility.PRIVATE)

    detail = login(member_a).get(reverse("feedback:portal_detail", args=[source.pk])).content.decode()
    assert _testids(_history(detail), "merge-message") == ["Merged into another request."]
    assert "Zebra-striped" not in detail

    activity = login(admin_a).get(reverse("feedback:portal_activity")).content.decode()
    assert "Zebra-striped" not in activity
    assert login(member_a).get(reverse("feedback:portal_detail", args=[target.pk])).status_code == 404


# 4. The team's latest answer on top; the question in the conversation --------------------------------


def test_latest_answer_is_on_top_with_author_and_date(login, member_a, admin_a, member_b, product_owner, notify):
    item = feedback_for(author=member_a, title="Acme offline mode")
    url = reverse("feedback:portal_detail", args=[item.pk])
    client = login(member_a)
    assert 'data-testid="latest-answer"' not in client.get(url).content.decode()

    with notify():
        services.comment_add(feedback=item, author=product_owner, body="We are looking at it.")
        services.feedback_change_status(
            feedback=item, actor=product_owner, status="declined", public_message="Not in this year's plan."
        )
        services.comment_add(feedback=item, author=admin_a, body="Too bad for us.")  # a client: not the team

    top = _section(client.get(url).content.decode(), "latest-answer")
    assert "Not in this year&#x27;s plan." in top or "Not in this year's plan." in top
    assert "We are looking at it." not in top and "Too bad for us." not in top
    assert _testids(top, "message-author") == ["Paula Owner"]
    assert len(_testids(top, "message-date")) == 1
    assert "Declined" in top

    with notify():
        services.comment_add(feedback=item, author=product_owner, body="We will reconsider in the autumn.")
    top = _section(client.get(url).content.decode(), "latest-answer")
    assert "We will reconsider in the autumn." in top and "plan." not in top

    # Another company never reads Acme's private request, answer included.
    assert login(member_b).get(url).status_code == 404


def test_question_is_in_the_conversation_above_its_answer(login, member_a, product_owner, notify):
    item = feedback_for(author=member_a, title="Acme invoice export")
    url = reverse("feedback:portal_detail", args=[item.pk])
    with notify():
        services.comment_add(feedback=item, author=product_owner, body="Thanks for the request.")
        services.feedback_change_status(
            feedback=item, actor=product_owner, status="needs_info", public_message="Which format do you need?"
        )
    client = login(member_a)
    top = _section(client.get(url).content.decode(), "latest-answer")
    assert "Which format do you need?" in top and "Answer in the conversation below." in top

    with notify():
        response = client.post(url, {"action": "comment", "body": "CSV, please."})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Feedback.Status.UNDER_REVIEW

    html = client.get(url).content.decode()
    conversation = _conversation(html)
    reply, question, answer = (
        conversation.index("Thanks for the request."),
        conversation.index("Which format do you need?"),
        conversation.index("CSV, please."),
    )
    assert reply < question < answer
    # Every message says who wrote it and when.
    entries = conversation.count('class="comment')
    assert entries == 3
    assert _testids(conversation, "message-author") == ["Paula Owner", "Paula Owner", "Bob Stone"]
    assert len(_testids(conversation, "message-date")) == entries
    # The question is read once in the conversation, not again in the history.
    assert "Which format do you need?" not in _history(html)
    # The answered question is no longer an invitation to answer.
    assert "Answer in the conversation below." not in _section(html, "latest-answer")


def test_portal_detail_query_count_does_not_grow_with_decisions(login, member_a, admin_a, product_owner, notify):
    item = feedback_for(author=member_a, title="Acme reporting")
    client = login(member_a)
    url = reverse("feedback:portal_detail", args=[item.pk])

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        return len(captured)

    with notify():
        services.feedback_change_status(feedback=item, actor=product_owner, status="needs_info", public_message="Q?")
    few = count()
    with notify():
        for i in range(4):
            services.comment_add(feedback=item, author=admin_a, body=f"Answer {i}")
            services.feedback_change_status(
                feedback=item, actor=product_owner, status="needs_info", public_message=f"Question {i}?"
            )
            services.comment_add(feedback=item, author=product_owner, body=f"Reply {i}")
    assert count() == few <= 14


# 5. No "vote instead" on a declined or merged request ------------------------------------------------


def test_similar_requests_offer_no_vote_on_declined_or_merged(login, member_a, member_b, admin_b, product_owner):
    open_item = feedback_for(author=admin_b, title="Dark mode for the dashboard", visibility="public")
    declined = feedback_for(author=admin_b, title="Dark mode for the mobile dashboard", visibility="public")
    merged_away = feedback_for(author=admin_b, title="Dark mode dashboard please", visibility="public")
    services.feedback_change_status(feedback=declined, actor=product_owner, status="declined", public_message="No.")
    services.feedback_merge(source=merged_away, target=open_item, actor=product_owner)

    html = login(member_b).get(reverse("feedback:portal_similar"), {"title": "dark mode dashboard"}).content.decode()
    items = re.findall(r'<li data-testid="similar-item">.*?</li>', html, re.S)
    by_pk = {int(re.search(r"/portal/feedback/(\d+)/", li).group(1)): li for li in items}
    assert open_item.pk in by_pk and declined.pk in by_pk
    assert 'data-testid="vote-instead"' in by_pk[open_item.pk]
    assert 'data-testid="vote-instead"' not in by_pk[declined.pk]
    assert "Refusée" in by_pk[declined.pk]  # its status instead, in the reader's language
    assert 'data-testid="vote-instead"' not in by_pk.get(merged_away.pk, "")

    # Globex's public requests are suggested to Acme too, with the same rule.
    english = login(member_a).get(reverse("feedback:portal_similar"), {"title": "dark mode dashboard"})
    assert english.content.decode().count('data-testid="vote-instead"') == 1


# 6. The sign-in page offers sign-up only when it is open ----------------------------------------------


def test_sign_in_page_links_to_sign_up_only_when_it_is_open(client, settings):
    signup_url = reverse("account_signup")
    settings.RETOUR_OPEN_SIGNUP = False
    closed = client.get(reverse("account_login")).content.decode()
    assert 'name="password"' in closed  # the page is the sign-in form
    assert f'href="{signup_url}' not in closed

    settings.RETOUR_OPEN_SIGNUP = True
    opened = client.get(reverse("account_login")).content.decode()
    assert f'href="{signup_url}' in opened
