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


def test_duplicates_meet_across_languages_through_the_glossary(member_a, member_b):
    english = feedback_for(author=member_a, title="Invoice reminders", visibility="public", language="en")
    feedback_for(author=member_a, title="Calendar sync with Outlook", visibility="public", language="en")
    # No word in common: "relance" = "reminder", "facture" = "invoice" in the glossary.
    assert feedback_similar(user=member_b, title="Relances des factures") == [english]


def test_a_typo_is_corrected_to_the_nearest_known_word(member_a, member_b):
    from feedback.services import lexicon_refresh

    target = feedback_for(author=member_a, title="Automatic invoice reminders", visibility="public")
    feedback_for(author=member_a, title="Calendar sync with Outlook", visibility="public")
    lexicon_refresh()
    assert feedback_similar(user=member_b, title="remindres")[:1] == [target]


def test_the_panel_title_suffix_is_not_searched(member_a, member_b):
    target = feedback_for(author=member_a, title="Dark mode", visibility="public")
    feedback_for(author=member_a, title="Ticket 4521 export", visibility="public")
    assert feedback_similar(user=member_b, title="Dark mode #4521") == [target]
