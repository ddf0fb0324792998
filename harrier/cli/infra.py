"""`harrier infra up|down|status`: the local Kafka + Elasticsearch stack for machines without Docker."""

from __future__ import annotations

import argparse

from harrier.infra.exceptions import InfraError

__all__ = ["add_parser"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `infra` command."""
    parser = subparsers.add_parser("infra", help="local Kafka (KRaft) and Elasticsearch without Docker")
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("--brokers", type=int, default=1, choices=[1, 3], help="Kafka nodes (1 or 3)")
    parser.add_argument("--kafka-port", type=int, help="first Kafka client port (default 9092)")
    parser.add_argument("--es-port", type=int, help="Elasticsearch HTTP port (default 9200)")
    parser.add_argument("--no-elasticsearch", action="store_true", help="only Kafka")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Carry out the action; a failure prints one line and returns 1."""
    from harrier.infra.stack import Stack  # psutil and the launchers: only this command needs them

    stack = Stack(kafka_port=args.kafka_port, es_port=args.es_port, brokers=args.brokers)
    try:
        if args.action == "up":
            stack.up(elasticsearch=not args.no_elasticsearch)
        elif args.action == "down":
            stack.down()
    except InfraError as exc:
        print(f"infra error: {exc}")
        return 1
    for status in stack.status():
        print(status.line())
    if args.action == "status":
        return 0 if all(s.ready for s in stack.status()) else 3
    return 0
