"""The clubs pages: staff (clubs.views.staff) and portal (clubs.views.portal)."""
