import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts.models import Membership, Organization, User

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Faker("name")
    language = "en"

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class StaffFactory(UserFactory):
    staff_role = User.StaffRole.PRODUCT_OWNER

    @factory.post_generation
    def totp(self, create, extracted, **kwargs):
        """Staff must have TOTP (MFA is required for them); pass totp=False for one who has not enrolled."""
        if create and extracted is not False:
            self.totp_secret = generate_totp_secret()
            TOTP.activate(self, self.totp_secret)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")
    email_domains = factory.LazyAttribute(lambda o: [f"{o.slug}.example"])
    annual_contract_value = 10000


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.MEMBER


def client_user(*, organization: Organization, role: str = Membership.Role.MEMBER, **fields) -> User:
    fields.setdefault("email", f"{role}{Membership.objects.count()}@{organization.email_domains[0]}")
    user = UserFactory(**fields)
    MembershipFactory(user=user, organization=organization, role=role)
    return User.objects.select_related("client_membership__organization").get(pk=user.pk)


def feedback_for(*, author, title: str = "Export the dashboard to PDF", **fields):
    """A request submitted through the service, as the portal would."""
    from feedback.services import feedback_submit

    return feedback_submit(author=author, organization=author.organization, title=title, **fields)
