from rest_framework import serializers

from .models import Delivery, DeliveryStatus


class DeliverySerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="endpoint.partner.name", read_only=True)
    url = serializers.CharField(source="endpoint.url", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "endpoint",
            "partner",
            "url",
            "event",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
            "replay_of",
        ]
        read_only_fields = fields


class DeliveryPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = DeliverySerializer(many=True)


class DeliveryFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)
    endpoint = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class EidoDocumentSerializer(serializers.Serializer):
    """An EIDO document (NENA-STA-021.1a, JSON); the full schema is integrations/schemas/eido-1.0.schema.json."""

    def to_representation(self, instance):
        return instance


class EidoImportResultSerializer(serializers.Serializer):
    call_id = serializers.IntegerField()
    created = serializers.BooleanField()
    incident_id = serializers.CharField()


class HmisExportParamsSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": "The end date is before the start date."})
        if (attrs["end"] - attrs["start"]).days > 3660:
            raise serializers.ValidationError({"end": "Export at most ten years at once."})
        return attrs
