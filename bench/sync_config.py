"""What bench/sync.py measures: the mailboxes, the time limits, the rounds and the faults."""

from webapp.config import DEFAULT_RETRY_INTERVALS

MAILBOXES = 1_000
DOMAIN = "sync.bench.example"
DIMAIL_USER = DIMAIL_PASSWORD = "people"  # noqa: S105 - the simulator's default admin user
RUN_SECONDS = 180  # each run gives up after this long
BUDGET_SECONDS = 225  # and all of them together after this long
POLL_SECONDS = 0.05
ROUNDS = 3  # the fault-free runs and the ceiling, taking turns
RECONCILE_EVERY = 1.0  # the fault run calls the reconciler this often (the cron: every 60 s)
RAW_SECONDS = 60  # each ceiling measurement gives up after this long
HANG_SECONDS, FAULT_TIMEOUT = 1.0, 0.5
FAULTS = {
    "error_rate": 0.08,
    "timeout_rate": 0.04,
    "hang_seconds": HANG_SECONDS,
    "drop_rate": 0.04,
    "fail_after_effect_rate": 0.04,
    "seed": 20240601,
}
BENCH_RETRY_INTERVALS = (0, 0, 0, 0, 0)
PRODUCTION_INTERVALS = DEFAULT_RETRY_INTERVALS
