"""The company dossier's link on a request's triage page, registered with feedback.extensions."""

from reporting.policy import Action, reporting_may


def feedback_dossier_panel(*, user, feedback, staff_page: bool) -> dict | None:
    """Staff only: a link to the asking company's dossier. No query (the request's company id is on it)."""
    if not staff_page or not reporting_may(user=user, action=Action.VIEW):
        return None
    return {
        "template": "reporting/organizations/_feedback_panel.html",
        "organization_id": feedback.organization_id,
        "organization_name": feedback.organization.name,
    }
