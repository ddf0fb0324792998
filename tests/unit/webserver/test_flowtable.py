"""The flow table: revisions, tombstones, namespace listing, parsing once per revision."""

from __future__ import annotations

import pytest

from harrier.core.exceptions import FlowValidationError
from harrier.core.messages import FlowRecord
from harrier.webserver.flowtable import FlowTable

SOURCE = "id: {id}\nnamespace: {ns}\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: {msg}\n"


def record(flow_id: str, revision: int, ns: str = "team", msg: str = "hi") -> FlowRecord:
    return FlowRecord(namespace=ns, id=flow_id, revision=revision, source=SOURCE.format(id=flow_id, ns=ns, msg=msg))


def test_keeps_every_revision_and_serves_the_latest() -> None:
    table = FlowTable()
    table.apply("team/f", record("f", 1))
    table.apply("team/f", record("f", 2, msg="bye"))
    assert table.latest("team", "f").revision == 2
    assert table.revision("team", "f", 1).revision == 1
    assert table.revision("team", "f", 3) is None
    assert [r.revision for r in table.revisions("team", "f")] == [1, 2]


def test_a_tombstone_deletes_the_flow() -> None:
    table = FlowTable()
    table.apply("team/f", record("f", 1))
    table.apply("team/f", None)
    assert table.latest("team", "f") is None and table.revisions("team", "f") == [] and len(table) == 0


def test_lists_a_namespace_with_its_children_only() -> None:
    table = FlowTable()
    for ns, flow_id in (("team", "b"), ("team.sub", "a"), ("teams", "c"), ("other", "d")):
        table.apply(f"{ns}/{flow_id}", record(flow_id, 1, ns))
    assert [(r.namespace, r.id) for r in table.flows("team")] == [("team", "b"), ("team.sub", "a")]
    assert len(table.flows()) == 4


def test_parses_a_revision_once_and_reports_a_source_that_no_longer_validates() -> None:
    table = FlowTable()
    table.apply("team/f", record("f", 1))
    first = table.parsed(table.latest("team", "f"))
    assert first is table.parsed(table.latest("team", "f"))
    assert first.id == "f"
    broken = FlowRecord(namespace="team", id="g", revision=1, source="id: g\nnamespace: team\n")
    table.apply("team/g", broken)
    with pytest.raises(FlowValidationError):
        table.parsed(broken)


def test_the_feed_s_late_copy_of_an_older_write_does_not_undo_a_newer_one() -> None:
    table = FlowTable()
    # The deployer applied its creation (offset 4) and then its deletion (offset 5) as soon as
    # the broker acknowledged them; the feed then reads offset 4 again, and later offset 5.
    table.apply("team/f", record("f", 1), (0, 4))
    table.apply("team/f", None, (0, 5))
    table.apply("team/f", record("f", 1), (0, 4))
    assert table.latest("team", "f") is None
    table.apply("team/f", None, (0, 5))
    table.apply("team/f", record("f", 2), (0, 6))
    assert table.latest("team", "f").revision == 2
    # Another partition (the topic grew): offsets do not compare, the record applies.
    table.apply("team/f", record("f", 3), (1, 0))
    assert table.latest("team", "f").revision == 3
