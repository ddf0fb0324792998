"""The flows a chaos run deploys: the mixed flow under load (and behind a webhook), its subflow and the
cron flows."""

from __future__ import annotations

import base64

__all__ = [
    "BAD_TRANSMIT", "CHILD", "CRON", "FAILING_CHILD", "HOOKED", "INVALID", "MIXED", "NAMESPACE", "SECRET_ENV",
    "SECRET_VALUE", "TASK_RUNS_PER_EXECUTION", "WEBHOOK_KEY",
]

NAMESPACE = "chaos"

# The value `secret('CHAOS_TOKEN')` reads; the audit looks for it in logs and Elasticsearch.
SECRET_VALUE = "s3cr3t-chaos-token-7f1c"
SECRET_ENV = {"SECRET_CHAOS_TOKEN": base64.b64encode(SECRET_VALUE.encode()).decode()}

# Log, Sleep, If, ForEach, a task that fails its first attempt and is retried, a subflow, and
# a secret in a log line: every kind of work the executor and worker do.
MIXED = """id: mixed
namespace: chaos
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "start {{ execution.id }} token {{ secret('CHAOS_TOKEN') }}"
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1S
  - id: check
    type: io.kestra.plugin.core.flow.If
    condition: "{{ execution.id | length > 0 }}"
    then:
      - id: each
        type: io.kestra.plugin.core.flow.ForEach
        values: ["a", "b", "c"]
        tasks:
          - id: item
            type: io.kestra.plugin.core.log.Log
            message: "item {{ taskrun.value }}"
  - id: flaky
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ taskrun.attemptsCount < 1 }}"
    errorMessage: the first attempt fails on purpose
    retry:
      type: constant
      interval: PT0.2S
      maxAttempts: 3
  - id: child
    type: io.kestra.plugin.core.flow.Subflow
    namespace: chaos
    flowId: child
"""

# hello, nap, check, each, 3 x item, flaky, child.
TASK_RUNS_PER_EXECUTION = 9

CHILD = """id: child
namespace: chaos
tasks:
  - id: done
    type: io.kestra.plugin.core.log.Log
    message: "child of {{ execution.id }}"
"""

CRON = """id: {flow_id}
namespace: chaos
triggers:
  - id: tick
    type: io.kestra.plugin.core.trigger.Schedule
    withSeconds: true
    cron: "* * * * * *"
tasks:
  - id: tock
    type: io.kestra.plugin.core.log.Log
    message: "tick {{{{ trigger.date }}}}"
"""

# The poison run's flows. INVALID goes on the flows topic without a deploy (a test that does
# not exist): the executor's flow table refuses it, and a create for it must fail saying why.
INVALID = """id: invalid
namespace: chaos
tasks:
  - id: route
    type: io.kestra.plugin.core.flow.Switch
    value: "{{ taskrun.value is wobbly }}"
    cases:
      a:
        - id: never
          type: io.kestra.plugin.core.log.Log
          message: never
"""

# Valid, but when its child fails, `transmitFailed` does not render (a division by zero): the
# step that handles the child's end raises, and the executor must fail the execution instead.
BAD_TRANSMIT = """id: bad-transmit
namespace: chaos
tasks:
  - id: call
    type: io.kestra.plugin.core.flow.Subflow
    namespace: chaos
    flowId: failing-child
    transmitFailed: "{{ 1 // 0 }}"
"""

FAILING_CHILD = """id: failing-child
namespace: chaos
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: the child fails on purpose
"""

# The mixed flow behind a Webhook trigger: the webserver-kill run's requests start it.
WEBHOOK_KEY = "chaos-hook-key"
HOOKED = MIXED.replace("id: mixed", "id: hooked", 1) + f"""triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: {WEBHOOK_KEY}
"""
