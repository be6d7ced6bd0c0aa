"""The caseload page's socket (/ws/care/): escalations of stalled hand-offs, live, with the board's resync rules."""

from crisis import permissions
from crisis.sockets import LiveConsumer


class CareConsumer(LiveConsumer):
    read_action = "care.stream.opened"  # escalations whose titles name the client

    def groups_for(self, user):
        return permissions.care_stream_groups_for(user)
