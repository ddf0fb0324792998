"""Expression rendering: native values, Kestra functions and filters, context, caching."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone

import pytest

from harrier.core import HarrierExpressionError, parse_flow
from harrier.core.expressions import TaskOutputs, build_context, compile_template, render, render_text, render_value
from harrier.core.secrets import mask

CTX = {
    "inputs": {"name": "World", "count": 3, "flag": True, "when": datetime(2024, 3, 5, 7, 8, 9, tzinfo=timezone.utc)},
    "outputs": {"concatenate": {"values": {"message": "Hello World"}}, "data": {"value": {"a": 1, "b": [1, 2]}}},
    "vars": {"items": [3, 1, 2], "tpl": "{{ inputs.name | upper }}"},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ range(1, 160) }}", list(range(1, 161))),
        ("{{range(1, 100)}}", list(range(1, 101))),
        ("{{ range(3) }}", [0, 1, 2, 3]),
        ("{{ range(5, 1, -2) }}", [5, 3, 1]),
        ("{{ inputs.count }}", 3),
        ("  {{ inputs.flag }}  ", True),
        ("{{ outputs.data.value }}", {"a": 1, "b": [1, 2]}),
        ("{{ outputs.concatenate.values.message }}", "Hello World"),
        ("{{ '5' }}", "5"),
        ("plain text", "plain text"),
    ],
)
def test_native_values(template, expected):
    assert render(template, CTX) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hello {{ inputs.name }}", "Hello World"),
        ("flag={{ inputs.flag }} none={{ nothing | default('x') }}", "flag=true none=x"),
        ("{{ outputs.data.value }}!", '{"a":1,"b":[1,2]}!'),
        ("{{ vars['items'] | sort | join('-') }}", "1-2-3"),
        ("{{ inputs.when | date('yyyy-MM-dd HH:mm') }}", "2024-03-05 07:08"),
        ("{{ inputs.when | dateAdd(1, 'DAYS') | date('yyyy-MM-dd') }}", "2024-03-06"),
        ("{{ '{\"k\": [1]}' | fromJson | toJson }}", '{"k":[1]}'),
        ("{{ fromJson('[1, 2]') | length }}", "2"),
        ("{{ outputs.data.value | keys | join(',') }}", "a,b"),
        ("{{ outputs.data.value | values | length }}", "2"),
        ("{{ 'Hello World!' | slugify }}", "hello-world"),
        ("{{ 'a b&c' | urlencode }}", "a%20b%26c"),
        ("{{ 'abc' | upper }}{{ 'DEF' | lower }}", "ABCdef"),
        ("{{ 'hi' | base64encode }}", base64.b64encode(b"hi").decode()),
        ("{{ 'aGk=' | base64decode }}", "hi"),
        ("{{ 'x' | sha256 }}", hashlib.sha256(b"x").hexdigest()),
        ("{{ render(vars.tpl) }}", "WORLD"),
        ("{{ '' | default('empty') }}", "empty"),
        ("{{ 'a,b' | split(',') | length }}", "2"),
        ("{{ 'a.b.c' | substringAfterLast('.') }}", "c"),
        ("{% for i in range(1, 3) %}{{ i }}{% endfor %}", "123"),
        ("{{ range(1, 5) | chunk(2) | length }}", "3"),
        ("{{ '42' | number + 1 }}", "43"),
        ("{{ ' a,b ' .strip().split(',') | length }}", "2"),
        ("{% for k, v in outputs.data.value.items() %}{{ k }}{% endfor %}", "ab"),
        ("{{ '%05.1f' % 3.14159 }}", "003.1"),
        ("{{ inputs.when.year }}", "2024"),
    ],
)
def test_text_rendering(template, expected):
    assert render_text(template, CTX) == expected


def test_now_and_date_formats():
    year = render("{{ now() | date('yyyy') }}", CTX)
    assert year == str(datetime.now(timezone.utc).year)
    assert render("{{ 0 | date('iso_sec') }}", CTX) == "1970-01-01T00:00:00Z"
    assert render("{{ inputs.when | date(\"yyyy-MM-dd'T'HH:mm:ss.SSSXXX\", timeZone='Europe/Paris') }}", CTX) == "2024-03-05T08:08:09.000+01:00"


def test_undefined_variable_names_it_and_the_property():
    with pytest.raises(HarrierExpressionError) as info:
        render("Hello {{ inputs.nam }}", CTX, where="tasks[1].message")
    assert str(info.value) == "tasks[1].message: in 'Hello {{ inputs.nam }}': undefined key 'nam' (keys: name, count, flag, when)"
    with pytest.raises(HarrierExpressionError, match=r"^tasks\[0\]\.message: in '\{\{ missing \}\}': undefined variable 'missing'$"):
        render("{{ missing }}", CTX, where="tasks[0].message")


def test_syntax_error_is_an_expression_error():
    with pytest.raises(HarrierExpressionError, match="invalid expression"):
        render("{{ oops ", CTX)


def test_templates_are_compiled_once():
    compile_template.cache_clear()
    for _ in range(5):
        render("{{ inputs.count + 1 }}", CTX)
    info = compile_template.cache_info()
    assert info.misses == 1 and info.hits == 4


def test_render_value_walks_structures_and_names_paths():
    rendered = render_value({"a": "{{ inputs.count }}", "{{ inputs.name }}": ["x {{ inputs.name }}", 5]}, CTX)
    assert rendered == {"a": 3, "World": ["x World", 5]}
    with pytest.raises(HarrierExpressionError, match=r"^tasks\[0\]\.values\.deep\[1\]: "):
        render_value({"deep": ["ok", "{{ nope }}"]}, CTX, where="tasks[0].values")


def test_render_text_prints_native_values():
    assert render_text("{{ range(1, 3) }}", CTX) == "[1,2,3]"
    assert render_text("{{ inputs.flag }}", CTX) == "true"


def test_secret_reads_base64_env_and_is_masked(monkeypatch):
    monkeypatch.setenv("SECRET_API_TOKEN", base64.b64encode(b"s3cr3t-value").decode())
    assert render("{{ secret('API_TOKEN') }}", CTX) == "s3cr3t-value"
    assert mask("token is s3cr3t-value.") == "token is ******."
    with pytest.raises(HarrierExpressionError, match="SECRET_NOPE"):
        render("{{ secret('NOPE') }}", CTX)


def test_context_for_a_task_in_foreach():
    flow = parse_flow(
        """
