"""A delivery channel is one class plus one registry entry: the directory accepts its name and the
worker sends by it, with the outbox's receipts and audit."""

from __future__ import annotations

from datetime import UTC, datetime

from outbox_support import forwards, outbox_options, queue_forward, seed_url
from sqlalchemy import select

from forwarders.base import Notice, Receipt
from hotline.models import AuditEvent
from hotline.outbox import CHANNELS, forward_until_idle
from hotline.outbox.channels import Channel, Route


class SinkForwarder:
    def __init__(self) -> None:
        self.sent: list[Notice] = []

    def send(self, notice: Notice) -> Receipt:
        self.sent.append(notice)
        return Receipt(id=f"SINK-{len(self.sent)}", text="kept", received_at=datetime.now(UTC))


class Sink(Channel):
    """A channel a team might add (say, a partner's messaging bridge), here keeping what it is given."""

    name = "sink"

    def __init__(self) -> None:
        self.forwarder = SinkForwarder()

    def route(self, session, forward, options) -> Route:  # type: ignore[no-untyped-def]
        return Route(self.forwarder, forward.address or "sink://")


def test_a_new_channel_is_one_class_and_one_registry_entry(make_hotline, tmp_path, monkeypatch) -> None:
    # given a channel added to the registry and a directory file whose destination uses it
    sink = Sink()
    monkeypatch.setitem(CHANNELS, sink.name, sink)
    directory = tmp_path / "directory.toml"
    directory.write_text('[[destination]]\nid = "bridge-nl"\nkind = "hotline"\nname = "NL bridge"\n'
                         'channel = "sink"\nendpoint = "sink://nl"\n')
    app = make_hotline(directory_files=[directory])
    assert app.directory.destination("bridge-nl").channel == "sink"
    # when a forward to that destination is approved and the outbox runs
    forward = queue_forward(app, seed_url(app, 1), destination="bridge-nl", kind="hotline", channel=None)
    assert (forward.channel, forward.address) == ("sink", "sink://nl")
    summary = forward_until_idle(app, options=outbox_options())
    # then it went out by the new channel, with the outbox's receipt and audit
    assert summary.counts["delivered"] == 1
    [notice] = sink.forwarder.sent
    assert notice.destination_address == "sink://nl" and notice.destination_kind == "hotline"
    [done] = forwards(app)
    assert done.state == "delivered" and '"SINK-1"' in (done.receipt or "")
    with app.db.sessions() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "forward")).all()
    assert actions == ["forward.queued", "forward.delivered"]


def test_a_directory_naming_an_unknown_channel_is_refused_with_file_and_line(make_hotline, tmp_path) -> None:
    import pytest

    from hotline.datafiles import FileProblems

    directory = tmp_path / "directory.toml"
    directory.write_text('[[destination]]\nid = "police-ro"\nchannel = "carrier-pigeon"\n')
    app = make_hotline(directory_files=[directory])
    with pytest.raises(FileProblems) as caught:
        app.directory  # noqa: B018 - loading it is the test
    assert caught.value.problems == [(f"{directory}:3: destination \"police-ro\", key channel: unknown channel "
                                     "'carrier-pigeon': choose from partner-api, email, x-arf, web-form")]


def test_process_stops_at_once_on_a_wrong_data_file(tmp_path) -> None:
    from typer.testing import CliRunner

    from cli import app as cli_app

    directory, cdn = tmp_path / "directory.toml", tmp_path / "cdn.toml"
    directory.write_text('[[destination]]\nid = "police-ro"\nchannel = "carrier-pigeon"\n')
    cdn.write_text('[[provider]]\nname = "Local"\nranges = ["not-a-network"]\n')
    env = {"HOTLINE_DATA_DIR": str(tmp_path / "var"), "HOTLINE_DIRECTORY_FILES": str(directory),
           "HOTLINE_CDN_FILES": str(cdn)}
    assert CliRunner().invoke(cli_app, ["init"], env=env).exit_code == 0
    done = CliRunner().invoke(cli_app, ["process", "--until-idle"], env=env)
    assert done.exit_code == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("error: ") for line in lines)
    assert f"{directory}:3" in lines[0] and f"{cdn}:3" in lines[1]
