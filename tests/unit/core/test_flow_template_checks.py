"""`flow validate` refuses templates that cannot compile (bad syntax, a filter or test that
does not exist) at the file, line and field; templates that only fail when they render, and
values that are no templates, still deploy."""

from __future__ import annotations

import textwrap

import pytest

from harrier.core import validate_text


def _problems(text: str) -> list[str]:
    return [str(p) for p in validate_text(textwrap.dedent(text).lstrip(), "flow.yml")[1]]


def test_a_switch_value_with_a_test_that_does_not_exist_is_refused_where_it_stands() -> None:
    # The flow had Pebble's `is json` (accepted now); a name no dialect has keeps this test stable.
    problems = _problems("""
        id: sw
        namespace: t
        tasks:
          - id: route
            type: Switch
            value: "{{ taskrun.value is wobbly }}"
            cases:
              a: [{id: ra, type: Log, message: a}]
    """)
    assert problems == [
        "flow.yml:6:12: tasks[0].value: invalid expression '{{ taskrun.value is wobbly }}': no test named 'wobbly'"
    ]


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ x | uper }}", "no filter named 'uper'; did you mean 'upper'?"),
        # Jinja would let these pass until they run: inside an if, a conditional expression.
        ("{% if inputs.x %}{{ inputs.x | nosuchfilter }}{% endif %}", "no filter named 'nosuchfilter'"),
        ("{{ 1 if inputs.x is nosuchtest else 2 }}", "no test named 'nosuchtest'"),
        ("{% filter yell %}hi{% endfilter %}", "no filter named 'yell'"),
    ],
)
def test_unknown_filters_and_tests_are_refused_wherever_they_stand(template: str, reason: str) -> None:
    problems = _problems(f"""
        id: f
        namespace: t
        tasks:
          - id: hello
            type: Log
            message: '{template}'
    """)
    assert problems == [f"flow.yml:6:14: tasks[0].message: invalid expression {template!r}: {reason}"]


def test_flow_outputs_and_nested_properties_are_checked_too() -> None:
    problems = _problems("""
        id: f
        namespace: t
        tasks:
          - id: call
            type: Subflow
            namespace: t
            flowId: other
            inputs:
              name: "{{ inputs.name | capitalise }}"
              "{{ inputs.key | nosuchfilter }}": x
        outputs:
          - {id: out, value: "{{ outputs.call is done }}"}
    """)
    assert problems == [
        "flow.yml:9:13: tasks[0].inputs.name: invalid expression '{{ inputs.name | capitalise }}': "
        "no filter named 'capitalise'; did you mean 'capitalize'?",
        "flow.yml:10:7: tasks[0].inputs['{{ inputs.key | nosuchfilter }}']: invalid expression "
        "'{{ inputs.key | nosuchfilter }}': no filter named 'nosuchfilter'",
        "flow.yml:12:22: outputs[0].value: invalid expression '{{ outputs.call is done }}': no test named 'done'; did you mean 'none'?",
    ]


def test_templates_that_only_fail_when_rendered_and_plain_values_still_deploy() -> None:
    flow, problems = validate_text(textwrap.dedent("""
        id: f
        namespace: t
        tasks:
          - {id: div, type: Log, message: "{{ 1 // 0 }}"}
          - {id: call, type: Log, message: "{{ inputs.missing.deeper }}"}
          - {id: runtime, type: Log, message: "{{ render(inputs.expr) }} {{ [1, 2] | select('odd') | list }}"}
          - {id: plain, type: Log, message: "is json | nosuch, not a template"}
          - {id: known, type: Log, message: "{{ inputs.x is defined and inputs.y | default('z') | upper }}"}
    """), "flow.yml")
    assert problems == []
    assert flow is not None and [t.id for t in flow.tasks] == ["div", "call", "runtime", "plain", "known"]
