"""crisis/outbound.py: listeners hear every notification; inside a batch their lookups are read once."""

from __future__ import annotations

from crisis import outbound


def test_once_reads_each_time_outside_a_batch_and_once_inside_one():
    reads = []

    def load():
        reads.append(1)
        return len(reads)

    assert outbound.once("k", load) == 1
    assert outbound.once("k", load) == 2
    with outbound.batch():
        assert outbound.once("k", load) == 3
        assert outbound.once("k", load) == 3
        assert outbound.once("other", load) == 4
        with outbound.batch():  # a block of its own: read again
            assert outbound.once("k", load) == 5
        assert outbound.once("k", load) == 3
    assert outbound.once("k", load) == 6


def test_a_batch_ends_even_when_its_block_raises():
    class Boom(Exception):
        pass

    try:
        with outbound.batch():
            outbound.once("k", lambda: "inside")
            raise Boom
    except Boom:
        pass
    assert outbound.once("k", lambda: "outside") == "outside"
