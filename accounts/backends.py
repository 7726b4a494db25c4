from django.contrib.auth.backends import ModelBackend

from accounts.models import User


class MembershipModelBackend(ModelBackend):
    """Django's backend, loading a signed-in user with their company in the same query: nearly every
    page asks for it (the access policy, the navigation), which cost two more queries each time."""

    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("client_membership__organization").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
