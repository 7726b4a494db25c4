"""Import organizations and their contacts from a CSV file: parse, check, preview, then import all
or nothing.

The file: UTF-8 (with or without a byte-order mark), `;` or `,` between columns (whichever the header
line uses), one row per contact with the organization's columns repeated (a row without a contact
only creates or updates the organization). Columns: see COLUMNS. An organization whose slug (given,
or made from the name) already exists is updated: the columns left blank keep its values, email
domains are added to its own (an import never removes one). Cells are data: a cell that looks like a
spreadsheet formula ("=SUM(A1)") is stored as that text, never evaluated.

Contacts join through the accounts app's own invitation (accounts.services.invitation_create): each
new person gets the usual invitation email and sets their own name and password when accepting it.
A person already a member of the organization gets the file's role; one already invited (an
invitation not yet used) is left alone.

`parse` and `validate` are pure (bytes → rows → plan, given the database facts `load_facts` reads
in a fixed number of queries); `preview` reads only; `organizations_import` is the one service: it
checks everything again inside its transaction, under the lock on email domains, and refuses the
whole file if any row has an error, so nothing is ever half-imported.
"""

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Invitation, Language, Membership, Organization, User
from accounts.services import invitation_create
from reporting.org_services import (
    NAME_MAX,
    SLUG_MAX,
    SLUG_RE,
    amount_error,
    domain_error,
    domain_taken_error,
    lock_domains,
    parse_amount,
    split_domains,
)
from reporting.policy import Action, reporting_require

COLUMNS = (
    "organization_name",
    "slug",
    "segment",
    "tier",
    "annual_contract_value",
    "renewal_date",
    "email_domains",
    "contact_email",
    "contact_name",
    "contact_role",
    "contact_language",
)
ORG_COLUMNS = ("organization_name", "segment", "tier", "annual_contract_value", "renewal_date", "email_domains")
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
CONTACT_NAME_MAX = User._meta.get_field("name").max_length
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# Parsing (pure) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    line: int  # the line of the file (the header is line 1)
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")


