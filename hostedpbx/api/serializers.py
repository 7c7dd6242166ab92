"""Serializer bases shared by the parts."""

from rest_framework import serializers

IGNORED_KEYS = {"csrfmiddlewaretoken"}


class RefuseUnwritableFieldsMixin:
    """A field that cannot be written (read-only, or not a field at all) answers 400 instead
    of being dropped silently: ``PATCH {"extension": "999"}`` must not answer 200 with nothing
    done. Codes: ``immutable_field``, ``unknown_field``."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            errors = {}
            for key in data:
                if key in IGNORED_KEYS:
                    continue
                field = self.fields.get(key)
                if field is None:
                    errors[key] = [
                        serializers.ErrorDetail("This field does not exist.", code="unknown_field")
                    ]
                elif field.read_only:
                    errors[key] = [
                        serializers.ErrorDetail(
                            "This field cannot be changed.", code="immutable_field"
                        )
                    ]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
