"""The diversion console's socket (/ws/programs/diversion/): the shared queue, with the board's resync rules."""

from crisis.sockets import LiveConsumer

from . import selectors


class DiversionConsumer(LiveConsumer):
    read_action = "diversion.stream.opened"  # callers' names and numbers

    def groups_for(self, user):
        return selectors.stream_groups_for(user)
