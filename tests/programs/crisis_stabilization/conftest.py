from tests.support.stabilization import cora, dev, episode, stab_team  # noqa: F401 (fixtures)
