"""Property-based tests: random YAML and random expressions only ever raise Harrier's errors."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harrier.core import HarrierExpressionError, Problem, validate_text
from harrier.core.expressions import render
from harrier.core.registry import default_registry

KEYS = [
    "id", "namespace", "tasks", "type", "message", "then", "else", "values", "cases", "defaults", "value",
    "condition", "errors", "finally", "triggers", "inputs", "dependsOn", "task", "retry", "timeout", "cron",
    "concurrency", "limit", "behavior", "labels", "variables", "duration", "concurrencyLimit", "key", "topic",
    "properties", "interval", "maxAttempts", "format", "uri", "commands", "from", "expression", "x",
]
TYPES = default_registry().names("task")[:20] + default_registry().names("trigger")[:5] + ["Nope", "STRING", "INT"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False), st.sampled_from(TYPES),
    st.sampled_from(["PT1S", "0 * * * *", "{{ inputs.x }}", "{{ oops", "a b", "QUEUE", "constant"]), st.text(max_size=12),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.sampled_from(KEYS), children, max_size=6)),
    max_leaves=40,
)
flows = st.fixed_dictionaries(
    {"id": st.sampled_from(["f", "bad id"]), "namespace": st.sampled_from(["n", "N"]), "tasks": documents},
    optional={"triggers": documents, "inputs": documents, "errors": documents},
)


def _check(text: str) -> None:
    flow, problems = validate_text(text, "fuzz.yml")
    assert all(isinstance(p, Problem) and p.line >= 1 and p.column >= 1 for p in problems)
    assert (flow is None) == bool(problems)
    for problem in problems:
        str(problem)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flows)
def test_random_flow_documents(document):
    _check(yaml.safe_dump(document, sort_keys=False))


@settings(max_examples=300, deadline=None)
@given(documents)
def test_random_yaml_values(document):
    _check(yaml.safe_dump(document))


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#%@` \n\t?,.0123456789")), max_size=80))
def test_random_yaml_text(text):
    _check(text)


TOKENS = [
    "inputs", "outputs", "x", ".", "[", "]", "(", ")", "'a'", "1", "0", "-1", "+", "*", "**", "/", "~", "|", "==",
    "not", "and", "in", "is", "defined", "range", "now()", "length", "join", "default", "toJson", "fromJson", "date",
    "keys", "values", "render", "secret", "__class__", "mro", "_x", ",", "{", "}", ":", "if", "else", "None", "true",
    "upper", "slugify", "sha256", "base64encode", "base64decode", "split", "replace", "chunk", "10**9", "attr",
    "?", "??", ":", "'?'", "\\",
]
CONTEXT = {"inputs": {"x": 1, "a": "text", "l": [1, 2]}, "outputs": {"t": {"value": {"k": "v"}}}, "x": [1, 2, 3]}


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=12), st.sampled_from(["{{ %s }}", "a {{ %s }} b", "{%% if %s %%}y{%% endif %%}", "{%% for i in %s %%}{{ i }}{%% endfor %%}"]))
def test_random_expressions(tokens, shape):
    template = shape % " ".join(tokens)
    try:
        render(template, CONTEXT, where="tasks[0].message")
    except HarrierExpressionError as exc:
        assert str(exc).startswith("tasks[0].message: ")


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_random_expression_text(body):
    try:
        render("{{" + body + "}}", CONTEXT)
        render("{%" + body + "%}", CONTEXT)
    except HarrierExpressionError:
        pass


# Tokens that reach for Python's objects (dunder attributes, Jinja's own globals, loop and
# macro internals) or for unbounded work (huge ranges, repetition, power, nested loops).
ESCAPES = [
    "__class__", "__mro__", "__subclasses__()", "__globals__", "__init__", "__dict__", "__builtins__", "self",
    "cycler", "joiner", "lipsum", "namespace", "loop", "caller", "varargs", "kwargs", "config", "attr('__class__')",
    "|attr('__globals__')", "|format('%s')", "|map('upper')", "|map(attribute='__class__')", "|selectattr('__class__')",
    "|sum", "|list", "|string", "|first", "'x'*10**7", "range(10**9)", "10**10**10", "inputs.l*10**8", "~",
    "[inputs.l]*10**6", "'{{'", "render('{{ 1 }}')", "render(inputs.a)", "now()", ".", "(", ")", "[", "]", "|",
    "inputs", "x", "'a'", "1", "+", "*", "**", ",", "in", "for", "if", "else",
]
# What a render may yield: JSON-like values (and dates), never a Python function, class or module.
PLAIN = (type(None), bool, int, float, str, list, tuple, dict)


def _plain(value, depth=0):
    import datetime

    if isinstance(value, (datetime.date, datetime.datetime, datetime.timedelta)):
        return True
    if not isinstance(value, PLAIN) or depth > 50:
        return False
    if isinstance(value, dict):
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain(v, depth + 1) for v in value[:1000])
    return True


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(ESCAPES), min_size=1, max_size=8),
       st.sampled_from(["{{ %s }}", "{%% for i in %s %%}{%% for j in %s %%}{{ j }}{%% endfor %%}{%% endfor %%}"]))
def test_random_escapes_yield_plain_values_within_the_budgets(tokens, shape):
    import time
    import tracemalloc

    template = shape.replace("%s", " ".join(tokens))
    tracemalloc.start()
    started = time.thread_time()
    try:
        value = render(template, CONTEXT, where="tasks[0].message")
    except HarrierExpressionError as exc:
        assert str(exc).startswith("tasks[0].message: ")
    else:
        assert _plain(value), f"{template!r} yielded {type(value).__name__}"
        assert "<function" not in str(value) and "<class" not in str(value) and "<module" not in str(value)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    # The time budget is 1 s of CPU per render and strings and sequences are bounded to a million:
    # a render that escaped them would take longer or hold more than this.
    assert time.thread_time() - started < 3.0, template
    assert peak < 200 * 1024 * 1024, f"{template!r} peaked at {peak} bytes"
