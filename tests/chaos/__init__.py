"""Fault injection: Harrier's components as real processes under load, killed and restarted
on a schedule, then audited from the topics and Elasticsearch.

- ``flows``: the mixed flow the load runs (and its subflow, and the cron flows);
- ``components``: start, signal and restart ``harrier server <component>`` processes;
- ``load``: open-loop injection of execution-create commands (``webload``: through the webserver);
- ``followers``: SSE followers of executions, reading as the CLI does, reconnecting;
- ``diskfull``: a small disk (a tmpfs) for a run's own broker, filled and freed;
- ``faults``: the scenarios, each a schedule of faults;
- ``audit``: what the topics and Elasticsearch say happened;
- ``run``: one scenario from set-up to audit; ``python -m tests.chaos`` runs them all.
"""
