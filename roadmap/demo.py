"""A demo roadmap over feedback's demo requests: fifteen items across the statuses, linked requests,
public items with client-facing wording (English and French: Acme and Globex both have French users),
decisions (declines with their public reason, an accepted decision whose outcome was missed, with its
lesson) and two releases, one published (announced once) and one draft.

Idempotent: items, releases and decisions are found again by their title or subject; a published
release is never published again, so re-seeding emails nobody a second time.
"""

import datetime

from django.utils import timezone

from accounts.models import User
from feedback.models import Feedback, ProductArea
from roadmap import services
from roadmap.models import Decision, Release, RoadmapItem, RoadmapLink

# (internal title, final status, area slug, impact, confidence, effort, public (title, text) or None,
#  linked request titles, the first one being the main request)
ITEMS = [
    (
        "Dashboard PDF export + scheduled report emails",
        RoadmapItem.Status.SHIPPED,
        "reporting",
        "2",
        80,
        "2",
        (
            "Dashboards as PDF, reports by email · Tableaux de bord en PDF, rapports par e-mail",
            "Export any dashboard as a PDF with your logo, and receive your reports every Monday.\n\n"
            "Exportez vos tableaux de bord en PDF avec votre logo et recevez vos rapports chaque lundi.",
        ),
        ["Export the dashboard to PDF", "Planifier l'envoi automatique des rapports"],
    ),
    (
        "Chart period comparison (YoY)",
        RoadmapItem.Status.SHIPPED,
        "reporting",
        "1",
        50,
        "1",
        (
            "Compare two periods in charts · Comparer deux périodes dans les graphiques",
            "Put this quarter next to the same quarter last year.\n\n"
            "Comparez ce trimestre au même trimestre de l'an dernier.",
        ),
        ["Graphiques comparant deux périodes"],
    ),
    (
        "SSO: Azure AD first, then generic SAML",
        RoadmapItem.Status.NOW,
        "administration",
        "3",
        80,
        "3",
        (
            "Single sign-on with Microsoft · Connexion unique avec Microsoft",
            "Your teams sign in with their Microsoft account.\n\nVos équipes se connectent avec leur compte Microsoft.",
        ),
        ["Connexion unique (SSO) avec Azure AD"],
    ),
    (
        "Dashboard query rewrite for 5-year histories",
        RoadmapItem.Status.NOW,
        "reporting",
        "2",
        100,
        "2",
        None,
        ["Dashboard loads slowly with 5 years of data"],
    ),
    (
        "Accounting exports: Excel invoices and FEC",
        RoadmapItem.Status.NEXT,
        "billing",
        "2",
        80,
        "1.5",
        None,
        ["Exporter les factures au format Excel", "Export comptable au format FEC"],
    ),
    (
        "Offline mode (mobile sync engine)",
        RoadmapItem.Status.NEXT,
        "mobile",
        "3",
        50,
        "5",
        (
            "Work offline in the mobile app · Travailler hors ligne dans l'application mobile",
            "Keep working without network; everything syncs when you are back online.\n\n"
            "Continuez sans réseau : tout se synchronise au retour de la connexion.",
        ),
        ["Offline mode for the mobile app"],
    ),
    (
        "Mobile push notifications",
        RoadmapItem.Status.LATER,
        "mobile",
        "1",
        50,
        "2",
        (
            "Push notifications on mobile · Notifications push sur mobile",
            "Be told on your phone when a request changes.\n\n"
            "Soyez prévenu sur votre téléphone quand une demande change.",
        ),
        ["Notifications push sur mobile"],
    ),
    (
        "Dark theme (design tokens first)",
        RoadmapItem.Status.CANDIDATE,
        "administration",
        "0.5",
        80,
        "1",
        None,
        ["Dark mode for the whole application"],
    ),
    (
        "Outgoing webhooks + Zapier app",
        RoadmapItem.Status.NEXT,
        "integrations",
        "2",
        80,
        "2",
        (
            "Webhooks and Zapier · Webhooks et Zapier",
            "Connect your other tools: we call them when an invoice is paid.\n\n"
            "Connectez vos autres outils : nous les appelons quand une facture est payée.",
        ),
        ["Webhooks when an invoice is paid", "Zapier integration"],
    ),
    (
        "Salesforce connector",
        RoadmapItem.Status.CANDIDATE,
        "integrations",
        "2",
        20,
        "5",
        None,
        ["Synchronisation avec Salesforce"],
    ),
    (
        "Records: bulk edit and custom fields",
        RoadmapItem.Status.LATER,
        "administration",
        "1",
        50,
        "3",
        (
            "Bulk edit and custom fields · Modification en masse et champs personnalisés",
            "Change many records at once and track your own fields.\n\n"
            "Modifiez de nombreuses fiches à la fois et suivez vos propres champs.",
        ),
        ["Bulk edit of customer records", "Custom fields on customer records"],
    ),
    (
        "Admin audit log",
        RoadmapItem.Status.NOW,
        "administration",
        "2",
        100,
        "1",
        (
            "Audit log of administrator actions · Journal des actions des administrateurs",
            "See who changed permissions, and when.\n\nVoyez qui a changé les droits, et quand.",
        ),
        ["Audit log of administrator actions"],
    ),
    (
        "2FA by SMS",
        RoadmapItem.Status.CANCELLED,
        "administration",
        "0.5",
        50,
        "1",
        None,
        ["Two-factor authentication by SMS"],
    ),
    (
        "RTL layout for reports",
        RoadmapItem.Status.CANCELLED,
        "reporting",
        "0.25",
        20,
        "8",
        None,
        ["Right-to-left languages in reports"],
    ),
    (
        "Customizable dashboard widgets",
        RoadmapItem.Status.NEXT,
        "reporting",
        "2",
        80,
        "3",
        (
            "Choose the indicators on your dashboard · Choisissez les indicateurs de votre tableau de bord",
            "Each manager picks the indicators they follow.\n\nChaque responsable choisit ses indicateurs.",
        ),
        ["Tableau de bord personnalisable"],
    ),
]

