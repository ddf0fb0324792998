"""'Did you mean ...?': only names a few slips away from the one written are suggested."""

from __future__ import annotations

import pytest

from harrier.core.registry import default_registry


@pytest.mark.parametrize(
    ("written", "suggested"),
    [
        ("Lgo", "Log"),
        ("log", "Log"),
        ("Sleeep", "Sleep"),
        ("shell.Comands", "shell.Commands"),
        ("io.kestra.plugin.core.log.Logg", "io.kestra.plugin.core.log.Log"),
        ("io.kestra.plugin.core.flw.Sleep", "io.kestra.plugin.core.flow.Sleep"),
    ],
)
def test_a_slip_suggests_the_name_meant(written: str, suggested: str) -> None:
    assert default_registry().suggest(written) == suggested


@pytest.mark.parametrize(
    "written",
    ["io.kestra.plugin.core.kv.Put", "io.kestra.plugin.core.flow.Nope", "foo.Bar", "zzzzzz"],
)
def test_an_unrelated_name_suggests_nothing(written: str) -> None:
    # A long shared prefix made `kv.Set` suggest `flow.Sleep` under a similarity ratio.
    assert default_registry().suggest(written) is None
