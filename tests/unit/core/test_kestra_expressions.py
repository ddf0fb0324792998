"""Pebble operators and Kestra filters and functions: equals, contains, jq, yaml, toIon,
numberFormat, className, printContext, recursive render, and `{% %}` blocks in values."""

from __future__ import annotations

import re
import textwrap

import pytest

from harrier.core.exceptions import HarrierExpressionError
from harrier.core.expressions import check_syntax, render
from harrier.core.secrets import register_secret
from harrier.core.transitions.needs import needs_of
from harrier.core.validation import validate_text

CONTEXT = {
    "inputs": {"n": 1234567.891, "name": "ada", "items": ["a", "b"]},
    "outputs": {"api": {"body": '{"users": [{"id": 1, "name": "x"}, {"id": 2, "name": "y"}]}'}},
    "vars": {"greeting": "hello {{ inputs.name }}", "deep": "{{ vars.greeting }}!"},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ inputs.name equals 'ada' }}", True),
        ("{{ inputs.items contains 'b' }}", True),
        ("{{ inputs.items contains ['a', 'c'] }}", False),
        ("{{ inputs.name contains 'd' and 1 equals 1 }}", True),
        ("{{ {'k': 1} contains 'k' }}", True),
        ("{{ 'a contains b' }}", "a contains b"),
        ("{% if inputs.items contains 'a' %}in{% else %}out{% endif %}", "in"),
        ("{{ inputs.missing is defined }}", False),
        ("{{ inputs.name != null and null is null }}", True),
        ("{{ '[1]' is json }}", True),
        ("{{ outputs.api.body | jq('.users[].id') }}", [1, 2]),
        ("{{ outputs.api.body | jq('.users | map(.name) | join(\",\")') | first }}", "x,y"),
        ("{{ {'a': [1, 2]} | jq('.a | length') }}", [2]),
        ("{{ 'a: 1\\nb: [x, y]' | yaml }}", {"a": 1, "b": ["x", "y"]}),
        ("{{ yaml('on: yes') }}", {"on": "yes"}),
        ("{{ {'a': 1, 'b c': 'x', 'l': [true, null, 1.5]} | toIon }}", "{a:1,'b c':\"x\",l:[true,null,1.5e0]}"),
        ("{{ inputs.n | numberFormat('#,##0.00') }}", "1,234,567.89"),
        ("{{ 3.14159 | numberFormat('0.###') }}", "3.142"),
        ("{{ 5 | numberFormat('000') }}", "005"),
        ("{{ 0.256 | numberFormat('0%') }}", "26%"),
        ("{{ 2.5 | numberFormat('0') }}", "2"),
        ("{{ inputs.n | className }}", "java.lang.Double"),
        ("{{ inputs.items | className }}", "java.util.ArrayList"),
        ("{{ render(vars.deep) }}", "hello ada!"),
        ("{{ render(vars.deep, recursive=false) }}", "hello {{ inputs.name }}!"),
    ],
)
def test_kestra_operators_filters_and_functions(template: str, expected: object) -> None:
    assert render(template, CONTEXT) == expected


@pytest.mark.parametrize(
    ("program", "refused"),
    [("env.HOME", "env"), ("$ENV.PATH", "$ENV"), ("[range(100000000)]", "range"), ("[repeat(1)]", "repeat"),
     ("def f: f; f", "def"), ("recurse(. + 1)", "recurse"), ("input", "input"), ('import "x" as x; .', "import")],
)
def test_jq_refuses_what_reads_the_process_or_runs_without_bound(program: str, refused: str) -> None:
    with pytest.raises(HarrierExpressionError, match=re.escape(f"jq: '{refused}' is not allowed")):
        render("{{ 1 | jq(p) }}", {"p": program})


def test_jq_words_inside_strings_are_not_refused() -> None:
    assert render("{{ {'env': 1} | jq('.\"env\"') }}", {}) == [1]


def test_jq_reports_a_bad_program_and_an_error_while_running() -> None:
    with pytest.raises(HarrierExpressionError, match="jq: invalid program"):
        render("{{ 1 | jq('.[') }}", {})
    with pytest.raises(HarrierExpressionError, match="jq:"):
        render("{{ 'x' | jq('.a') }}", {})


def test_print_context_masks_secrets_and_leaves_envs_out() -> None:
    register_secret("s3cr3t-value")
    printed = render("{{ printContext() }}", {"inputs": {"token": "s3cr3t-value"}, "envs": {"home": "/root"}})
    assert "s3cr3t-value" not in printed and "******" in printed
    assert "/root" not in printed


def test_new_names_pass_the_syntax_check_and_unknown_ones_still_fail() -> None:
    check_syntax("{{ x | jq('.a') | first }}{{ x | numberFormat('0.0') }}{{ x | toIon }}{{ a contains b }}")
    with pytest.raises(HarrierExpressionError, match="no filter named 'jqq'"):
        check_syntax("{{ x | jqq('.a') }}")


def test_needs_read_templates_with_pebble_operators() -> None:
    # Before, `??` made the template unreadable to the scan: a worker got no inputs and the
    # fallback always won.
    needs = needs_of(["{{ inputs.name ?? 'nobody' }}", "{{ outputs.api.body contains 'x' }}"])
    assert {"inputs", "outputs"} <= needs.roots
    assert needs.outputs == {"api"}
    assert needs_of(["{{ printContext() }}"]).outputs is None


def test_validate_names_unknown_task_outputs_and_functions_with_line_and_field() -> None:
    _, problems = validate_text(textwrap.dedent("""\
        id: f
        namespace: t
        tasks:
          - {id: first, type: Return, format: x}
          - {id: second, type: Log, message: "{{ outputs.frist.value }} {{ outputs.first.value }}"}
          - {id: third, type: Log, message: "{{ nope(1) }}"}
          - {id: fine, type: Log, message: "{% set f = 1 %}{% macro m() %}{{ caller() }}{% endmacro %}{{ range(1, 2) }}"}
          - {id: call, type: Subflow, namespace: t, flowId: child, outputs: {x: "{{ outputs.in_child.value }}"}}
        outputs:
          - {id: o, value: "{{ outputs.second.value ~ outputs.later.value }}"}
        afterExecution:
          - {id: later, type: Return, format: y}
        triggers:
          - {id: up, type: io.kestra.plugin.core.trigger.Flow, inputs: {x: "{{ outputs.upstream_task }}"}}
        """), "flow.yml")
    assert [str(p) for p in problems] == [
        "flow.yml:5:38: tasks[1].message: outputs.frist names no task of this flow; did you mean 'first'?",
        "flow.yml:6:37: tasks[2].message: invalid expression '{{ nope(1) }}': no function named 'nope'",
    ]
