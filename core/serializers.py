"""Strict API input: an unknown field is an error naming it, never silently ignored."""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class StrictInput(serializers.Serializer):
    """Base of every API input serializer. Refuses a body that is not a JSON object and any field
    it does not declare (a typo such as `importnce` must not silently reset a value)."""

    unknown_field_message = _("Unknown field: it cannot be set here.")

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        writable = {name for name, field in self.fields.items() if not field.read_only}
        unknown = sorted(str(key) for key in data if key not in writable)
        if unknown:
            raise serializers.ValidationError({key: [self.unknown_field_message] for key in unknown})
        return super().to_internal_value(data)
