"""The API schema and Swagger UI (crisis/urls.py, crisis.api.CanReadApiDocs): our static files, for the call desk."""

import re

import pytest

from tests.conftest import login


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["dana", "cam", "sue", "ada"])
def test_the_call_desk_reads_the_schema_and_the_docs(client, persona, request):
    login(client, request.getfixturevalue(persona))
    assert client.get("/api/schema/").status_code == 200
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert client.get("/api/docs/?script=").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["rita", "oli", "nora"])
def test_other_roles_do_not(client, persona, request):
    login(client, request.getfixturevalue(persona))
    assert client.get("/api/schema/").status_code == 403
    assert client.get("/api/docs/").status_code == 403
    assert client.get("/api/docs/?script=").status_code == 403


@pytest.mark.django_db
def test_signed_out_gets_nothing(client):
    assert client.get("/api/schema/").status_code in (401, 403)
    assert client.get("/api/docs/").status_code in (401, 403)


@pytest.mark.django_db
def test_swagger_ui_comes_from_our_static_files_with_no_inline_script(client, dana):
    login(client, dana)
    html = client.get("/api/docs/").content.decode()
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert all(src.startswith("/static/") or src.startswith("/api/docs/") for src in sources), sources
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    for src in sources:
        if src.startswith("/static/"):
            assert client.get(src).status_code == 200, src
