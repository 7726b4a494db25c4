"""Importing organizations and contacts from a CSV file: the preview shows each row's errors,
nothing is written while any row has one, the import is all or nothing (even when the database
fails half-way), a byte-order mark and semicolons are understood, formula-looking cells stay text;
a contributor gets 403 and a client 404."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse

from accounts.models import Invitation, Membership, Organization
from core.models import OutboundEmail
from reporting import org_import
from reporting.org_import import ImportRefused, organizations_import, parse, preview

HEADER = (
    "organization_name,slug,segment,tier,annual_contract_value,renewal_date,email_domains,"
    "contact_email,contact_name,contact_role,contact_language"
)
GOOD = "\n".join(
    [
        HEADER,
        "Initech,initech,enterprise,premium,85000,2027-03-31,initech.com,peter@initech.com,Peter Gibbons,admin,en",
        "Initech,initech,enterprise,premium,85000,2027-03-31,initech.com,milton@initech.com,Milton Waddams,member,fr",
        'Umbrella,,public_sector,strategic,"12 000,50",,"umbrella.com umbrella.fr",,,,',
    ]
)


def _counts() -> tuple[int, int, int, int]:
    return (
        Organization.objects.count(),
        Invitation.objects.count(),
        OutboundEmail.objects.count(),
        Membership.objects.count(),
    )


def _upload(http, content: str | bytes, name: str = "orgs.csv"):
    data = content.encode() if isinstance(content, str) else content
    return http.post(
        reverse("reporting:organization_import"),
        {"action": "preview", "file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def _confirm(http, response):
    sha = response.context["confirm_form"].initial["sha256"]
    return http.post(reverse("reporting:organization_import"), {"action": "confirm", "sha256": sha})


# Parsing ----------------------------------------------------------------------------------------


def test_bom_and_semicolons_are_understood():
    content = "\ufeff" + GOOD.replace(",", ";").replace('"12 000;50"', "12 000,50").replace(
        '"umbrella.com umbrella.fr"', "umbrella.com umbrella.fr"
    )
    rows = parse(content.encode("utf-8"))
    assert [r.get("organization_name") for r in rows] == ["Initech", "Initech", "Umbrella"]
    assert rows[0].get("contact_email") == "peter@initech.com"
    assert rows[2].get("annual_contract_value") == "12 000,50"
    assert [r.line for r in rows] == [2, 3, 4]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"organization_name\n", "no rows"),
        (b"name,slug\nAcme,acme\n", "Unknown columns: name"),
        (b"slug\nacme\n", "organization_name column is missing"),
        ("organization_name\nSoci\xe9t\xe9\n".encode("latin-1"), "not UTF-8"),
        (b"organization_name\nA\x00B\n", "NUL"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(content, message):
    with pytest.raises(ValidationError) as exc:
        parse(content)
    assert message in exc.value.messages[0]


def test_a_file_over_the_limit_is_refused(login, product_owner):
    big = (HEADER + "\n" + "X," * 10 + "\n") + "y" * (2 * 1024 * 1024)
    response = _upload(login(product_owner), big)
    assert response.status_code == 400
    assert "larger than 2 MB" in " ".join(response.context["upload_form"].errors["file"])


# The preview: every row with its errors ----------------------------------------------------------


def test_preview_lists_each_rows_errors_and_writes_nothing(login, product_owner, contributor, org_a, org_b, admin_b):
    content = "\n".join(
        [
            HEADER,
            ",,enterprise,,,,,a@nowhere.test,,,",  # 2 missing name
            "Bad segment,,galactic,,,,,,,,",  # 3 bad segment
            "Bad number,,,,12abc,,,,,,",  # 4 bad number
            "Bad date,,,,,31/12/2027,,,,,",  # 5 bad date
            "Initech,initech,,,,,,,,,",  # 6 fine
            "Initrode,initech,,,,,,,,,",  # 7 duplicate slug, another name
            "Dup,dup,,,,,dup.com,same@dup.com,,,",  # 8 fine
            "Dup,dup,,,,,dup.com,same@dup.com,,,",  # 9 duplicate contact email
            "Taken,taken,,,,,acme.example,,,,",  # 10 domain of Acme
            f"Staffer,staffer,,,,,,{contributor.email},,,",  # 11 staff
            f"Poacher,poacher,,,,,,{admin_b.email},,,",  # 12 in Globex
            "Role,role,,,,,,r@role.test,,boss,de",  # 13 bad role and language
            "Negative,negative,,,-5,,,,,,",  # 14 negative
            "Slugless,bad slug!,,,,,,,,,",  # 15 bad slug
            "Other,other,,,,,initech.com,,,,",  # 16 fine, claims initech.com
            "Initech,initech,,,,,initech.com,,,,",  # 17 initech.com already given for another organization
        ]
    )
    before = _counts()
    response = _upload(login(product_owner), content)
    assert response.status_code == 200
    plan = response.context["plan"]
    errors = {row.line: " ".join(row.errors) for row in plan.rows}
    assert "organization_name is missing" in errors[2]
    assert "segment: galactic is not one of" in errors[3]
    assert "annual_contract_value" in errors[4]
    assert "renewal_date: write the date as YYYY-MM-DD" in errors[5]
    assert errors[6] == ""
    assert "slug initech is already used on line 6 for another organization (Initech)" in errors[7]
    assert errors[8] == ""
    assert "same@dup.com is also on line 8" in errors[9]
    assert "acme.example is already used by Acme" in errors[10]
    assert "is a member of staff" in errors[11]
    assert "already belongs to another company (Globex)" in errors[12]
    assert "contact_role" in errors[13] and "contact_language" in errors[13]
    assert "annual_contract_value" in errors[14]
    assert "slug: use letters" in errors[15]
    assert errors[16] == ""
    assert "initech.com is also given on line 16 for another organization" in errors[17]
    assert plan.error_rows == 13
    assert response.context["confirm_form"] is None
    html = response.content.decode()
    assert 'data-testid="import-confirm"' not in html
    assert "13 rows have errors" in html
    assert html.count('class="import-error"') == 13
    assert _counts() == before


def test_confirm_is_refused_while_rows_have_errors(login, product_owner, org_a):
    http = login(product_owner)
    content = HEADER + "\nTaken,taken,,,,,acme.example,someone@taken.test,,,\n"
    response = _upload(http, content)
    assert response.context["plan"].error_rows == 1
    before = _counts()
    # Even posting the right file's hash by hand cannot import it.
    sha = org_import.content_hash(content.encode())
    refused = http.post(reverse("reporting:organization_import"), {"action": "confirm", "sha256": sha})
    assert refused.status_code == 400
    assert "1 row has errors: nothing was imported." in refused.content.decode()
    assert _counts() == before
    with pytest.raises(ImportRefused) as exc:
        organizations_import(actor=product_owner, content=content.encode())
    assert exc.value.plan.error_rows == 1
    assert _counts() == before


# The import -------------------------------------------------------------------------------------


def test_preview_then_confirm_imports_organizations_and_invites_contacts(login, product_owner, org_a):
    http = login(product_owner)
    before = _counts()
    response = _upload(http, GOOD)
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary["created"], summary["invited"], summary["error_rows"]) == (2, 2, 0)
    assert _counts() == before  # the preview writes nothing
    done = _confirm(http, response)
    assert done.status_code == 302
    assert done["Location"] == reverse("reporting:organizations")
    initech = Organization.objects.get(slug="initech")
    umbrella = Organization.objects.get(slug="umbrella")
    assert (initech.name, initech.segment, initech.tier) == ("Initech", "enterprise", "premium")
    assert initech.annual_contract_value == Decimal("85000")
    assert str(initech.renewal_date) == "2027-03-31"
    assert initech.email_domains == ["initech.com"]
    assert umbrella.annual_contract_value == Decimal("12000.50")
    assert umbrella.email_domains == ["umbrella.com", "umbrella.fr"]
    invitations = {i.email: i for i in Invitation.objects.filter(organization=initech)}
    assert set(invitations) == {"peter@initech.com", "milton@initech.com"}
    assert (invitations["peter@initech.com"].role, invitations["peter@initech.com"].language) == ("admin", "en")
    assert (invitations["milton@initech.com"].role, invitations["milton@initech.com"].language) == ("member", "fr")
    # The usual invitation email, through the outbox, its link redacted in the log.
    emails = OutboundEmail.objects.filter(template="accounts/emails/invitation", to_email__endswith="@initech.com")
    assert emails.count() == 2
    assert all(e.is_sensitive for e in emails)
    # The stored upload is forgotten: confirming again does nothing.
    again = _confirm(http, response)
    assert again.status_code == 302
    assert Organization.objects.filter(slug="initech").count() == 1
    assert Invitation.objects.filter(organization=initech).count() == 2


def test_an_existing_organization_is_updated_by_slug_and_its_members_roles_set(
    login, product_owner, org_a, member_a, admin_a
):
    content = "\n".join(
        [
            HEADER,
            f"Acme Group,acme,,strategic,,2028-01-15,acme.fr,{member_a.email},,admin,",
            f"Acme Group,acme,,,,,,{admin_a.email},,,",
        ]
    )
    http = login(product_owner)
    response = _upload(http, content)
    plan = response.context["plan"]
    assert plan.ok
    assert [r.contact_action for r in plan.rows] == ["role", "member"]
    assert _confirm(http, response).status_code == 302
    org_a.refresh_from_db()
    assert (org_a.name, org_a.tier, str(org_a.renewal_date)) == ("Acme Group", "strategic", "2028-01-15")
    assert org_a.segment == "mid_market"  # blank: kept
    assert org_a.annual_contract_value == Decimal("120000")  # blank: kept
    assert org_a.email_domains == ["acme.example", "acme.fr"]  # added, never removed
    assert Membership.objects.get(user=member_a).role == "admin"
    assert Membership.objects.get(user=admin_a).role == "admin"
    assert not Invitation.objects.exists()


def test_formula_looking_cells_are_stored_as_text(login, product_owner):
    formula = '=HYPERLINK("http://evil.example","click")'
    content = "\n".join([HEADER, f'"{formula.replace(chr(34), chr(34) * 2)}",formula,,,,,,,"=1+2",,'])
    rows = parse(content.encode())
    assert rows[0].get("organization_name") == formula
    # A contact name without an email is an error; drop it and import the organization.
    content = "\n".join(
        [HEADER, f'"{formula.replace(chr(34), chr(34) * 2)}",formula,,,,,"",,,,', "@SUM(A1),at-sum,,,,,,,,,"]
    )
    http = login(product_owner)
    response = _upload(http, content)
    assert response.context["plan"].ok, [r.errors for r in response.context["plan"].rows]
    assert formula in response.content.decode().replace("&quot;", '"')
    _confirm(http, response)
    assert Organization.objects.get(slug="formula").name == formula
    assert Organization.objects.get(slug="at-sum").name == "@SUM(A1)"


def test_all_or_nothing_when_the_database_fails_half_way(product_owner, monkeypatch):
    calls = []
    real = org_import.invitation_create

    def failing(**kwargs):
        calls.append(kwargs["email"])
        if len(calls) == 2:
            raise DatabaseError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(org_import, "invitation_create", failing)
    before = _counts()
    with pytest.raises(DatabaseError):
        organizations_import(actor=product_owner, content=GOOD.encode())
    assert calls == ["peter@initech.com", "milton@initech.com"]  # the first one was written, then undone
    assert _counts() == before
    assert not Organization.objects.filter(slug__in=["initech", "umbrella"]).exists()


def test_a_change_between_preview_and_confirm_is_caught(login, product_owner, org_b):
    http = login(product_owner)
    response = _upload(http, GOOD)
    assert response.context["plan"].ok
    Organization.objects.filter(pk=org_b.pk).update(email_domains=["globex.example", "initech.com"])
    before = _counts()
    refused = _confirm(http, response)
    assert refused.status_code == 400
    assert "already used by Globex" in refused.content.decode()
    assert _counts() == before


def test_confirm_needs_the_previewed_file(login, product_owner):
    http = login(product_owner)
    response = _upload(http, GOOD)
    wrong = http.post(reverse("reporting:organization_import"), {"action": "confirm", "sha256": "0" * 64})
    assert wrong.status_code == 302
    assert not Organization.objects.filter(slug="initech").exists()
    # Another session cannot confirm this upload either.
    other = Client()
    other.force_login(product_owner)
    sha = response.context["confirm_form"].initial["sha256"]
    assert other.post(reverse("reporting:organization_import"), {"action": "confirm", "sha256": sha}).status_code == 302
    assert not Organization.objects.filter(slug="initech").exists()


def test_the_page_documents_the_columns(login, product_owner):
    response = login(product_owner).get(reverse("reporting:organization_import"))
    assert response.status_code == 200
    html = response.content.decode()
    for column in org_import.COLUMNS:
        assert f"<code>{column}</code>" in html


# Who may ---------------------------------------------------------------------------------------


def test_contributor_gets_403(login, contributor):
    http = login(contributor)
    assert http.get(reverse("reporting:organization_import")).status_code == 403
    before = _counts()
    assert _upload(http, GOOD).status_code == 403
    assert (
        http.post(reverse("reporting:organization_import"), {"action": "confirm", "sha256": "0" * 64}).status_code
        == 403
    )
    assert _counts() == before
    with pytest.raises(PermissionDenied):
        organizations_import(actor=contributor, content=GOOD.encode())


@pytest.mark.parametrize("who", ["admin_a", "member_b"])
def test_clients_get_404(request, login, who):
    http = login(request.getfixturevalue(who))
    assert http.get(reverse("reporting:organization_import")).status_code == 404
    assert _upload(http, GOOD).status_code == 404
    assert not Organization.objects.filter(slug="initech").exists()


def test_preview_reads_the_database_in_a_fixed_number_of_queries(django_assert_num_queries, org_a):
    many = "\n".join([HEADER] + [f"Org {i},org-{i},,,,,org{i}.com,p{i}@org{i}.com,,," for i in range(200)])
    with django_assert_num_queries(3):
        plan = preview(many.encode())
    assert plan.ok
