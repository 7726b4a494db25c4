"""Reads for the roadmap: staff pages (staff.py) and the portal (portal.py)."""
