"""Serializer fields with the platform's rules: scoped parents and environment variables."""
from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from hosting import access
from hosting.api.permissions import require_change
from hosting.envfile import _json_scalar
from hosting.models import Tenant


class ParentField(serializers.PrimaryKeyRelatedField):
    """The parent a new object is created under, by id.

    Outside the caller's tenants (or nonexistent) it is a 404, not a 400, so the answer
    is the same whether or not the id exists elsewhere; in a tenant where the caller is
    a viewer it is a 403.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        user = self.context["request"].user
        if queryset.model is Tenant:
            return queryset.filter(pk__in=access.tenant_ids(user))
        return access.scoped(queryset, user)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)) or not str(data).isdigit():
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            obj = self.get_queryset().get(pk=int(data))
        except ObjectDoesNotExist:
            raise exceptions.NotFound(f"No such {self.field_name} among your tenants.")
        require_change(self.context["request"].user, obj)
        return obj


ENV_SCHEMA = {
    "oneOf": [
        {"type": "object", "additionalProperties": {"type": "string"},
         "description": "NAME → value"},
        {"type": "array", "items": {
            "type": "object", "required": ["name"],
            "properties": {"name": {"type": "string"}, "value": {"type": "string"}}},
         "description": "[{name, value}, ...]; duplicate names are reported"},
    ],
}


@extend_schema_field(ENV_SCHEMA)
class EnvField(serializers.Field):
    """Environment variables as an object, or as a list of {"name", "value"}.

    The list form keeps duplicates so the domain's check can name them (an object
    cannot hold one name twice). Numbers and booleans become text, as in JSON import.
    """

    default_error_messages = {
        "shape": 'env must be an object {{"NAME": "value"}} or a list of {{"name": ..., "value": ...}}.',
    }

    def to_internal_value(self, data) -> list[tuple[str, str]]:
        try:
            if isinstance(data, dict):  # every pair as sent, repeats included (parsers.py)
                pairs = getattr(data, "pairs", None) or data.items()
                return [(name, _json_scalar(value)) for name, value in pairs]
            if isinstance(data, list) and all(isinstance(i, dict) and "name" in i for i in data):
                return [(item["name"], _json_scalar(item.get("value", ""))) for item in data]
        except Exception as exc:  # _json_scalar's ValidationError: nested values
            raise serializers.ValidationError(getattr(exc, "messages", [str(exc)]))
        self.fail("shape")

    def to_representation(self, value) -> dict[str, str]:
        return {name: val for name, val in value}

