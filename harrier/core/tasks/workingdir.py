"""WorkingDirectory: run tasks one after another in one working directory.

Resolved by the executor as a Sequential is. Each child is an ordinary worker task that
names the directory it runs in (`messages.WorkingDirectoryRef`); the directory travels from
one child to the next as an archive in internal storage, so any worker can run any child
(see docs/architecture.md). `namespaceFiles` are copied in before the first child;
`cache` is accepted and not applied.
"""

from __future__ import annotations

from typing import Any, ClassVar

from harrier.core.tasks.flowable import Sequential

__all__ = ["WorkingDirectory"]


class WorkingDirectory(Sequential):
    """Run `tasks` in order in one directory: `namespaceFiles` and `inputFiles` are put there
    first, files matching `outputFiles` are stored once each child is done
    (`outputs.<id>.outputFiles`)."""

    type_name: ClassVar[str] = "WorkingDirectory"
    type_aliases: ClassVar[tuple[str, ...]] = (
        "io.kestra.plugin.core.flow.WorkingDirectory",
        "io.kestra.core.tasks.flows.WorkingDirectory",
        "io.kestra.core.tasks.flows.Worker",
    )

    input_files: Any = None
    output_files: list[str] | None = None
    namespace_files: dict[str, Any] | None = None
    cache: dict[str, Any] | None = None
