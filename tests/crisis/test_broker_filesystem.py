"""crisis/broker.py::FilesystemTransport: the embedded broker never hands a worker a half-written message."""

import os

from kombu import Connection

from crisis.broker import FilesystemChannel


def test_a_message_is_written_whole_under_a_name_the_reader_ignores_until_complete(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        # At the moment of the rename the reader's view has no message for the queue: only the .part file.
        seen.append(sorted(os.listdir(tmp_path)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path), "control_folder": str(tmp_path)}
    with Connection("filesystem://", transport="crisis.broker:FilesystemTransport", transport_options=options) as c:
        channel = c.default_channel
        assert isinstance(channel, FilesystemChannel)
        channel._put("celery", {"body": "x" * 10_000})
        assert len(seen) == 1 and seen[0][0].endswith(".celery.msg.part")
        assert channel._get("celery") == {"body": "x" * 10_000}
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".part")]
