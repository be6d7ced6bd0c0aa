from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import languages, permissions
from .api import require_perms, require_rule
from .models import Person
from .people import duplicate_ids, person_merge, person_record_view, person_search, possible_duplicates


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = [
            "id",
            "first_name",
            "last_name",
            "date_of_birth",
            "description",
            "preferred_language",
            "experiencing_homelessness",
            "known_weapons_access",
            "history_of_violence",
            "history_url",
        ]

    # Mental-health history is not part of the record: it is read only through the consent-scoped lookup
    # (crisis/history: a stated purpose, the person's consent or break-the-glass, Part 2 apart), so this
    # says where that lookup is, and only to a role that may use it.
    history_url = serializers.SerializerMethodField(
        help_text="The consent-scoped history lookup for this person (null when your role may not use it)."
    )

    def validate_preferred_language(self, value):
        if not languages.is_known(value):
            raise serializers.ValidationError(languages.unknown_message(value))
        return value

    def get_history_url(self, person) -> str | None:
        request = self.context.get("request")
        if request is None or not permissions.may_search_history.test(request.user):
            return None
        return reverse("history:person", args=[person.pk])


class PersonDetail(APIView):
    permission_classes = [require_perms("crisis.view_person_record")]

    @extend_schema(responses=PersonSerializer)
    def get(self, request, pk: int):
        person = person_record_view(person_id=pk, by=request.user, purpose=request.query_params.get("purpose", ""))
        return Response(PersonSerializer(person, context={"request": request}).data)


class PersonSummarySerializer(serializers.ModelSerializer):
    aliases = serializers.SerializerMethodField()
    possible_duplicate = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "first_name", "last_name", "date_of_birth", "phone", "aliases", "possible_duplicate"]

    def get_aliases(self, person) -> list[str]:
        return [a.name for a in person.aliases.all()]

    def get_possible_duplicate(self, person) -> bool:
        return person.pk in self.context.get("flagged", ())


class SearchQuery(serializers.Serializer):
    name = serializers.CharField(max_length=160, required=False, allow_blank=True, default="")
    alias = serializers.CharField(max_length=160, required=False, allow_blank=True, default="")
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class PeopleSearch(APIView):
    """People by name, alias, date of birth and phone (merged duplicates left out); audited with the results."""

    permission_classes = [require_rule(permissions.may_search_people, "Your role does not search people.")]

    @extend_schema(parameters=[SearchQuery], responses=PersonSummarySerializer(many=True))
    def get(self, request):
        query = SearchQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = person_search(by=request.user, **query.validated_data)
        ctx = {"request": request, "flagged": duplicate_ids(found)}
        return Response(PersonSummarySerializer(found, many=True, context=ctx).data)


class DuplicatePairSerializer(serializers.Serializer):
    first = PersonSummarySerializer()
    second = PersonSummarySerializer()
    why = serializers.CharField()


class PeopleDuplicates(APIView):
    """Possible duplicate pairs: same date of birth with a similar name, or the same phone."""

    permission_classes = [require_rule(permissions.may_merge_people, "Only a supervisor merges people.")]

    @extend_schema(responses=DuplicatePairSerializer(many=True))
    def get(self, request):
        pairs = possible_duplicates(by=request.user)
        return Response(DuplicatePairSerializer(pairs, many=True, context={"request": request}).data)


class MergeInput(serializers.Serializer):
    keep = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="The person kept.")
    merge = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="The duplicate merged into it.")
    reason = serializers.CharField(max_length=500)


class MergeResult(serializers.Serializer):
    id = serializers.IntegerField()
    keep = serializers.IntegerField(source="keep_id")
    merged = serializers.IntegerField(source="merged_id")
    at = serializers.DateTimeField()
    moved = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField()))


class PersonMergeCreate(APIView):
    """Merge a duplicate into the person kept: every call and program record moves; 409 if already merged."""

    permission_classes = [require_rule(permissions.may_merge_people, "Only a supervisor merges people.")]

    @extend_schema(request=MergeInput, responses={201: MergeResult})
    def post(self, request):
        data = MergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        keep = get_object_or_404(Person, pk=data.validated_data["keep"])
        other = get_object_or_404(Person, pk=data.validated_data["merge"])
        record = person_merge(keep=keep, merge=other, by=request.user, reason=data.validated_data["reason"])
        return Response(MergeResult(record).data, status=201)
