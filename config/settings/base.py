"""Settings shared by every environment. Configuration comes only from the environment."""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A developer's .env is read by dev and prod; tests never read it so they stay reproducible.
if not os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".test"):
    env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The one port `make run` serves on (Procfile, start message, demo message, email links).
RETOUR_PORT = env.int("RETOUR_PORT", default=8000)
SITE_URL = env("RETOUR_SITE_URL", default=f"http://localhost:{RETOUR_PORT}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "core",
    "accounts",
    "feedback",
    "roadmap",
    "clubs",
    "reporting",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RequestLogContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "core.middleware.RejectNulCharactersMiddleware",  # after the user's language is known
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.StaffMfaRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/retour")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# JIT compiles a plan for a second's query; ours take milliseconds and JIT added ~90 ms to a search.
DATABASES["default"].setdefault("OPTIONS", {})
# Choice fields iterate their querysets: server-side cursors cost three round trips each (and break
# behind a transaction-pooling PgBouncer).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DATABASES["default"]["OPTIONS"]["options"] = (
    DATABASES["default"]["OPTIONS"].get("options", "") + " -c jit=off"
).strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("CACHE_URL", default=REDIS_URL),
        "KEY_PREFIX": "retour",
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.MembershipModelBackend",
    "django.contrib.auth.backends.ModelBackend",  # sessions opened before the one above existed
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Retour] "
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "request_login_code": "20/m/ip,3/m/key",
    "confirm_email": "1/3m/key",
    "signup": "20/m/ip",
}
# Public self-signup is closed: client users join by invitation.
RETOUR_OPEN_SIGNUP = env.bool("RETOUR_OPEN_SIGNUP", default=False)
# With sign-up closed, an unknown address gets no "create an account" email pointing at a closed page.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = RETOUR_OPEN_SIGNUP
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Retour"
# Staff must enrol TOTP; only development settings may relax this.
RETOUR_REQUIRE_STAFF_MFA = True

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/swagger-ui", BASE_DIR / "node_modules" / "swagger-ui-dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env.path("RETOUR_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"

# Email: every message is an outbox row first (core.OutboundEmail), then sent by Celery.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Retour <retour@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
# Transient failures are retried (30 s doubling up to 1 h) until this long after creation, then dead:
# a night-long SMTP outage loses nothing. Only an SMTP 5xx refusal is final at once. See docs/EMAIL.md.
OUTBOX_RETRY_HORIZON_HOURS = env.int("OUTBOX_RETRY_HORIZON_HOURS", default=24)
OUTBOX_BACKOFF_BASE_SECONDS = env.int("OUTBOX_BACKOFF_BASE_SECONDS", default=30)
OUTBOX_BACKOFF_CAP_SECONDS = env.int("OUTBOX_BACKOFF_CAP_SECONDS", default=3600)
# A public feedback event still not fanned out this long after creation is re-queued by the sweep.
OUTBOX_FANOUT_STALE_SECONDS = 60

# Celery
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
# Longer than the longest countdown (OUTBOX_BACKOFF_CAP_SECONDS) so a delayed task is not redelivered early.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 3600}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "core.outbox_sweep", "schedule": 60.0},
    "feedback-fanout-sweep": {"task": "feedback.fanout_sweep", "schedule": 60.0},
    "feedback-status-counts-compact": {"task": "feedback.status_counts_compact", "schedule": 60.0},
    "feedback-lexicon-refresh": {"task": "feedback.lexicon_refresh", "schedule": crontab(minute=17)},
    "roadmap-release-fanout-sweep": {"task": "roadmap.release_fanout_sweep", "schedule": 60.0},
    "clubs-mailing-sweep": {"task": "clubs.mailing_sweep", "schedule": 60.0},
    "clubs-reminders": {"task": "clubs.reminders_send", "schedule": 300.0},
    # Every 5 minutes so a 08:30 digest leaves at 08:30; one Digest row per period makes it safe.
    "reporting-digests-due": {"task": "reporting.digests_due", "schedule": crontab(minute="*/5")},
    "reporting-digests-sweep": {"task": "reporting.digests_sweep", "schedule": 120.0},
    # Shorter than the dashboard's cache (5 minutes): the default dashboard is always ready.
    "reporting-dashboard-warm": {"task": "reporting.dashboard_warm", "schedule": 240.0},
    "roadmap-business-case-nightly": {
        "task": "roadmap.business_case_refresh_all",
        "schedule": crontab(hour=3, minute=30),
    },
}
# The queue follows the installation's database: seeding or generating into a second database (a
# benchmark's) never hands its tasks to the worker of another installation sharing the Redis.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default=f"retour.{DATABASES['default']['NAME']}")
# When Redis is down at commit, give up publishing quickly: the request answers and the sweep recovers.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_TASK_ALWAYS_EAGER = False

# Django REST Framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        # An integration at 20 requests a second stays far below (README, "API"); 1,200/min capped it.
        "user": env("API_THROTTLE_USER", default="100/s"),
        "bad_token": env("API_THROTTLE_BAD_TOKEN", default="20/min"),
    },
    # The API reads JSON only (a form body is a 415): one object, bounded in depth, without NUL.
    "DEFAULT_PARSER_CLASSES": ["core.api.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Retour API",
    "DESCRIPTION": "Customer-feedback triage: requests, votes, roadmap, clubs and reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": "/static/img/favicon.svg",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets whose field names ("status", "kind") other models use too: named, not hashed.
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "feedback.models.Feedback.Kind",  # the names they had before the roadmap's
        "StatusEnum": "feedback.models.Feedback.Status",
        "RoadmapItemStatusEnum": "roadmap.models.RoadmapItem.Status",
        "ReleaseStatusEnum": "roadmap.models.Release.Status",
        "DecisionKindEnum": "roadmap.models.Decision.Kind",
        # The clubs' choice sets beside the feedback's and the roadmap's own "status" and "visibility".
        "VisibilityEnum": "feedback.models.Feedback.Visibility",
        "ClubVisibilityEnum": "clubs.models.Club.Visibility",
        "ClubMembershipStatusEnum": "clubs.models.ClubMembership.Status",
        "MeetingStatusEnum": "clubs.models.Meeting.Status",
        "MeetingVoteStatusEnum": "clubs.models.MeetingVote.Status",
        "ActionItemStatusEnum": "clubs.models.ActionItem.Status",
        "RsvpEnum": "clubs.models.Invitation.Rsvp",
        # Reporting: a digest's status, and a digest recipient's (the outbox email's, or not queued).
        "DigestStatusEnum": "reporting.models.Digest.Status",
        "DigestRecipientStatusEnum": "reporting.api.RECIPIENT_STATUSES",
        "DigestSectionEnum": "reporting.models.Section",
        "DigestFrequencyEnum": "reporting.models.DigestSubscription.Frequency",
        "DigestWeekdayEnum": "reporting.models.DigestSubscription.Weekday",
        "SegmentEnum": "accounts.models.Organization.Segment",  # an organization's and a subscription's segments
    },
}

# Security headers and Content-Security-Policy (django-csp 4)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the CSRF token travels in a meta tag for htmx, cookie stays readable for DRF docs

# Logging: one line per event on stdout, with request and user ids.
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "core.logging.RequestContextFilter"}},
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s %(name)s request=%(request_id)s user=%(user_id)s %(message)s",
        }
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_context"],
            "formatter": "line",
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"level": "WARNING"},
    },
}