# item title -> (kind, rationale, public message, expected outcome)
DECISIONS = {
    "Dashboard PDF export + scheduled report emails": (
        Decision.Kind.ACCEPTED,
        "Asked by both accounts; Acme renews within the quarter.",
        "",
        "Clients stop screenshotting dashboards: PDF exports used by both Acme and Globex within a month.",
    ),
    "Chart period comparison (YoY)": (
        Decision.Kind.ACCEPTED,
        "Cheap once the chart library is upgraded.",
        "",
        "Managers compare periods in the app instead of in Excel: half of the report exports disappear.",
    ),
    "SSO: Azure AD first, then generic SAML": (
        Decision.Kind.ACCEPTED,
        "Blocks Globex's roll-out to 300 users.",
        "Nous commençons par Azure AD ce trimestre. / We start with Azure AD this quarter.",
        "Globex rolls out to all its teams; no more password-reset tickets from them.",
    ),
    "Mobile push notifications": (
        Decision.Kind.DEFERRED,
        "Depends on the offline sync engine.",
        "We will build this once offline mode is out, on the same foundations.\n\n"
        "Nous le ferons après le mode hors ligne, sur les mêmes fondations.",
        "",
    ),
    "Records: bulk edit and custom fields": (
        Decision.Kind.DEFERRED,
        "Needs the new permissions model.",
        "Not this quarter: bulk edit needs the new permissions model, planned first.\n\n"
        "Pas ce trimestre : la modification en masse attend le nouveau modèle de droits.",
        "",
    ),
    "2FA by SMS": (
        Decision.Kind.DECLINED,
        "SIM swapping; support cost of SMS providers.",
        "SMS codes can be intercepted; we support authenticator apps and will add security keys instead.",
        "",
    ),
    "RTL layout for reports": (
        Decision.Kind.DECLINED,
        "One office asking; a full RTL review of every template.",
        "We will not support right-to-left layouts in reports for now: the effort is too large for the "
        "demand. Exports to Excel keep your Arabic text intact.\n\n"
        "Nous ne prendrons pas en charge la mise en page de droite à gauche pour l'instant : l'effort est "
        "trop important. Les exports Excel conservent vos textes en arabe.",
        "",
    ),
}

# item title -> (outcome, what actually happened, lesson)
OUTCOMES = {
    "Dashboard PDF export + scheduled report emails": (
        Decision.Outcome.REACHED,
        "Both accounts export PDFs weekly; the scheduled emails go to 14 people.",
        "",
    ),
    "Chart period comparison (YoY)": (
        Decision.Outcome.MISSED,
        "Report exports barely moved: managers still compare fiscal years, which the charts do not know.",
        "Ask which calendar clients report on before building a date feature; interview two of them first.",
    ),
}