def content_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _decode(content: bytes) -> str:
    if len(content) > MAX_BYTES:
        raise ValidationError(
            _("The file is larger than %(n)s MB: split it into smaller files.") % {"n": MAX_BYTES // (1024 * 1024)}
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(_('The file is not UTF-8 text: save it from your spreadsheet as "CSV UTF-8".')) from exc
    if "\x00" in text:
        raise ValidationError(_("The file contains a character that is not allowed (NUL): is it really a CSV file?"))
    return text


def _delimiter(header_line: str) -> str:
    """`;` or `,`: whichever the header line uses more (column names contain neither)."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def parse(content: bytes) -> list[Row]:
    """The rows of a CSV file, cells stripped; raises ValidationError for a file that cannot be read."""
    text = _decode(content)
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    if not first_line.strip():
        raise ValidationError(_("The file is empty."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=False)
    header: list[str] | None = None
    rows: list[Row] = []
    try:
        for cells in reader:
            if header is None:
                if not any(c.strip() for c in cells):
                    continue
                header = [c.strip().lower() for c in cells]
                unknown = [c for c in header if c and c not in COLUMNS]
                if unknown:
                    raise ValidationError(
                        _("Unknown columns: %(unknown)s. The columns are: %(columns)s.")
                        % {"unknown": ", ".join(unknown), "columns": ", ".join(COLUMNS)}
                    )
                if "organization_name" not in header:
                    raise ValidationError(_("The organization_name column is missing."))
                if len([c for c in header if c]) != len({c for c in header if c}):
                    raise ValidationError(_("A column appears twice in the header."))
                continue
            if not any(c.strip() for c in cells):
                continue
            values = {}
            for name, cell in zip(header, cells, strict=False):
                if name:
                    values[name] = cell.strip()
            rows.append(Row(line=reader.line_num, values=values))
            if len(rows) > MAX_ROWS:
                raise ValidationError(
                    _("The file has more than %(n)s rows: split it into smaller files.") % {"n": MAX_ROWS}
                )
    except csv.Error as exc:
        raise ValidationError(
            _("The file is not a valid CSV file (line %(line)s).") % {"line": reader.line_num}
        ) from exc
    if header is None:
        raise ValidationError(_("The file is empty."))
    if not rows:
        raise ValidationError(_("The file has a header but no rows."))
    return rows


# Facts from the database ------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgFact:
    id: int
    name: str
    slug: str
    email_domains: tuple[str, ...]
    segment: str
    tier: str
    annual_contract_value: Decimal
    renewal_date: dt.date | None


@dataclass(frozen=True)
class UserFact:
    id: int
    is_staff: bool
    organization_id: int | None
    organization_name: str
    role: str
    membership_id: int | None


@dataclass
class Facts:
    organizations: dict[str, OrgFact] = field(default_factory=dict)  # by slug
    domain_owners: dict[str, OrgFact] = field(default_factory=dict)  # by domain
    users: dict[str, UserFact] = field(default_factory=dict)  # by lower-cased email
    invited: set[tuple[int, str]] = field(default_factory=set)  # (organization id, email) not yet accepted


def _row_slug(row: Row) -> str:
    return (row.get("slug") or slugify(row.get("organization_name"))).lower()


def _fact(org: Organization) -> OrgFact:
    return OrgFact(
        id=org.pk,
        name=org.name,
        slug=org.slug,
        email_domains=tuple(d.lower() for d in org.email_domains),
        segment=org.segment,
        tier=org.tier,
        annual_contract_value=org.annual_contract_value,
        renewal_date=org.renewal_date,
    )


def load_facts(rows: list[Row]) -> Facts:
    """What the checks need from the database, in four queries whatever the number of rows."""
    slugs = {_row_slug(r) for r in rows} - {""}
    domains = sorted({d for r in rows for d in split_domains(r.get("email_domains"))})
    emails = sorted({r.get("contact_email").lower() for r in rows} - {""})
    facts = Facts()
    orgs = Organization.objects.filter(Q(slug__in=slugs) | Q(email_domains__overlap=domains or ["-"]))
    for org in orgs:
        fact = _fact(org)
        if org.slug in slugs:
            facts.organizations[org.slug] = fact
        for domain in fact.email_domains:
            if domain in domains:
                facts.domain_owners.setdefault(domain, fact)
    if emails:
        users = User.objects.filter(email__in=emails).select_related("client_membership__organization")
        for user in users:
            membership = user.membership
            facts.users[user.email.lower()] = UserFact(
                id=user.pk,
                is_staff=user.is_staff_member,
                organization_id=membership.organization_id if membership else None,
                organization_name=membership.organization.name if membership else "",
                role=membership.role if membership else "",
                membership_id=membership.pk if membership else None,
            )
        facts.invited = set(
            Invitation.objects.filter(email__in=emails, accepted_at__isnull=True, expires_at__gt=timezone.now())
            .values_list("organization_id", "email")
            .iterator()
        )
        facts.invited = {(org_id, email.lower()) for org_id, email in facts.invited}
    return facts


# Checking (pure) --------------------------------------------------------------------------------


class OrgAction:
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


class ContactAction:
    NONE = ""
    INVITE = "invite"
    ROLE = "role"
    MEMBER = "member"  # already a member with this role
    INVITED = "invited"  # already invited, invitation not used yet


def _as_list(value):
    return list(value) if isinstance(value, tuple) else value


@dataclass
class OrgPlan:
    slug: str
    line: int
    name: str
    existing: OrgFact | None
    values: dict = field(default_factory=dict)  # column → cleaned value, from the first row giving it
    value_lines: dict = field(default_factory=dict)  # column → the line that gave it
    domains: list[str] = field(default_factory=list)

    @property
    def changes(self) -> dict:
        """The fields to write (all of them for a new organization)."""
        old = self.existing
        new = {
            "name": self.name,
            "segment": self.values.get("segment") or (old.segment if old else Organization.Segment.MID_MARKET),
            "tier": self.values.get("tier") or (old.tier if old else Organization.Tier.STANDARD),
            "annual_contract_value": (
                self.values["annual_contract_value"]
                if "annual_contract_value" in self.values
                else (old.annual_contract_value if old else Decimal(0))
            ),
            "renewal_date": self.values.get("renewal_date") or (old.renewal_date if old else None),
            "email_domains": list(old.email_domains if old else ())
            + [d for d in self.domains if not old or d not in old.email_domains],
        }
        if old is None:
            return new
        return {key: value for key, value in new.items() if value != _as_list(getattr(old, key))}

    @property
    def action(self) -> str:
        if self.existing is None:
            return OrgAction.CREATE
        return OrgAction.UPDATE if self.changes else OrgAction.UNCHANGED


@dataclass
class RowPlan:
    line: int
    values: dict[str, str]
    slug: str
    errors: list[str] = field(default_factory=list)
    org_action: str = ""
    contact_email: str = ""
    contact_role: str = ""
    contact_language: str = ""
    contact_action: str = ContactAction.NONE
    membership_id: int | None = None

    @property
    def org_action_label(self) -> str:
        return {
            OrgAction.CREATE: _("new organization"),
            OrgAction.UPDATE: _("organization updated"),
            OrgAction.UNCHANGED: _("organization unchanged"),
        }.get(self.org_action, "")

    @property
    def contact_action_label(self) -> str:
        return {
            ContactAction.INVITE: _("invited by email"),
            ContactAction.ROLE: _("already a member: role changed"),
            ContactAction.MEMBER: _("already a member"),
            ContactAction.INVITED: _("already invited"),
        }.get(self.contact_action, "")


@dataclass
class Plan:
    rows: list[RowPlan]
    organizations: dict[str, OrgPlan]

    @property
    def error_rows(self) -> int:
        return sum(1 for r in self.rows if r.errors)

    @property
    def ok(self) -> bool:
        return self.error_rows == 0

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.contact_action == action)

    def org_count(self, action: str) -> int:
        return sum(1 for o in self.organizations.values() if o.action == action)

    def summary(self) -> dict:
        return {
            "rows": len(self.rows),
            "error_rows": self.error_rows,
            "created": self.org_count(OrgAction.CREATE),
            "updated": self.org_count(OrgAction.UPDATE),
            "unchanged": self.org_count(OrgAction.UNCHANGED),
            "invited": self.count(ContactAction.INVITE),
            "roles": self.count(ContactAction.ROLE),
            "already": self.count(ContactAction.MEMBER) + self.count(ContactAction.INVITED),
        }


def _choice(value: str, choices) -> str | None:
    """A segment or tier from its key, written loosely ('Mid-market', 'mid market'), or None."""
    key = re.sub(r"[\s-]+", "_", value.strip().lower())
    return key if key in choices else None


def _check_org_columns(row: Row, errors: list[str]) -> dict:
    """The organization columns of one row, cleaned (blank ones left out)."""
    values: dict = {}
    if row.get("segment"):
        values["segment"] = _choice(row.get("segment"), Organization.Segment.values)
        if values["segment"] is None:
            errors.append(
                _("segment: %(value)s is not one of %(choices)s.")
                % {"value": row.get("segment"), "choices": ", ".join(Organization.Segment.values)}
            )
    if row.get("tier"):
        values["tier"] = _choice(row.get("tier"), Organization.Tier.values)
        if values["tier"] is None:
            errors.append(
                _("tier: %(value)s is not one of %(choices)s.")
                % {"value": row.get("tier"), "choices": ", ".join(Organization.Tier.values)}
            )
    if row.get("annual_contract_value"):
        try:
            values["annual_contract_value"] = parse_amount(row.get("annual_contract_value"))
        except ValueError:
            errors.append(_("annual_contract_value: %(message)s") % {"message": amount_error()})
    if row.get("renewal_date"):
        text = row.get("renewal_date")
        try:
            if not DATE_RE.match(text):
                raise ValueError(text)
            values["renewal_date"] = dt.date.fromisoformat(text)
        except ValueError:
            errors.append(_("renewal_date: write the date as YYYY-MM-DD (%(value)s).") % {"value": text})
    return values


def validate(rows: list[Row], facts: Facts) -> Plan:
    """Every row's errors and what importing it would do."""
    organizations: dict[str, OrgPlan] = {}
    domain_claims: dict[str, tuple[str, int]] = {}  # domain → (slug, line) within the file
    emails_seen: dict[str, int] = {}
    plans: list[RowPlan] = []
    for row in rows:
        errors: list[str] = []
        name = row.get("organization_name")
        given_slug = row.get("slug").lower()
        slug = _row_slug(row)
        plan = RowPlan(line=row.line, values=dict(row.values), slug=slug, errors=errors)
        plans.append(plan)
        if not name:
            errors.append(_("organization_name is missing."))
        elif len(name) > NAME_MAX:
            errors.append(_("organization_name: keep it under %(n)s characters.") % {"n": NAME_MAX})
        if given_slug and (len(given_slug) > SLUG_MAX or not SLUG_RE.match(given_slug)):
            errors.append(
                _("slug: use letters, digits, hyphens and underscores only (at most %(n)s).") % {"n": SLUG_MAX}
            )
            slug = ""
        elif name and not slug:
            errors.append(_("slug: none can be made from this name; give one."))
        if len(slug) > SLUG_MAX:
            errors.append(_("slug: the name is too long to make one; give a shorter slug."))
            slug = ""
        values = _check_org_columns(row, errors)
        domains = split_domains(row.get("email_domains"))
        for domain in domains:
            message = domain_error(domain)
            if message:
                errors.append(_("email_domains: %(message)s") % {"message": message})
        # The organization of this row: the first row of a slug defines it, later rows repeat it.
        org = organizations.get(slug) if slug else None
        if slug and name and org is None:
            org = OrgPlan(slug=slug, line=row.line, name=name, existing=facts.organizations.get(slug))
            organizations[slug] = org
        elif org is not None and name and name != org.name:
            errors.append(
                _("slug %(slug)s is already used on line %(line)s for another organization (%(name)s).")
                % {"slug": slug, "line": org.line, "name": org.name}
            )
            org = None
        if org is not None:
            plan.slug = org.slug
            for column, value in values.items():
                if value is None:
                    continue
                if column in org.values and org.values[column] != value:
                    errors.append(
                        _("%(column)s differs from line %(line)s for the same organization.")
                        % {"column": column, "line": org.value_lines[column]}
                    )
                else:
                    org.values.setdefault(column, value)
                    org.value_lines.setdefault(column, row.line)
            for domain in domains:
                if domain_error(domain):
                    continue
                owner = facts.domain_owners.get(domain)
                claim = domain_claims.get(domain)
                if owner is not None and owner.slug != org.slug:
                    errors.append(_("email_domains: %(message)s") % {"message": domain_taken_error(domain, owner.name)})
                elif claim is not None and claim[0] != org.slug:
                    errors.append(
                        _("email_domains: %(domain)s is also given on line %(line)s for another organization.")
                        % {"domain": domain, "line": claim[1]}
                    )
                else:
                    domain_claims.setdefault(domain, (org.slug, row.line))
                    if domain not in org.domains:
                        org.domains.append(domain)
        _check_contact(row, plan, org, facts, emails_seen)
    for plan in plans:
        org = organizations.get(plan.slug)
        plan.org_action = org.action if org is not None and not plan.errors else ""
        if plan.errors:
            plan.contact_action = ContactAction.NONE
    return Plan(rows=plans, organizations=organizations)


def _check_contact(row: Row, plan: RowPlan, org: OrgPlan | None, facts: Facts, seen: dict[str, int]) -> None:
    errors = plan.errors
    email = row.get("contact_email").lower()
    if not email:
        if row.get("contact_name") or row.get("contact_role") or row.get("contact_language"):
            errors.append(_("contact_email is missing (the row has other contact columns)."))
        return
    try:
        validate_email(email)
    except ValidationError:
        errors.append(_("contact_email: %(email)s is not a valid email address.") % {"email": email})
        return
    if email in seen:
        errors.append(
            _("contact_email: %(email)s is also on line %(line)s (one row per person).")
            % {"email": email, "line": seen[email]}
        )
        return
    seen[email] = row.line
    role = row.get("contact_role").lower()
    if role and role not in Membership.Role.values:
        errors.append(_("contact_role: write admin or member (%(value)s).") % {"value": row.get("contact_role")})
    language = row.get("contact_language").lower()
    if language and language not in Language.values:
        errors.append(
            _("contact_language: write one of %(choices)s (%(value)s).")
            % {"choices": ", ".join(Language.values), "value": row.get("contact_language")}
        )
    if len(row.get("contact_name")) > CONTACT_NAME_MAX:
        errors.append(_("contact_name: keep it under %(n)s characters.") % {"n": CONTACT_NAME_MAX})
    user = facts.users.get(email)
    existing_id = org.existing.id if org is not None and org.existing is not None else None
    if user is not None and user.is_staff:
        errors.append(_("contact_email: %(email)s is a member of staff, not a client.") % {"email": email})
    elif user is not None and user.organization_id is not None and user.organization_id != existing_id:
        errors.append(
            _("contact_email: %(email)s already belongs to another company (%(organization)s).")
            % {"email": email, "organization": user.organization_name}
        )
    if errors or org is None:
        return
    plan.contact_email = email
    plan.contact_language = language or Language.EN
    if user is not None and user.organization_id is not None:  # a member of this very organization
        plan.contact_role = role or user.role
        plan.membership_id = user.membership_id
        plan.contact_action = ContactAction.ROLE if plan.contact_role != user.role else ContactAction.MEMBER
    elif existing_id is not None and (existing_id, email) in facts.invited:
        plan.contact_role = role or Membership.Role.MEMBER
        plan.contact_action = ContactAction.INVITED
    else:
        plan.contact_role = role or Membership.Role.MEMBER
        plan.contact_action = ContactAction.INVITE


# Preview and import -----------------------------------------------------------------------------


def preview(content: bytes) -> Plan:
    """What importing this file would do, row by row; reads only. Raises ValidationError for an unreadable file."""
    rows = parse(content)
    return validate(rows, load_facts(rows))


class ImportRefused(ValidationError):
    """Some rows have errors: nothing was imported. `plan` holds them, row by row."""

    def __init__(self, plan: Plan):
        self.plan = plan
        n = plan.error_rows
        super().__init__(
            ngettext(
                "%(n)s row has errors: nothing was imported.",
                "%(n)s rows have errors: nothing was imported.",
                n,
            )
            % {"n": n}
        )


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    invited: int = 0
    roles: int = 0
    organization_ids: list[int] = field(default_factory=list)


def organizations_import(*, actor: User, content: bytes) -> ImportResult:
    """Import the file in one transaction: every row, or none (ImportRefused if any row has an error)."""
    reporting_require(user=actor, action=Action.MANAGE)
    rows = parse(content)
    result = ImportResult()
    with transaction.atomic():
        lock_domains()  # no other write can take a domain between the checks and the writes
        plan = validate(rows, load_facts(rows))
        if not plan.ok:
            raise ImportRefused(plan)
        existing_ids = [o.existing.id for o in plan.organizations.values() if o.existing is not None]
        locked = Organization.objects.select_for_update().in_bulk(existing_ids)
        saved: dict[str, Organization] = {}
        for slug, org_plan in plan.organizations.items():
            changes = org_plan.changes
            if org_plan.existing is None:
                organization = Organization(slug=slug, **changes)
                organization.full_clean(validate_unique=False)
                organization.save()
                result.created += 1
            else:
                organization = locked[org_plan.existing.id]
                if changes:
                    for key, value in changes.items():
                        setattr(organization, key, value)
                    organization.full_clean(validate_unique=False)
                    organization.save(update_fields=list(changes))
                    result.updated += 1
            saved[slug] = organization
            result.organization_ids.append(organization.pk)
        for row in plan.rows:
            if row.contact_action == ContactAction.ROLE:
                Membership.objects.filter(pk=row.membership_id).update(role=row.contact_role)
                result.roles += 1
            elif row.contact_action == ContactAction.INVITE:
                invitation_create(
                    inviter=actor,
                    organization=saved[row.slug],
                    email=row.contact_email,
                    role=row.contact_role,
                    language=row.contact_language,
                )
                result.invited += 1
    return result
