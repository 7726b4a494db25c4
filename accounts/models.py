import hashlib
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone as dj_timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

# Language lives in core (every app shares it) and stays importable from here.
from core.choices import Language

TIMEZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"]


def validate_timezone(value: str) -> None:
    # Validated, not a `choices`, so migrations do not depend on the machine's tz database.
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone.")) from exc


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def staff(self):
        """Product owners and contributors (an indexed lookup, unlike excluding the empty role)."""
        return self.filter(staff_role__in=[User.StaffRole.PRODUCT_OWNER, User.StaffRole.CONTRIBUTOR])

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Email is the login. Staff have a staff role; client users have a Membership."""

    class StaffRole(models.TextChoices):
        NONE = "", _("None (client user)")
        PRODUCT_OWNER = "product_owner", _("Product owner")
        CONTRIBUTOR = "contributor", _("Contributor")

    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.EN)
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone], default="Europe/Paris")
    staff_role = models.CharField(_("staff role"), max_length=20, choices=StaffRole.choices, blank=True, default="")
    is_staff = models.BooleanField(_("Django admin access"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=dj_timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["staff_role"], name="user_staff_role_idx")]

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email

    @property
    def is_product_owner(self) -> bool:
        return self.staff_role == self.StaffRole.PRODUCT_OWNER or self.is_superuser

    @property
    def is_contributor(self) -> bool:
        return self.staff_role == self.StaffRole.CONTRIBUTOR

    @property
    def is_staff_member(self) -> bool:
        """Publisher staff: product owners, contributors and superusers."""
        return bool(self.staff_role) or self.is_superuser

    @cached_property
    def membership(self) -> "Membership | None":
        try:
            return self.client_membership
        except Membership.DoesNotExist:
            return None

    @property
    def organization(self) -> "Organization | None":
        membership = self.membership
        return membership.organization if membership else None

    @property
    def is_client_admin(self) -> bool:
        membership = self.membership
        return bool(membership and membership.role == Membership.Role.ADMIN)

    @property
    def role(self) -> str:
        """One word for the API and the UI: product_owner, contributor, admin, member, superuser or none."""
        if self.staff_role:
            return self.staff_role
        if self.is_superuser:
            return "superuser"
        membership = self.membership
        return membership.role if membership else "none"


class Organization(models.Model):
    """A client company of the publisher."""

    class Segment(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        MID_MARKET = "mid_market", _("Mid-market")
        SMALL_BUSINESS = "small_business", _("Small business")
        PUBLIC_SECTOR = "public_sector", _("Public sector")

    class Tier(models.TextChoices):
        STANDARD = "standard", _("Standard")
        PREMIUM = "premium", _("Premium")
        STRATEGIC = "strategic", _("Strategic")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    email_domains = ArrayField(
        models.CharField(max_length=255), verbose_name=_("email domains"), default=list, blank=True
    )
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices, default=Segment.MID_MARKET)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.STANDARD)
    annual_contract_value = models.DecimalField(_("annual contract value"), max_digits=14, decimal_places=2, default=0)
    renewal_date = models.DateField(_("renewal date"), null=True, blank=True)
    account_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_organizations",
        limit_choices_to=~models.Q(staff_role=""),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["segment"], name="org_segment_idx"),
            models.Index(fields=["renewal_date"], name="org_renewal_idx"),
            # A name typed in any case: name__istartswith (suggestions) and name__iexact (the filter).
            models.Index(OpClass(Upper("name"), name="text_pattern_ops"), name="org_name_upper_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(annual_contract_value__gte=0), name="org_acv_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A client user's place in their company. One organization per client user."""

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        ADMIN = "admin", _("Admin")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="client_membership"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        indexes = [models.Index(fields=["organization", "role"], name="membership_org_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"


class Team(models.Model):
    """A mailing group for reports: staff members plus outside addresses."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="teams", blank=True
    )
    extra_emails = ArrayField(models.EmailField(), verbose_name=_("outside addresses"), default=list, blank=True)
    language = models.CharField(
        _("language for outside addresses"), max_length=8, choices=Language.choices, default=Language.EN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    """An invitation for a person to join a client organization."""

    email = models.EmailField(_("email address"))
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(_("role"), max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.EN)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invited by"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="invitation_org_idx")]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.expires_at > dj_timezone.now()


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A named personal API token. Only its hash is stored; the key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
