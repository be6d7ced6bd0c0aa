"""People: the audited read of a record, search, possible duplicates and the supervisor's merge.

Every read of a person's data is audited (who, when, the terms searched and the ids shown). The merge moves
every reference to the duplicate onto the person kept. The core cannot see the tables above it (calls,
program records, deliveries), so each layer that holds references registers a mover here
(`register_person_mover`, called from its AppConfig.ready()); programs' own rows move through their plug-in's
`person_merge` hook. A reference no mover handled makes the merge refuse and roll back, whole.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from . import audit
from .errors import Conflict, InvalidInput
from .history.models import ClinicalRecord, Consent, Part2Record, ResponsePlan
from .models import Alias, Person, PersonMerge, User
from .validators import name_key, phone_digits

SEARCH_LIMIT = 25
# Two names at least this alike (difflib's ratio on the folded names) with the same date of birth are
# flagged as possibly the same person: catches "Jon"/"John", a typo, a swapped accent.
SIMILAR_NAME = 0.8


def person_record_view(*, person_id: int, by: User, purpose: str = "") -> Person:
    person = get_object_or_404(Person, pk=person_id)
    audit.record(actor=by, action="people.person.viewed", obj=person, purpose=purpose)
    return person


# ---------------------------------------------------------------------------
# Search


def person_search(
    *, by: User, name: str = "", date_of_birth: date | None = None, phone: str = "", alias: str = ""
) -> list[Person]:
    """People matching every term given (name or alias words, date of birth, phone), merged ones left out.

    A name matches a person's name or any of their aliases: each word typed must begin a word of it, folded
    (no accents, any case). The search and the ids it showed are audited."""
    words = name_key(name).split() + name_key(alias).split()
    digits = phone_digits(phone)
    if not words and date_of_birth is None and not digits:
        raise InvalidInput("Give a name, an alias, a date of birth or a phone number to search for.")
    if phone and len(digits) < 4:
        raise InvalidInput("A phone number needs at least 4 digits.", field="phone")
    people = Person.objects.filter(merged_into__isnull=True)
    for word in words:
        # A word starts the key or follows a space: "ann" finds "Ann Lee" and "Lee Ann", not "Joanna".
        in_name = Q(name_key__startswith=word) | Q(name_key__contains=f" {word}")
        in_alias = Q(aliases__name_key__startswith=word) | Q(aliases__name_key__contains=f" {word}")
        people = people.filter(pk__in=Person.objects.filter(in_name | in_alias).values("pk"))
    if date_of_birth is not None:
        people = people.filter(date_of_birth=date_of_birth)
    if digits:
        people = people.filter(phone_digits__endswith=digits)
    found = list(people.prefetch_related("aliases").order_by("last_name", "first_name", "pk")[:SEARCH_LIMIT])
    audit.record(
        actor=by,
        action="people.person.searched",
        terms={
            "name": name,
            "alias": alias,
            "date_of_birth": date_of_birth.isoformat() if date_of_birth else "",
            "phone": phone,
        },
        result_ids=[p.pk for p in found],
    )
    return found


# ---------------------------------------------------------------------------
# Possible duplicates


@dataclass(frozen=True)
class DuplicatePair:
    first: Person
    second: Person
    why: str  # "same date of birth, similar name" / "same phone"


def _similar(a: str, b: str) -> bool:
    return bool(a and b) and difflib.SequenceMatcher(None, a, b).ratio() >= SIMILAR_NAME


def duplicates_of(person: Person) -> list[DuplicatePair]:
    """Unmerged people who may be `person`: same date of birth and a similar name, or the same phone."""
    found: dict[int, str] = {}
    others = Person.objects.filter(merged_into__isnull=True).exclude(pk=person.pk)
    if person.date_of_birth:
        for other in others.filter(date_of_birth=person.date_of_birth):
            if _similar(person.name_key, other.name_key):
                found[other.pk] = "same date of birth, similar name"
    if len(person.phone_digits) >= 7:
        for other in others.filter(phone_digits=person.phone_digits):
            found.setdefault(other.pk, "same phone")
    people = Person.objects.in_bulk(list(found))
    return [DuplicatePair(person, people[pk], why) for pk, why in sorted(found.items())]


def duplicate_ids(people: Sequence[Person]) -> set[int]:
    """Which of `people` have a possible duplicate (for the flag on search results): two queries in all."""
    dobs = {p.date_of_birth for p in people if p.date_of_birth}
    phones = {p.phone_digits for p in people if len(p.phone_digits) >= 7}
    candidates = list(
        Person.objects.filter(merged_into__isnull=True)
        .filter(Q(date_of_birth__in=dobs) | Q(phone_digits__in=phones))
        .only("pk", "date_of_birth", "name_key", "phone_digits")
    )
    flagged = set()
    for p in people:
        for c in candidates:
            if c.pk == p.pk:
                continue
            same_phone = len(p.phone_digits) >= 7 and c.phone_digits == p.phone_digits
            same_dob = p.date_of_birth and c.date_of_birth == p.date_of_birth and _similar(p.name_key, c.name_key)
            if same_phone or same_dob:
                flagged.add(p.pk)
                break
    return flagged


def possible_duplicates(*, by: User, limit: int = 100) -> list[DuplicatePair]:
    """Every pair of unmerged people sharing a date of birth with similar names, or a phone; audited."""
    pairs: dict[tuple[int, int], DuplicatePair] = {}
    live = Person.objects.filter(merged_into__isnull=True)
    groups: dict[object, list[Person]] = {}
    for p in live.exclude(date_of_birth=None).order_by("pk"):
        groups.setdefault(("dob", p.date_of_birth), []).append(p)
    for p in live.exclude(phone_digits="").order_by("pk"):
        if len(p.phone_digits) >= 7:
            groups.setdefault(("phone", p.phone_digits), []).append(p)
    for (kind, _), members in groups.items():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if kind == "phone":
                    pairs.setdefault((a.pk, b.pk), DuplicatePair(a, b, "same phone"))
                elif _similar(a.name_key, b.name_key):
                    pairs[(a.pk, b.pk)] = DuplicatePair(a, b, "same date of birth, similar name")
    found = [pairs[k] for k in sorted(pairs)][:limit]
    audit.record(actor=by, action="people.duplicates.viewed", pairs=[[p.first.pk, p.second.pk] for p in found])
    return found


# ---------------------------------------------------------------------------
# Merge

# mover(keep=, merge=) -> {"app_label.model": [ids moved]}; runs inside the merge's transaction.
PersonMover = Callable[..., Mapping[str, Sequence[int]]]
_movers: dict[str, PersonMover] = {}


def register_person_mover(name: str, mover: PersonMover) -> None:
    """A layer above the core moves its own references to a merged person (called from AppConfig.ready())."""
    _movers[name] = mover


def move_references(model, field: str, *, keep: Person, merge: Person) -> dict[str, list[int]]:
    """Point every `model` row whose `field` is `merge` at `keep`; the ids moved, by model label."""
    rows = model._base_manager.filter(**{field: merge})
    ids = sorted(rows.values_list("pk", flat=True))
    if ids:
        model._base_manager.filter(pk__in=ids).update(**{field: keep})
    return {model._meta.label_lower: ids} if ids else {}


def _move_core(*, keep: Person, merge: Person) -> dict[str, list[int]]:
    moved: dict[str, list[int]] = {}
    for model in (Alias, Consent, ClinicalRecord, Part2Record):
        moved.update(move_references(model, "person", keep=keep, merge=merge))
    plan = ResponsePlan.objects.filter(person=merge).first()
    if plan is not None:
        if ResponsePlan.objects.filter(person=keep).exists():
            raise Conflict(
                "Both people have a crisis response plan. Fold the duplicate's plan into the kept one, then merge."
            )
        moved.update(move_references(ResponsePlan, "person", keep=keep, merge=merge))
    return moved


def _references_left(merge: Person) -> list[str]:
    """Tables that still point at `merge` (other than the merge bookkeeping itself)."""
    left = []
    for rel in Person._meta.related_objects:
        if rel.related_model in (Person, PersonMerge) or not rel.field.concrete:
            continue
        if rel.related_model._base_manager.filter(**{rel.field.name: merge}).exists():
            left.append(rel.related_model._meta.label_lower)
    return sorted(set(left))


def person_merge(*, keep: Person, merge: Person, by: User, reason: str) -> PersonMerge:
    """Merge the duplicate `merge` into `keep`: every reference moves, `merge` is marked merged, audited.

    Refuses (409) a person merged into itself, or either person already merged; nothing is half-done."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why these are the same person.", field="reason")
    if keep.pk == merge.pk:
        raise Conflict("A person cannot be merged into themselves.")
    with transaction.atomic():
        # Lock both rows in id order so two supervisors merging the same pair cannot interleave.
        locked = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[keep.pk, merge.pk]).order_by("pk")}
        keep, merge = locked[keep.pk], locked[merge.pk]
        if merge.merged_into_id:
            raise Conflict(f"Person #{merge.pk} was already merged into #{merge.merged_into_id}.")
        if keep.merged_into_id:
            raise Conflict(f"Person #{keep.pk} was merged into #{keep.merged_into_id}; merge into that one instead.")
        moved: dict[str, list[int]] = _move_core(keep=keep, merge=merge)
        for name in sorted(_movers):
            for label, ids in _movers[name](keep=keep, merge=merge).items():
                if ids:
                    moved[label] = sorted(set(moved.get(label, [])) | set(ids))
        left = _references_left(merge)
        if left:
            raise Conflict(f"Person #{merge.pk} is still referenced by {', '.join(left)}; nothing was merged.")
        # The duplicate's name stays findable as an alias of the person kept; blanks are filled from it.
        if merge.name_key and merge.name_key != keep.name_key:
            alias = Alias.objects.create(person=keep, name=str(merge))
            moved.setdefault("crisis.alias", []).append(alias.pk)
        filled = []
        for field in ("first_name", "last_name", "date_of_birth", "phone"):
            if not getattr(keep, field) and getattr(merge, field):
                setattr(keep, field, getattr(merge, field))
                filled.append(field)
        if filled:
            keep.save(update_fields=filled)
        merge.merged_into = keep
        merge.merged_at = timezone.now()
        merge.save(update_fields=["merged_into", "merged_at"])
        record = PersonMerge.objects.create(keep=keep, merged=merge, by=by, reason=reason, moved=moved)
        audit.record(
            actor=by,
            action="people.person.merged",
            obj=keep,
            merged=merge.pk,
            reason=reason,
            moved=moved,
            filled=filled,
        )
    return record


def alias_add(*, person: Person, name: str, by: User) -> Alias:
    name = (name or "").strip()
    if not name_key(name):
        raise InvalidInput("An alias needs a name.", field="name")
    alias = Alias.objects.create(person=person, name=name[:160])
    audit.record(actor=by, action="people.alias.added", obj=person, alias=alias.pk)
    return alias