id: ctx
namespace: company.team
labels: {team: data}
variables: {greeting: hi}
tasks:
  - id: each
    type: ForEach
    values: [a, b]
    tasks:
      - id: first
        type: OutputValues
        values: {v: x}
      - id: second
        type: Log
        message: "{{ outputs.first[taskrun.value].values.v }}"
"""
    )
    outputs = TaskOutputs()
    outputs.add("first", {"values": {"v": "from-a"}}, iteration=["a"])
    outputs.add("first", {"values": {"v": "from-b"}}, iteration=["b"])
    context = build_context(
        flow,
        execution={"id": "exec-1"},
        inputs={},
        outputs=outputs,
        task=flow.task("second"),
        taskrun={"id": "tr-2", "value": "b", "attemptsCount": 1, "parentId": "tr-0"},
    )
    assert render(flow.task("second").message, context) == "from-b"
    assert render("{{ currentEachOutput(outputs.first).values.v }}", context) == "from-b"
    assert render("{{ flow.namespace }}/{{ flow.id }} {{ execution.id }} {{ vars.greeting }} {{ labels.team }} {{ task.id }}", context) == (
        "company.team/ctx exec-1 hi data second"
    )
    assert context["outputs"] is outputs  # no copy


def test_nested_foreach_outputs_and_parents():
    outputs = TaskOutputs()
    outputs.add("pair", {"v": 1}, iteration=["a", "1"])
    outputs.add("pair", {"v": 2}, iteration=["a", "2"])
    assert outputs["pair"] == {"a": {"1": {"v": 1}, "2": {"v": 2}}}
    flow = parse_flow("id: f\nnamespace: n\ntasks:\n  - {id: t, type: Log, message: m}\n")
    context = build_context(
        flow, execution={"id": "e"}, outputs=outputs, taskrun={"value": "2"}, parents=[{"taskrun": {"value": "a"}}]
    )
    assert render("{{ outputs.pair[parent.taskrun.value][taskrun.value].v }}", context) == 2
    assert render("{{ outputs.pair.a[2].v }}", context) == 2  # an int iteration value finds its string key
    assert render("{{ currentEachOutput(outputs.pair).v }}", context) == 2


def test_envs_come_from_env_prefixed_variables(monkeypatch):
    from harrier.core.expressions.context import environment_variables

    monkeypatch.setenv("ENV_MY_VAR", "hello")
    environment_variables.cache_clear()
    flow = parse_flow("id: f\nnamespace: n\ntasks:\n  - {id: t, type: Log, message: m}\n")
    assert render("{{ envs.my_var }}", build_context(flow, execution={"id": "e"})) == "hello"
    environment_variables.cache_clear()


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ inputs.missing ?? 'fallback' }}", "fallback"),
        ("{{ nothing ?? inputs.missing ?? 7 }}", 7),
        ("{{ inputs.count ?? 0 }}", 3),
        ("{{ outputs.none.value.deep ?? 'chain' }}", "chain"),
        ("{{ inputs.count > 2 ? 'big' : 'small' }}", "big"),
        ("{{ inputs.flag ? inputs.name : 'nobody' }}", "World"),
        ("{% if inputs.missing ?? true %}yes{% endif %}", "yes"),
        ("{% set v = inputs.missing ?? 'set' %}{{ v }}", "set"),
        ("{{ 'a?b' ~ 'c:d' }}", "a?bc:d"),
        ("{{ outputs.none.value is defined }}", False),
        ("{{ true ? (inputs.flag ? 2 : 3) : 4 }}", 2),
        ("{{ range(1, inputs.missing ?? 2) }}", [1, 2]),
        ("{{ (inputs.missing ?? '') | length > 5 ? 'long' : 'short' }}", "short"),
    ],
)
def test_pebble_operators(template, expected):
    assert render(template, CTX) == expected


def test_missing_chain_still_fails_when_printed():
    with pytest.raises(HarrierExpressionError, match="undefined key 'none'"):
        render("{{ outputs.none.value.deep }}", CTX)


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ '{\"a\": 1}' is json }}", True),
    ("{{ 'not json' is json }}", False),
    ("{{ 3 is json }}", False),
    ("{{ '' is empty }}", True),
    ("{{ [] is empty and {} is empty }}", True),
    ("{{ [0] is empty }}", False),
    ("{{ {'k': 1} is map }}", True),
    ("{{ [1] is map }}", False),
    ("{{ none is null }}", True),
    ("{{ 'x' is not null }}", True),
])
def test_pebbles_tests(template: str, expected: bool) -> None:
    # Kestra's flows write Pebble's tests (json, empty, map, null), e.g. a Switch on
    # `{{ taskrun.value is json }}`.
    assert render(template, {}) is expected
