from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organization
from accounts.selectors import organization_list_visible_to


class OrganizationOutput(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "segment", "tier"]


class StaffOrganizationOutput(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "slug",
            "segment",
            "tier",
            "email_domains",
            "annual_contract_value",
            "renewal_date",
            "account_owner",
        ]


class OrganizationForRole(StaffOrganizationOutput):
    """For the schema only: revenue and renewal fields are absent for clients."""

    email_domains = serializers.ListField(child=serializers.CharField(), required=False, help_text="Staff only.")
    annual_contract_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, help_text="Staff only."
    )
    renewal_date = serializers.DateField(required=False, allow_null=True, help_text="Staff only.")
    account_owner = serializers.IntegerField(required=False, allow_null=True, help_text="Staff only.")


class MeApi(APIView):
    class MeOutput(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        name = serializers.CharField()
        language = serializers.CharField()
        timezone = serializers.CharField()
        role = serializers.CharField()
        organization = OrganizationOutput(allow_null=True)

    @extend_schema(responses=MeOutput)
    def get(self, request):
        return Response(self.MeOutput(request.user).data)


class OrganizationScopedMixin:
    """Staff see every client organization; a client user sees only their own (others: 404)."""

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Organization.objects.none()
        return organization_list_visible_to(user=self.request.user)

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):
            return OrganizationForRole
        # Revenue and renewal data are the publisher's business, not the client's.
        return StaffOrganizationOutput if self.request.user.is_staff_member else OrganizationOutput


class OrganizationListApi(OrganizationScopedMixin, generics.ListAPIView):
    pass


class OrganizationDetailApi(OrganizationScopedMixin, generics.RetrieveAPIView):
    pass
