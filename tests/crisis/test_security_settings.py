"""Transport and header settings (crisis/settings.py): production defaults on, the embedded demo on plain http."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
SHOWN = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_PROXY_SSL_HEADER",
    "X_FRAME_OPTIONS",
    "SECURE_REFERRER_POLICY",
]


def _base_env(**extra) -> dict:
    keep = ("PATH", "HOME", "LANG", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(extra)
    return env


def _compose_env() -> dict:
    """The web service's environment as docker compose would give it, with nothing set on the host."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = {}
    for key, value in compose["x-app"]["environment"].items():

        def default(match):
            return match.group(2) if match.group(1) == ":-" else ""

        env[key] = re.sub(r"\$\{\w+(:[-?])([^}]*)\}", default, str(value))
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


def _settings(env: dict) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{k: getattr(settings, k, None) for k in {SHOWN!r}}}))"
    )
    out = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_base_env(DJANGO_SETTINGS_MODULE="crisis.settings", **env),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_defaults_are_https_only():
    values = _settings(
        {"SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "crisis.example.org", "TRUSTED_PROXY_COUNT": "1"}
    )
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_REFERRER_POLICY": "strict-origin-when-cross-origin",
    }


def test_no_trusted_proxy_no_forwarded_proto():
    values = _settings({"SECRET_KEY": secrets.token_urlsafe(50)})
    assert values["SECURE_PROXY_SSL_HEADER"] is None


def test_the_embedded_demo_stays_on_plain_http():
    values = _settings({"CRISIS_EMBEDDED": "1"})
    assert (values["SESSION_COOKIE_SECURE"], values["SECURE_SSL_REDIRECT"], values["SECURE_HSTS_SECONDS"]) == (
        False,
        False,
        0,
    )


@pytest.mark.parametrize("source", ["compose", "ci"])
def test_check_deploy_reports_no_issue(source):
    if source == "compose":
        env = _compose_env()
    else:
        env = {"SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "crisis.example.org"}
        env["DATABASE_URL"] = os.environ.get("DATABASE_URL", "")
        env["REDIS_URL"] = os.environ.get("REDIS_URL", "")
    result = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_base_env(**env),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client, dana):
    client.force_login(dana)
    response = client.get("/dispatch/board/")
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "https://tile.openstreetmap.org" in policy["img-src"]
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> block"),
    (re.compile(r"\sstyle=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+=", re.I), "an inline event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_nothing_inline_the_policy_would_block(template):
    text = template.read_text()
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert not found, f"{template.relative_to(ROOT)} has {', '.join(found)}: move it into static/"
