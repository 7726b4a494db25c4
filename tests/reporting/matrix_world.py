"""The reporting part of the route matrix's world (tests/test_route_matrix.py).

- `team`: the product owner and the contributor, with one outside address (a partner's consultant);
- `subscription`: the team's weekly digest;
- `digest`: a digest of it already sent, whose subject, bodies and figures hold Globex's private
  request and internal figures (REPORTING_SECRETS): staff read it in the archive and the API, no
  client may ever see any of it; one delivery per recipient, with its outbox email;
- `digest_failed`: a failed build, which a product owner may rebuild;
- the unsubscribe tokens: the outside address's real one, and one that is not a token.
"""

import datetime as dt

from django.utils import timezone

from accounts.models import Organization, Team
from core.models import OutboundEmail
from reporting.digests import unsubscribe_token
from reporting.models import Digest, DigestDelivery, DigestSubscription

SECRET_DIGEST_SUBJECT = "Digest subject: Globex churn risk 3e7d"
SECRET_DIGEST_FIGURE = "Internal figure: Globex revenue at risk 45,000 a91c"
REPORTING_SECRETS = (SECRET_DIGEST_SUBJECT, SECRET_DIGEST_FIGURE)
OUTSIDE = "advisor@partner-consulting.example"


def build_reporting_world(*, users: dict, private_b, organization_b) -> dict:
    po, contributor = users["product_owner"], users["contributor"]
    # Rows, not services: the world is built as-is (team_save and subscription_save are tested elsewhere).
    team = Team.objects.create(name="Sales", extra_emails=[OUTSIDE])
    team.members.set([po, contributor])
    subscription = DigestSubscription.objects.create(name="Sales weekly", team=team, created_by=po)
    subscription.organizations.set([organization_b])
    today = timezone.localdate()
    start = today - dt.timedelta(days=today.weekday() + 7)
    body = f"{SECRET_DIGEST_SUBJECT}\n{private_b.title}\n{SECRET_DIGEST_FIGURE}"
    digest = Digest.objects.create(
        subscription=subscription,
        period_start=start,
        period_end=start + dt.timedelta(days=7),
        due_at=timezone.now(),
        status=Digest.Status.SENT,
        subject=SECRET_DIGEST_SUBJECT,
        text_body=body,
        html_body=f"<p>{body}</p>",
        figures={"note": SECRET_DIGEST_FIGURE, "requests": [{"id": private_b.pk, "title": private_b.title}]},
        had_activity=True,
        built_at=timezone.now(),
        sent_at=timezone.now(),
    )
    for address, user in ((OUTSIDE, None), (po.email, po), (contributor.email, contributor)):
        email = OutboundEmail.objects.create(
            to_email=address,
            recipient=user,
            subject=SECRET_DIGEST_SUBJECT,
            text_body=body,
            html_body=f"<p>{body}</p>",
            template="reporting/emails/digest",
            language="en",
            idempotency_key=f"digest:{subscription.pk}:{start.isoformat()}:{address}",
            status=OutboundEmail.Status.SENT,
            sent_at=timezone.now(),
        )
        DigestDelivery.objects.create(digest=digest, email=address, user=user, outbound=email)
    failed = Digest.objects.create(
        subscription=subscription,
        period_start=start - dt.timedelta(days=7),
        period_end=start,
        due_at=timezone.now(),
        status=Digest.Status.FAILED,
        error="RuntimeError: the figures could not be computed",
        attempts=3,
    )
    return {
        "team": team.pk,
        "subscription": subscription.pk,
        "digest": digest.pk,
        "digest_failed": failed.pk,
        "unsubscribe_token": unsubscribe_token(subscription.pk, OUTSIDE),
        "unsubscribe_token_bad": "not-a-signed-token",
    }


REPORTING_WATCHED_MODELS = (Team, DigestSubscription, Digest, DigestDelivery)


def reporting_fingerprint() -> list[str]:
    """The mutable fields of the reporting rows and of the companies: an unsubscribe, a rebuild or an edit shows."""
    parts = [
        repr(row)
        for row in DigestSubscription.objects.order_by("pk").values_list(
            "pk", "name", "is_active", "unsubscribed", "updated_at"
        )
    ]
    parts += [repr(row) for row in Digest.objects.order_by("pk").values_list("pk", "status", "attempts", "updated_at")]
    parts += [repr(row) for row in Team.objects.order_by("pk").values_list("pk", "name", "extra_emails")]
    parts += [
        repr(row)
        for row in Organization.objects.order_by("pk").values_list(
            "pk", "name", "slug", "segment", "annual_contract_value"
        )
    ]
    return parts
