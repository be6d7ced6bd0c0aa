"""crisis/sql.py: CompiledOne, a hot read compiled once per process, loads what the ORM loads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F, JSONField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from crisis.models import ApiToken
from crisis.sql import CompiledOne
from crisis.tokens import token_digest
from tests.factories import api_token

pytestmark = pytest.mark.django_db


def _tokens(digest):
    return (
        ApiToken.objects.select_related("user")
        .annotate(
            label=Concat(F("user__username"), Value("/"), F("role")),
            # A column with a converter on every database (the JSON text decoded).
            shape=Cast(Value('{"roles": 1}'), output_field=JSONField()),
        )
        .filter(digest=digest)
    )


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_it_loads_the_row_its_user_and_annotations_as_the_orm_does(dana):
    key = api_token(dana)
    one = CompiledOne(ApiToken, _tokens)
    got, orm = one.get(token_digest(key)), _tokens(token_digest(key)).get()
    assert _fields(got) == _fields(orm)
    assert got.expires_at > timezone.now()  # converted as the ORM converts (an aware datetime, on SQLite too)
    assert got.label == orm.label == f"dana/{orm.role}"
    assert got.shape == orm.shape == {"roles": 1}
    assert "user" in got._state.fields_cache  # the joined row, not a lazy read
    assert _fields(got.user) == _fields(orm.user)
    assert got._state.adding is False and got._state.db == "default"


def test_an_unknown_value_is_none_and_the_statement_is_compiled_once(dana, monkeypatch, django_assert_num_queries):
    key = api_token(dana)
    one = CompiledOne(ApiToken, _tokens)
    compiled = []
    real = CompiledOne._compile
    monkeypatch.setattr(CompiledOne, "_compile", lambda self, alias: compiled.append(alias) or real(self, alias))
    with django_assert_num_queries(1):
        assert one.get("0" * 64) is None
    with django_assert_num_queries(1):
        assert one.get(token_digest(key)).user.username == "dana"  # the user came in the same statement
    assert compiled == ["default"]
    # The value is a parameter each time, never the compiled one's: a second token is its own row.
    other = api_token(dana, days=1)
    assert one.get(token_digest(other)).expires_at < timezone.now() + timedelta(days=2)


def test_a_query_that_does_not_take_its_value_as_one_parameter_is_refused():
    with pytest.raises(ValueError, match="exactly once"):
        CompiledOne(ApiToken, lambda digest: ApiToken.objects.all()).get("x")
