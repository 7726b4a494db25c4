"""Full-text search per language (accents ignored, stems) and duplicate detection."""

from feedback.selectors import feedback_inbox, feedback_similar
from tests.factories import feedback_for


def titles(queryset):
    return {f.title for f in queryset}


def test_french_search_ignores_accents_and_stems(member_b, admin_a):
    feedback_for(author=member_b, title="Gérer les équipes depuis le tableau de bord", language="fr")
    feedback_for(author=admin_a, title="Exporter les factures en PDF", language="fr")
    for q in ["équipe", "equipe", "EQUIPES", "gerer"]:
        assert titles(feedback_inbox(filters={"q": q})) == {"Gérer les équipes depuis le tableau de bord"}, q


def test_english_search_uses_stems(member_a):
    feedback_for(author=member_a, title="Exporting invoices to accounting software", language="en")
    assert titles(feedback_inbox(filters={"q": "export invoice"})) == {"Exporting invoices to accounting software"}
    assert titles(feedback_inbox(filters={"q": "payroll"})) == set()


def test_duplicates_are_found_for_a_reworded_title(member_a, member_b):
    target = feedback_for(author=member_a, title="Dark mode for the dashboard", visibility="public")
    feedback_for(author=member_a, title="Invoices in PDF", visibility="public")
    similar = feedback_similar(user=member_b, title="dashboard in dark theme")
    assert similar and similar[0] == target


def test_duplicates_never_show_another_companys_private_request(member_a, member_b):
    feedback_for(author=member_a, title="Single sign-on with Azure AD")
    assert feedback_similar(user=member_b, title="Single sign-on with Azure") == []
    assert len(feedback_similar(user=member_a, title="Single sign-on with Azure")) == 1
