"""responders/admin.py: a member's languages are chosen by name from the one list and stored as codes."""

from __future__ import annotations

import pytest

from responders.admin import TeamMemberForm


@pytest.mark.django_db
def test_member_languages_are_chosen_by_name_and_stored_as_codes(team_a, dana):
    form = TeamMemberForm(
        data={"user": dana.pk, "credential": "peer_specialist", "languages": ["es", "ase"], "specialties": "[]",
              "active": "on"},
    )  # fmt: skip
    assert ("ase", "American Sign Language") in form.fields["languages"].choices
    assert form.is_valid(), form.errors
    member = form.save(commit=False)
    assert member.languages == ["es", "ase"]


@pytest.mark.django_db
def test_a_language_not_on_the_list_is_refused(dana):
    form = TeamMemberForm(data={"user": dana.pk, "credential": "peer_specialist", "languages": ["Spanish"]})
    assert not form.is_valid() and "languages" in form.errors
