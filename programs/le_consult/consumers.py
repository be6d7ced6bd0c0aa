"""The consult socket (/ws/consults/): an officer's and a clinician's own inbox, supervisors' oversight."""

from crisis import permissions
from crisis.sockets import LiveConsumer


class ConsultConsumer(LiveConsumer):
    def groups_for(self, user):
        return permissions.consult_stream_groups_for(user)
