"""REST for Web Push subscriptions: a responder's browser turns offer notifications on and off."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf
from rest_framework.response import Response
from rest_framework.views import APIView

from crisis.api import require_perms
from responders.models import PushSubscription

from . import push


class _Keys(drf.Serializer):
    p256dh = drf.CharField(max_length=200)
    auth = drf.CharField(max_length=100)


class PushSubscriptionInputSerializer(drf.Serializer):
    """What the browser's PushSubscription.toJSON() gives."""

    endpoint = drf.URLField(max_length=1000)
    keys = _Keys()
    expirationTime = drf.IntegerField(required=False, allow_null=True, min_value=0)  # noqa: N815 (the browser's name)


class PushSubscriptionSerializer(drf.Serializer):
    id = drf.IntegerField()
    endpoint = drf.CharField()
    created_at = drf.DateTimeField()


class PushSubscriptions(APIView):
    permission_classes = [require_perms("responders.update_own_team")]

    @extend_schema(request=PushSubscriptionInputSerializer, responses={201: PushSubscriptionSerializer})
    def post(self, request):
        ser = PushSubscriptionInputSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        subscription = push.push_subscription_save(
            user=request.user,
            endpoint=ser.validated_data["endpoint"],
            p256dh=ser.validated_data["keys"]["p256dh"],
            auth=ser.validated_data["keys"]["auth"],
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response(PushSubscriptionSerializer(subscription).data, status=201)


class PushSubscriptionDetail(APIView):
    permission_classes = [require_perms("responders.update_own_team")]

    @extend_schema(responses={204: None})
    def delete(self, request, pk: int):
        # Someone else's subscription is a 404, as if it did not exist: its id tells nothing.
        subscription = get_object_or_404(PushSubscription, pk=pk, user=request.user)
        push.push_subscription_delete(subscription=subscription, by=request.user)
        return Response(status=204)
