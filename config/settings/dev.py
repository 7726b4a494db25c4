from .base import *  # noqa: F403
from .base import env

# `make run` behaves like the product (translated error pages, no traceback); DJANGO_DEBUG=true for debugging.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
# Development only: staff may skip TOTP enrolment so a newcomer can try the demo quickly.
RETOUR_REQUIRE_STAFF_MFA = env.bool("RETOUR_REQUIRE_STAFF_MFA", default=False)
