from crisis import audit, permissions
from crisis.errors import InvalidInput

from .models import RespiteStay


def respite_stay_create(*, person, team, by, note: str = "") -> RespiteStay:
    permissions.require(permissions.may_act_for_team, by, team, "Only the team's members or dispatch may do this.")
    if len(note) > 2000:
        raise InvalidInput("A note is at most 2,000 characters.", field="note")
    stay = RespiteStay.objects.create(person=person, team=team, note=note.strip())
    audit.record(actor=by, action="tenth_program.respite_stay.created", obj=stay, person=person.pk)
    return stay
