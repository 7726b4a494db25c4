from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-key"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests use their own Redis databases so a running `make run` is never disturbed.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("TEST_CACHE_URL", default="redis://127.0.0.1:6379/13"),
        "KEY_PREFIX": "retour-test",
    }
}
CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", default="redis://127.0.0.1:6379/14")
# The real-worker tests start their worker with RETOUR_TEST_CELERY_EAGER=0.
CELERY_TASK_ALWAYS_EAGER = env.bool("RETOUR_TEST_CELERY_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
# Emails stay in memory unless a test (the real-worker one) points EMAIL_URL at its own SMTP server.
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
RETOUR_REQUIRE_STAFF_MFA = True
REST_FRAMEWORK = {**REST_FRAMEWORK}
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": "1000/min", "user": "10000/min", "bad_token": "20/min"}
LOGGING["root"]["level"] = "WARNING"
