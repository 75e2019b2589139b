"""The shared kernel: what several packages must agree on, kept once. It imports no other project
package, so every package, the pure core included, may import it.

| module | job |
|---|---|
| `redis_keys.py` | every Redis key and channel name |
| `redis_connect.py` | every Redis client from the one URL: plain, or `redis+sentinel://` |
| `database_url.py` | the database URL for SQLAlchemy, a libpq host list (primary, replica) too |
| `event_types.py` | the domain event types, the terminal ones, and each type's `data` fields |
| `dependencies.py` | the start-up check of the libraries used below their public API |
| `priorities.py` | the range of a waiting call's priority (engine, API and board agree) |
| `number_categories.py` | the categories of a called number (calling plans, the PBX, reports) |
| `number_destinations.py` | text destinations (`voicemail:<ext>`): provisioning, PBX, groups |
| `manager_assistant.py` | which calls to a manager ring its assistant first (provisioning, PBX) |
| `speed_dial.py` | speed dial slots and the dialling rule (`2`, `2#`, `#07`): provisioning, PBX |
| `e164.py` | phone numbers to E.164, the key of the CRM index and the contacts directory |
| `migrations.py` | running one package's Alembic migrations in a database shared with others |
| `static_client.py` | a browser client's static files under one path, with its page headers |
| `child_processes.py` | child processes that die with the product (`setpriv --pdeathsig`) |
| `supervision.py` | child processes restarted with back-off, health checks (docs/deploy.md) |
| `job_queues.py` | every rq queue, worker and cron scheduler: JSON jobs, never pickle |
| `rq_worker.py` | rq worker: its forks die with it, orphaned it stops cold, scheduler restarts |
| `security_headers.py` | every page's Content-Security-Policy and the ASGI wrapper sending it |
"""
