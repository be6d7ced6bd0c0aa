"""programs/context_processors.py: the top bar links to each program's pages the user may open."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "links"),
    [
        ("rita", ["My caseload", "Follow-ups", "Referrals", "By-name list"]),
        ("sue", ["My caseload", "Follow-ups", "Referrals", "FACT caseload", "By-name list", "Stabilization"]),
        ("dana", ["Referrals", "By-name list"]),
        ("oli", []),
    ],
)
def test_program_links_by_role(client, request, team_a, persona, links):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    home = client.get("/", follow=True)
    got = [label for label, _url in home.context["program_links"]]
    assert got == links
    for label in links:
        assert f">{label}</a>" in home.content.decode()
