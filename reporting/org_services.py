"""Writes for client organizations: create and edit (the CSV import lives in reporting.org_import).

Product owners only (reporting_require MANAGE: a contributor gets 403, anyone not on staff 404).
Each service owns its transaction; bad input raises a translated ValidationError keyed by field and
nothing is written. Email domains are unique across organizations: the check and the write happen
under one transaction-level advisory lock, so two saves cannot both take the same domain.
"""

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.db import IntegrityError, connection, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import Organization, User
from reporting.policy import Action, reporting_require

NAME_MAX = Organization._meta.get_field("name").max_length
SLUG_MAX = Organization._meta.get_field("slug").max_length
ACV_FIELD = Organization._meta.get_field("annual_contract_value")
ACV_MAX_DIGITS, ACV_DECIMALS = ACV_FIELD.max_digits, ACV_FIELD.decimal_places
DOMAIN_MAX = 253
# A host name: labels of letters, digits and inner hyphens, at least one dot, a top-level label of
# letters (or an IDN "xn--" label).
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
# One key for every write that checks the uniqueness of email domains (pg_advisory_xact_lock).
DOMAINS_LOCK = 74_310_901


def lock_domains() -> None:
    """Serialize the writers of organizations' email domains until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DOMAINS_LOCK])


def split_domains(value) -> list[str]:
    """'a.com, b.com' or one per line (or a list) → ['a.com', 'b.com'], lower-cased, '@' dropped, deduplicated."""
    parts = value if isinstance(value, list | tuple) else re.split(r"[\s,;]+", value or "")
    out: list[str] = []
    for part in parts:
        domain = str(part).strip().lower().lstrip("@").rstrip(".")
        if domain and domain not in out:
            out.append(domain)
    return out


def domain_error(domain: str) -> str | None:
    if len(domain) > DOMAIN_MAX or not DOMAIN_RE.match(domain):
        return _("%(domain)s is not a valid email domain (write it as example.com).") % {"domain": domain}
    return None


def domain_taken_error(domain: str, organization_name: str) -> str:
    return _("The email domain %(domain)s is already used by %(organization)s.") % {
        "domain": domain,
        "organization": organization_name,
    }


def domains_used_elsewhere(domains: list[str], *, exclude_pk: int | None = None) -> dict[str, str]:
    """{domain: name of the other organization using it} (one query)."""
    if not domains:
        return {}
    rows = Organization.objects.filter(email_domains__overlap=domains)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    used: dict[str, str] = {}
    for name, theirs in rows.values_list("name", "email_domains"):
        for domain in theirs:
            if domain.lower() in domains:
                used.setdefault(domain.lower(), name)
    return used


def parse_amount(value) -> Decimal:
    """An annual contract value: '12000', '12000.50', '12 000,50' (a decimal comma), '12,000.50'.

    Raises ValueError when it is not a number, negative or too large for the field."""
    if isinstance(value, Decimal):
        amount = value
    else:
        text = re.sub(r"[\s\u00a0\u202f]", "", str(value or ""))
        if "," in text and "." in text:
            text = text.replace(",", "")
        elif text.count(",") == 1:
            text = text.replace(",", ".")
        if not re.fullmatch(r"\d+(\.\d+)?", text):
            raise ValueError(text)
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(text) from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError(str(value))
    try:
        DecimalValidator(ACV_MAX_DIGITS, ACV_DECIMALS)(amount)
    except ValidationError as exc:
        raise ValueError(str(value)) from exc
    return amount


def amount_error() -> str:
    return _(
        "Write the annual contract value as a number of at least 0, with at most %(digits)s digits "
        "before the decimal point and %(decimals)s after it."
    ) % {"digits": ACV_MAX_DIGITS - ACV_DECIMALS, "decimals": ACV_DECIMALS}


def unique_slug(base: str, *, exclude_pk: int | None = None, taken: set[str] | None = None) -> str:
    """`base`, or `base-2`, `base-3`... the first one no other organization has (one query)."""
    base = (base or "organization")[:SLUG_MAX].strip("-") or "organization"
    existing = Organization.objects.filter(slug__startswith=base[: SLUG_MAX - 4])
    if exclude_pk is not None:
        existing = existing.exclude(pk=exclude_pk)
    used = set(existing.values_list("slug", flat=True)) | (taken or set())
    if base not in used:
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
        if candidate not in used:
            return candidate
        n += 1


@dataclass
class OrganizationValues:
    name: str
    slug: str
    email_domains: list[str]
    segment: str
    tier: str
    annual_contract_value: Decimal
    renewal_date: dt.date | None
    account_owner: User | None


def _validate(*, organization: Organization | None, values: dict) -> OrganizationValues:
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    name = str(values.get("name") or "").strip()
    if not name:
        error("name", _("Give the organization a name."))
    elif len(name) > NAME_MAX:
        error("name", _("Keep the name under %(n)s characters.") % {"n": NAME_MAX})
    if "\x00" in name:
        error("name", _("This text contains a character that is not allowed."))
    slug = str(values.get("slug") or "").strip().lower()
    if slug and (len(slug) > SLUG_MAX or not SLUG_RE.match(slug)):
        error(
            "slug", _("A slug is made of letters, digits, hyphens and underscores (at most %(n)s).") % {"n": SLUG_MAX}
        )
    domains = split_domains(values.get("email_domains") or [])
    for domain in domains:
        message = domain_error(domain)
        if message:
            error("email_domains", message)
    segment = values.get("segment") or Organization.Segment.MID_MARKET
    if segment not in Organization.Segment.values:
        error("segment", _("Choose a valid segment."))
    tier = values.get("tier") or Organization.Tier.STANDARD
    if tier not in Organization.Tier.values:
        error("tier", _("Choose a valid tier."))
    acv = values.get("annual_contract_value")
    try:
        acv = parse_amount(acv if acv not in (None, "") else Decimal(0))
    except ValueError:
        error("annual_contract_value", amount_error())
    renewal = values.get("renewal_date") or None
    if renewal is not None and not isinstance(renewal, dt.date):
        error("renewal_date", _("Write the renewal date as YYYY-MM-DD."))
    owner = values.get("account_owner")
    if owner is not None and not (isinstance(owner, User) and owner.is_staff_member and owner.is_active):
        error("account_owner", _("The account owner must be an active member of staff."))
    if errors:
        raise ValidationError(errors)
    return OrganizationValues(
        name=name,
        slug=slug,
        email_domains=domains,
        segment=segment,
        tier=tier,
        annual_contract_value=acv,
        renewal_date=renewal,
        account_owner=owner,
    )


FIELDS = ["name", "slug", "email_domains", "segment", "tier", "annual_contract_value", "renewal_date", "account_owner"]


def organization_save(*, actor: User, organization: Organization | None = None, **values) -> Organization:
    """Create (organization=None) or update an organization.

    values: name, slug (blank: made from the name, made unique), email_domains (a list or text,
    comma or line separated), segment, tier, annual_contract_value, renewal_date, account_owner."""
    reporting_require(user=actor, action=Action.MANAGE)
    clean = _validate(organization=organization, values=values)
    pk = organization.pk if organization is not None else None
    try:
        with transaction.atomic():
            lock_domains()
            if organization is not None:
                organization = Organization.objects.select_for_update().get(pk=pk)
            errors: dict[str, list[str]] = {}
            if clean.slug:
                if Organization.objects.filter(slug=clean.slug).exclude(pk=pk).exists():
                    errors["slug"] = [_("Another organization already has this slug.")]
            else:
                clean.slug = (
                    organization.slug
                    if organization is not None and organization.name == clean.name
                    else unique_slug(slugify(clean.name), exclude_pk=pk)
                )
            used = domains_used_elsewhere(clean.email_domains, exclude_pk=pk)
            if used:
                errors["email_domains"] = [domain_taken_error(d, name) for d, name in used.items()]
            if errors:
                raise ValidationError(errors)
            if organization is None:
                organization = Organization.objects.create(**{f: getattr(clean, f) for f in FIELDS})
            else:
                for field in FIELDS:
                    setattr(organization, field, getattr(clean, field))
                organization.save(update_fields=FIELDS)
    except IntegrityError as exc:  # a slug taken between the check and the write
        raise ValidationError({"slug": [_("Another organization already has this slug.")]}) from exc
    return organization
