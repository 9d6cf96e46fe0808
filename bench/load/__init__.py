"""The load test (`make load`) and the database-restart drill (`make drill`).

- `bench.load.run`: makes (or reuses) a seeded PostgreSQL database, serves the app with
  gunicorn under production settings on loopback, drives it with locust for 60 seconds, then
  checks that everything the load test was told had been saved is in the database.
- `bench.load.locustfile`: the simulated people (staff, the headteacher, line managers,
  governors), each signing in and working through the real pages and forms.
- `bench.load.prepare` and `bench.load.check` run inside Django: the accounts to use (and the
  headteacher's authenticator), and the after-run checks.
- `bench.drill` (the restart drill) reuses all of this and stops PostgreSQL mid-run.

See docs/performance.md, "Load test" and "Restart drill".
"""
