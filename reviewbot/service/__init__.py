"""``reviewbot serve``: the webhook and poller service, durable on one machine or many.

The parts, each in the module named for it: :mod:`settings` (the TOML file and the
secrets from the environment), :mod:`logs` (one JSON or logfmt line per event),
:mod:`store` (reviews, findings, cursors in SQLite), :mod:`jobs` (the job board: states,
leases, the failed list; SQLite or Redis), :mod:`queue` (huey: SQLite or Redis),
:mod:`results` (how a worker's result reaches the store), :mod:`record` (the publishers'
"already posted" record shared by every worker), :mod:`tasks` (what reviewing a GitHub pull
request, a patchwork series or a lore series means), :mod:`worker` (the consumer loop,
heartbeats and the recovery sweep), :mod:`pollers` (patchwork events, lore feeds),
:mod:`github` (the GitHub API calls), :mod:`fetch` (HTTP GETs of the sources),
:mod:`app` (the Starlette app),
:mod:`openapi` (its description), :mod:`metrics` (Prometheus text) and
:mod:`runtime` (all of them opened together from one settings object).
"""
