"""Demo requests in French and English across Acme and Globex, with votes, replies,
an internal note, a merged pair and a declined request. Idempotent (by title)."""

from accounts.models import User
from feedback import services
from feedback.models import Feedback, ProductArea, Tag

AREAS = [
    ("Reporting", "reporting"),
    ("Billing", "billing"),
    ("Integrations", "integrations"),
    ("Mobile app", "mobile"),
    ("Administration", "administration"),
]
TAGS = ["UX", "performance", "security", "quick win", "enterprise"]

# (author email, title, description, kind, area slug, importance, visibility, language, voters)
REQUESTS = [
    (
        "member@acme.example",
        "Export the dashboard to PDF",
        "Our board wants a monthly PDF of the main dashboard, with our logo.",
        "idea",
        "reporting",
        "important",
        "public",
        "en",
        ["admin@acme.example", "admin@globex.example"],
    ),
    (
        "admin@acme.example",
        "Exporter les factures au format Excel",
        "Notre service comptable retraite chaque mois les factures dans Excel.",
        "idea",
        "billing",
        "critical",
        "private",
        "fr",
        ["member@acme.example"],
    ),
    (
        "admin@globex.example",
        "Dark mode for the whole application",
        "Our support team works at night; a dark theme would help a lot.",
        "idea",
        "administration",
        "nice_to_have",
        "public",
        "en",
        ["member@globex.example", "member@acme.example"],
    ),
    (
        "member@globex.example",
        "Connexion unique (SSO) avec Azure AD",
        "Nous voulons que nos équipes se connectent avec leur compte Microsoft.",
        "idea",
        "administration",
        "critical",
        "public",
        "fr",
        ["admin@globex.example", "admin@acme.example"],
    ),
    (
        "member@acme.example",
        "Webhooks when an invoice is paid",
        "We need to notify our ERP in real time.",
        "idea",
        "integrations",
        "important",
        "public",
        "en",
        ["admin@globex.example"],
    ),
    (
        "admin@acme.example",
        "L'application mobile plante à l'ouverture d'une pièce jointe",
        "Sur Android 14, ouvrir un PDF joint ferme l'application.",
        "problem",
        "mobile",
        "critical",
        "private",
        "fr",
        [],
    ),
    (
        "member@globex.example",
        "Planifier l'envoi automatique des rapports",
        "Recevoir chaque lundi le rapport d'activité par e-mail.",
        "idea",
        "reporting",
        "important",
        "public",
        "fr",
        ["member@acme.example"],
    ),
    (
        "admin@globex.example",
        "How do I change the billing contact?",
        "We could not find where to change who receives invoices.",
        "question",
        "billing",
        "nice_to_have",
        "private",
        "en",
        [],
    ),
    (
        "member@acme.example",
        "Bulk edit of customer records",
        "Updating 200 records one by one takes a whole afternoon.",
        "idea",
        "administration",
        "important",
        "public",
        "en",
        ["admin@acme.example", "member@globex.example"],
    ),
    (
        "admin@acme.example",
        "Synchronisation avec Salesforce",
        "Les opportunités gagnées devraient créer le client automatiquement.",
        "idea",
        "integrations",
        "critical",
        "public",
        "fr",
        ["admin@globex.example"],
    ),
    (
        "member@globex.example",
        "Dashboard loads slowly with 5 years of data",
        "The main dashboard takes 20 seconds to open for our biggest account.",
        "problem",
        "reporting",
        "critical",
        "private",
        "en",
        ["admin@globex.example"],
    ),
    (
        "member@acme.example",
        "Night theme please",
        "Everything is too bright in the evening.",
        "idea",
        "administration",
        "nice_to_have",
        "private",
        "en",
        [],
    ),
    (
        "admin@globex.example",
        "Two-factor authentication by SMS",
        "Some of our field staff have no smartphone app.",
        "idea",
        "administration",
        "important",
        "public",
        "en",
        [],
    ),
    (
        "member@acme.example",
        "Export comptable au format FEC",
        "Obligatoire pour notre expert-comptable.",
        "idea",
        "billing",
        "important",
        "private",
        "fr",
        ["admin@acme.example"],
    ),
    (
        "admin@globex.example",
        "Custom fields on customer records",
        "We track the contract number in a spreadsheet today.",
        "idea",
        "administration",
        "important",
        "public",
        "en",
        ["member@acme.example"],
    ),
    (
        "member@globex.example",
        "Traduire les e-mails envoyés aux clients",
        "Nos clients belges reçoivent des e-mails en anglais.",
        "problem",
        "administration",
        "important",
        "private",
        "fr",
        [],
    ),
    (
        "member@acme.example",
        "Offline mode for the mobile app",
        "Technicians work in basements without network.",
        "idea",
        "mobile",
        "critical",
        "public",
        "en",
        ["admin@globex.example", "member@globex.example"],
    ),
    (
        "admin@acme.example",
        "Graphiques comparant deux périodes",
        "Comparer ce trimestre au même trimestre de l'an dernier.",
        "idea",
        "reporting",
        "important",
        "public",
        "fr",
        ["member@acme.example"],
    ),
    (
        "admin@globex.example",
        "Zapier integration",
        "Connect our other tools without code.",
        "idea",
        "integrations",
        "nice_to_have",
        "public",
        "en",
        [],
    ),
    (
        "member@acme.example",
        "Invoice PDF shows the wrong VAT number",
        "Since the last update, the VAT number of our subsidiary is printed.",
        "problem",
        "billing",
        "critical",
        "private",
        "en",
        ["admin@acme.example"],
    ),
    (
        "member@globex.example",
        "Notifications push sur mobile",
        "Être prévenu quand un dossier change de statut.",
        "idea",
        "mobile",
        "important",
        "public",
        "fr",
        ["admin@acme.example"],
    ),
    (
        "admin@acme.example",
        "Audit log of administrator actions",
        "Our auditors ask who changed permissions and when.",
        "idea",
        "administration",
        "critical",
        "public",
        "en",
        ["admin@globex.example"],
    ),
    (
        "admin@globex.example",
        "Can we pay invoices by SEPA direct debit?",
        "Card payments are refused by our finance policy.",
        "question",
        "billing",
        "important",
        "private",
        "en",
        [],
    ),
    (
        "member@acme.example",
        "API rate limit too low for nightly sync",
        "Our nightly import hits the limit after 10 minutes.",
        "problem",
        "integrations",
        "important",
        "private",
        "en",
        [],
    ),
    (
        "member@globex.example",
        "Tableau de bord personnalisable",
        "Chaque responsable voudrait choisir ses indicateurs.",
        "idea",
        "reporting",
        "important",
        "public",
        "fr",
        ["member@acme.example", "admin@acme.example"],
    ),
    (
        "admin@acme.example",
        "Right-to-left languages in reports",
        "Our Dubai office needs Arabic reports.",
        "idea",
        "reporting",
        "nice_to_have",
        "private",
        "en",
        [],
    ),
]


