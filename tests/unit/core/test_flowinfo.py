"""A flow's inputs and triggers as the API describes them."""

from __future__ import annotations

from datetime import datetime, timezone

from harrier.core.flowinfo import input_json, next_fire, trigger_json
from harrier.core.triggers import Schedule
from harrier.core.validation import parse_flow

FLOW = """
id: described
namespace: tests
inputs:
  - id: name
    type: STRING
    displayName: Your name
    defaults: world
    minLength: 2
    validator: "^[a-z]+$"
  - id: colour
    type: SELECT
    values: [red, green]
    allowCustomValue: true
    required: false
  - id: sizes
    type: ARRAY
    itemType: INT
  - id: when
    type: DATETIME
    after: "2026-01-01T00:00:00Z"
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: hourly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 * * * *"
  - id: paris
    type: Schedule
    cron: "30 9 * * *"
    timezone: Europe/Paris
  - id: fast
    type: Schedule
    cron: "*/20 * * * * *"
    withSeconds: true
  - id: off
    type: Schedule
    cron: "0 0 * * *"
    disabled: true
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: abc
"""

NOW = datetime(2026, 7, 1, 10, 15, 5, 123456, tzinfo=timezone.utc)


def test_inputs_keep_their_yaml_keys_and_leave_unset_ones_out() -> None:
    flow = parse_flow(FLOW)
    assert [input_json(i) for i in flow.inputs or []] == [
        {"id": "name", "type": "STRING", "displayName": "Your name", "required": True, "defaults": "world",
         "minLength": 2, "allowCustomValue": False},
        {"id": "colour", "type": "SELECT", "required": False, "values": ["red", "green"], "allowCustomValue": True},
        {"id": "sizes", "type": "ARRAY", "required": True, "allowCustomValue": False, "itemType": "INT"},
        {"id": "when", "type": "DATETIME", "required": True, "allowCustomValue": False, "after": "2026-01-01T00:00:00Z"},
    ]


def test_triggers_with_the_next_fire_time_of_schedules() -> None:
    flow = parse_flow(FLOW)
    assert [trigger_json(t, NOW) for t in flow.triggers or []] == [
        {"id": "hourly", "type": "io.kestra.plugin.core.trigger.Schedule", "disabled": False,
         "cron": "0 * * * *", "nextDate": "2026-07-01T11:00:00Z"},
        # 09:30 in Paris (UTC+2 in July) is 07:30 UTC, already past today.
        {"id": "paris", "type": "Schedule", "disabled": False, "cron": "30 9 * * *", "nextDate": "2026-07-02T07:30:00Z"},
        {"id": "fast", "type": "Schedule", "disabled": False, "cron": "*/20 * * * * *", "nextDate": "2026-07-01T10:15:20Z"},
        {"id": "off", "type": "Schedule", "disabled": True, "cron": "0 0 * * *", "nextDate": None},
        {"id": "hook", "type": "io.kestra.plugin.core.trigger.Webhook", "disabled": False},
    ]


def test_a_disabled_flow_fires_no_schedule() -> None:
    hourly = (parse_flow(FLOW).triggers or [])[0]
    assert trigger_json(hourly, NOW, flow_disabled=True)["nextDate"] is None


def test_next_fire_is_strictly_after() -> None:
    schedule = Schedule(id="s", type="Schedule", cron="0 * * * *")
    on_the_hour = datetime(2026, 7, 1, 11, 0, tzinfo=timezone.utc)
    assert next_fire(schedule, on_the_hour) == datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)
