"""Kill, resume and restart: check the execution's current state, then send the command.

The executor has the last word (it drops a command that no longer fits), but a request that
cannot succeed is refused here with a 409 saying why, instead of being accepted silently.
"""

from __future__ import annotations

from typing import Any

from harrier.core.messages import KillExecution, RestartExecution, ResumeExecution
from harrier.core.states import TERMINAL, State
from harrier.topics.records import encode_command
from harrier.webserver.exceptions import Conflict
from harrier.webserver.lookups import current_snapshot
from harrier.webserver.payloads import state_of
from harrier.webserver.services import Services

__all__ = ["kill", "restart", "resume"]

_RESTARTABLE = frozenset({State.FAILED.value, State.KILLED.value})


async def kill(services: Services, execution_id: str) -> None:
    """Ask the executor to kill a running execution; 409 if it already ended."""
    state = await _state(services, execution_id)
    if state in {s.value for s in TERMINAL}:
        raise Conflict(
            f"execution {execution_id} already ended in state {state}: "
            "only an execution that is still running can be killed"
        )
    if state == State.KILLING.value:
        raise Conflict(f"execution {execution_id} is already being killed")
    await _send(services, KillExecution(execution_id=execution_id))


async def resume(services: Services, execution_id: str, inputs: dict[str, Any]) -> None:
    """Resume a PAUSED execution; 409 in any other state."""
    state = await _state(services, execution_id)
    if state != State.PAUSED.value:
        raise Conflict(f"execution {execution_id} is {state}: only a PAUSED execution can be resumed")
    await _send(services, ResumeExecution(execution_id=execution_id, inputs=inputs))


async def restart(services: Services, execution_id: str) -> None:
    """Restart a FAILED or KILLED execution from its failed task runs; 409 otherwise."""
    state = await _state(services, execution_id)
    if state not in _RESTARTABLE:
        raise Conflict(
            f"execution {execution_id} is {state}: only a FAILED or KILLED execution can be restarted"
        )
    await _send(services, RestartExecution(execution_id=execution_id))


async def _state(services: Services, execution_id: str) -> str | None:
    _, snapshot = await current_snapshot(services, execution_id)
    return state_of(snapshot)


async def _send(services: Services, command: Any) -> None:
    await services.producer.send(services.topics["executions"], command.execution_id, encode_command(command))
