"""A 10,000-row import of mailboxes, end to end: the preview request, the confirm request, and
the time until the dimail simulator has them all, with 2 workers; peak memory of the requests.

    .venv/bin/python bench/imports.py

Redis, the simulator, the mail catcher and the workers are bench/sync.py's (sync_stack); the
application answers in this process through Flask's test client (no network between the
browser and the app: what is measured is the app's own work). Goals: preview <= 3 s, confirm
<= 5 s. The numbers go to bench/RESULTS.md by hand.
"""

import io
import re
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from sync_config import DOMAIN  # noqa: E402
from sync_database import bench_app, workers_ready  # noqa: E402
from sync_stack import Processes, start_stack, worker_argv  # noqa: E402

from webapp.extensions import db  # noqa: E402
from webapp.models import Domain, DomainAccess, DomainStatus, Mailbox, Role, User  # noqa: E402
from webapp.models.base import utcnow  # noqa: E402

ROWS = 10_000
WORKERS = 2
DEADLINE = 600


def csv_file() -> bytes:
    lines = ["prénom;nom;adresse;email secondaire"]
    lines += [f"Prénom{i};Nom{i};;p{i}@home.example" for i in range(ROWS)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def owner_and_domain(app) -> str:
    password = secrets.token_urlsafe(16)
    with app.app_context():
        user = User(email="owner@bench.example", name="Bench owner")
        user.set_password(password)
        domain = Domain(name=DOMAIN, support_email=f"support@{DOMAIN}",
                        status=DomainStatus.ENABLED, dimail_created_at=utcnow())  # fmt: skip
        db.session.add_all([user, domain, DomainAccess(domain=domain, user=user, role=Role.OWNER)])
        db.session.commit()
    return password


def timed(label: str, call):
    """The request's time, and this process's peak resident memory after it (tracemalloc
    would double the time it measures)."""
    started = time.perf_counter()
    response = call()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label}: {seconds:.2f} s, HTTP {response.status_code}, peak RSS {peak:.0f} MiB")
    return response, seconds, peak


def enabled_count(app) -> int:
    with app.app_context():
        count = db.session.scalar(
            db.select(db.func.count(Mailbox.id)).where(Mailbox.status == "enabled")
        )
        db.session.remove()
    return count


def run(folder: Path, processes: Processes) -> dict:
    env, simulator = start_stack(processes, folder)
    simulator.reset()
    app = bench_app(env)
    app.config["WTF_CSRF_ENABLED"] = False  # the bench posts forms without reading pages
    client = app.test_client()
    client.post("/login", data={"email": "owner@bench.example", "password": owner_and_domain(app)})
    for n in range(WORKERS):
        processes.start(f"worker-{n}", worker_argv(), env)
    workers_ready(app, WORKERS, time.monotonic() + 60)
    data = csv_file()
    url = f"/domains/{DOMAIN}/imports/mailboxes"
    preview, preview_s, preview_mib = timed(
        "preview", lambda: client.post(url, data={"file": (io.BytesIO(data), "staff.csv")})
    )
    number = re.search(r"/imports/(\d+)/confirm", preview.get_data(as_text=True)).group(1)
    _, confirm_s, confirm_mib = timed(
        "confirm", lambda: client.post(f"/domains/{DOMAIN}/imports/{number}/confirm")
    )
    started = time.monotonic()
    while (done := enabled_count(app)) < ROWS:
        if time.monotonic() - started > DEADLINE:
            raise SystemExit(f"only {done} of {ROWS} enabled after {DEADLINE} s")
        time.sleep(0.5)
    enabled_s = time.monotonic() - started
    in_simulator = len(simulator.state()["domains"][DOMAIN]["mailboxes"])
    print(f"all {ROWS} enabled {enabled_s:.1f} s after the confirm ({in_simulator} in dimail)")
    return {"preview": preview_s, "confirm": confirm_s, "enabled": enabled_s,
            "preview_mib": preview_mib, "confirm_mib": confirm_mib}  # fmt: skip


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as name:
        processes = Processes(Path(name))
        try:
            numbers = run(Path(name), processes)
        finally:
            processes.stop_all()
    ok = numbers["preview"] <= 3 and numbers["confirm"] <= 5
    print("goals met" if ok else "goals NOT met (preview <= 3 s, confirm <= 5 s)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