def seed(*, password: str) -> list:
    staff = User.objects.filter(email="po@retour.example").first()
    areas = {}
    for name, slug in AREAS:
        areas[slug], _created = ProductArea.objects.get_or_create(
            slug=slug, defaults={"name": name, "default_owner": staff}
        )
    tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAGS}
    users = {
        u.email: u
        for u in User.objects.select_related("client_membership__organization").filter(client_membership__isnull=False)
    }
    created = {}
    for author_email, title, description, kind, area, importance, visibility, language, voters in REQUESTS:
        author = users[author_email]
        existing = Feedback.objects.filter(title=title, organization=author.organization).first()
        if existing:
            created[title] = existing
            continue
        feedback = services.feedback_submit(
            author=author,
            organization=author.organization,
            title=title,
            description=description,
            kind=kind,
            product_area=areas[area],
            importance=importance,
            visibility=visibility,
            language=language,
        )
        for email in voters:
            services.vote_cast(feedback=feedback, user=users[email], importance="important")
        created[title] = feedback
    if staff is None:
        return []
    sales = User.objects.filter(email="sales@retour.example").first()
    slow = created["Dashboard loads slowly with 5 years of data"]
    if slow.status == Feedback.Status.NEW:
        services.feedback_set_tags(feedback=slow, actor=staff, tags=[tags["performance"], tags["enterprise"]])
        if sales:
            services.comment_add(
                feedback=slow,
                author=sales,
                body="Globex renews in the spring; they mentioned it in the last QBR.",
                is_internal=True,
            )
        services.comment_add(feedback=slow, author=staff, body="Thank you, we reproduced it and are working on it.")
        services.feedback_change_status(feedback=slow, actor=staff, status=Feedback.Status.IN_PROGRESS)
    sms = created["Two-factor authentication by SMS"]
    if sms.status == Feedback.Status.NEW:
        services.feedback_change_status(
            feedback=sms,
            actor=staff,
            status=Feedback.Status.DECLINED,
            public_message="SMS codes can be intercepted; we support authenticator apps and will add security keys instead.",
        )
    night = created["Night theme please"]
    if night.status == Feedback.Status.NEW:
        services.feedback_merge(source=night, target=created["Dark mode for the whole application"], actor=staff)
    sso = created["Connexion unique (SSO) avec Azure AD"]
    if sso.status == Feedback.Status.NEW:
        services.feedback_change_status(
            feedback=sso,
            actor=staff,
            status=Feedback.Status.PLANNED,
            public_message="Prévu pour le deuxième trimestre.",
        )
    billing = created["How do I change the billing contact?"]
    if billing.status == Feedback.Status.NEW:
        services.feedback_change_status(
            feedback=billing,
            actor=staff,
            status=Feedback.Status.NEEDS_INFO,
            public_message="Do you want to change the contact for all invoices, or only for one subsidiary?",
        )
    services.lexicon_refresh()  # duplicate suggestions know the demo's words at once (beat: hourly)
    return []
