from .world import world  # noqa: F401  (the hand-computed fixture)
