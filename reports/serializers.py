"""The reports API's shapes, for the OpenAPI schema: Report.as_json() builds the body, these describe it."""

from __future__ import annotations

from rest_framework import serializers

from .registry import REPORTS
from .tables import FORMATTERS

COLUMN_KINDS = [*FORMATTERS, "number"]


class ReportColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=COLUMN_KINDS)


class ReportTableSerializer(serializers.Serializer):
    title = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    columns = ReportColumnSerializer(many=True)
    rows = serializers.ListField(
        child=serializers.DictField(), help_text="One object per row: each column's key and its raw value."
    )
    total = serializers.IntegerField(help_text="Rows in the whole table; `rows` may be one page of them.")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField(
        allow_null=True, help_text="Rows per page when `rows` is one page (ask for another with `page`), else null."
    )


class ReportFiltersSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    program = serializers.IntegerField(allow_null=True)
    team = serializers.IntegerField(allow_null=True)


class ReportSerializer(serializers.Serializer):
    report = serializers.ChoiceField(choices=list(REPORTS))
    title = serializers.CharField()
    filters = ReportFiltersSerializer()
    notes = serializers.ListField(child=serializers.CharField())
    tables = serializers.DictField(child=ReportTableSerializer())


class ReportErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Each filter's messages; absent when the request is refused before the filters are read.",
    )