RELEASES = [
    (
        "Spring release: PDF dashboards and period comparison",
        45,
        "## New\n\n- Export any dashboard as a PDF, and schedule reports by email.\n"
        "- Compare two periods in charts.\n\n## Nouveautés\n\n"
        "- Exportez vos tableaux de bord en PDF et planifiez l'envoi des rapports.\n"
        "- Comparez deux périodes dans les graphiques.",
        ["Dashboard PDF export + scheduled report emails", "Chart period comparison (YoY)"],
        True,
    ),
    (
        "Summer release: your own dashboard",
        -30,
        "## New\n\n- Choose the indicators on your dashboard.\n\n## Nouveautés\n\n"
        "- Choisissez les indicateurs de votre tableau de bord.",
        ["Customizable dashboard widgets"],
        False,
    ),
]


def seed(*, password: str) -> list:
    staff = User.objects.filter(email="po@retour.example").first()
    if staff is None:
        return []
    areas = {a.slug: a for a in ProductArea.objects.all()}
    requests = {f.title: f for f in Feedback.objects.filter(title__in=[t for spec in ITEMS for t in spec[7]])}
    items: dict[str, RoadmapItem] = {}
    created: set[str] = set()  # only new items are moved to their column: a re-seed keeps staff's moves
    for title, status, area, impact, confidence, effort, public, linked, *_rest in ITEMS:
        item = RoadmapItem.objects.filter(title=title).first()
        if item is None:
            wording = {"is_public": True, "public_title": public[0], "public_text": public[1]} if public else {}
            item = services.item_create(
                actor=staff,
                title=title,
                product_area=areas.get(area),
                owner=staff,
                impact=impact,
                confidence=confidence,
                effort=effort,
                target_quarter=_quarter(status),
                **wording,
            )
            created.add(title)
        for request_title in linked:
            request = requests.get(request_title)
            if request is not None and not RoadmapLink.objects.filter(feedback=request).exists():
                services.item_link_feedback(item=item, feedback=request, actor=staff)
        items[title] = item

    for title, (kind, rationale, message, expected) in DECISIONS.items():
        item = items[title]
        if not Decision.objects.filter(item=item, kind=kind).exists():
            services.decision_record(
                actor=staff,
                kind=kind,
                item=item,
                rationale=rationale,
                public_message=message,
                expected_outcome=expected,
            )

    for title, status, *_rest in ITEMS:
        if title not in created:
            continue
        item = RoadmapItem.objects.get(pk=items[title].pk)
        if status not in (RoadmapItem.Status.SHIPPED, RoadmapItem.Status.CANCELLED) and item.status != status:
            services.item_move(item=item, actor=staff, status=status)

    today = timezone.localdate()
    for title, days_ago, body, item_titles, publish in RELEASES:
        release = Release.objects.filter(title=title).first()
        if release is None:
            release = services.release_save(
                actor=staff,
                title=title,
                release_date=today - datetime.timedelta(days=days_ago),
                body=body,
                items=[items[t] for t in item_titles],
            )
        if publish and release.status == Release.Status.DRAFT:
            services.release_publish(release=release, actor=staff)  # announced once, in the worker

    for title, (outcome, actual, lesson) in OUTCOMES.items():
        decision = Decision.objects.filter(item=items[title], kind=Decision.Kind.ACCEPTED).first()
        if decision is not None and decision.outcome == Decision.Outcome.UNKNOWN:
            services.decision_record_outcome(
                decision=decision, actor=staff, outcome=outcome, actual_outcome=actual, lesson=lesson
            )

    for item in items.values():
        services.business_case_refresh(item_id=item.pk)
    return []


def _quarter(status: str) -> str:
    if status not in (RoadmapItem.Status.NOW, RoadmapItem.Status.NEXT, RoadmapItem.Status.LATER):
        return ""
    today = timezone.localdate()
    ahead = {RoadmapItem.Status.NOW: 0, RoadmapItem.Status.NEXT: 1, RoadmapItem.Status.LATER: 3}[status]
    index = today.year * 4 + (today.month - 1) // 3 + ahead
    return f"{index // 4}-Q{index % 4 + 1}"
