"""Whether the login's answer time tells which emails have an account.

Run from the repository root with the project's virtualenv:

    .venv/bin/python bench/login_timing.py

The application is built with `create_app()` on a SQLite database in a temporary folder (schema
from the real migrations), with the password hashing of production: PASSWORD_HASH_METHOD as the
environment says, scrypt when unset. One account is created. Then, through the Flask test client
(GET /login for the CSRF token, then POST /login, as a browser does), two kinds of failed login
take turns, SAMPLES times each after WARM_UP of each:

- `wrong password`: the account's email with a wrong password;
- `unknown email`: an email no account has (a new one each time), with the same password.

The throttle would soon refuse both without checking anything, which is what it is for, but it
would hide the difference measured here: its limits are raised out of the way for the run.

Prints the median and the 10th/90th percentiles of each (ms) and the ratio of the two medians
(1.00 is no difference; the goal is within 1.2), writes them with a description of the machine
to the "login-timing" section of bench/RESULTS.md, and exits 0.
"""

import logging
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from report import machine  # noqa: E402
from report import write_section as report_section  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.models import User  # noqa: E402

SAMPLES = 40
WARM_UP = 3
EMAIL = "someone@bench.example"
CASES = ("wrong password", "unknown email")
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def config(database_url: str) -> dict:
    return {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "APP_ENV": "testing",
        "TESTING": True,
        "PASSWORD_HASH_METHOD": os.environ.get("PASSWORD_HASH_METHOD", "scrypt"),
        "REDIS_URL": "redis://127.0.0.1:9/0",  # never reached: a login enqueues nothing
        "DIMAIL_URL": "http://127.0.0.1:9",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "LOGIN_MAX_FAILURES": 10**9,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 10**9,
    }


def attempt(client, token: str, email: str) -> float:
    data = {"email": email, "password": "not-the-password", "csrf_token": token}
    started = time.perf_counter()
    response = client.post("/login", data=data)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 422:
        raise SystemExit(f"a failed login answered {response.status_code}, not 422")
    return elapsed


def measure(database_url: str) -> dict[str, list[float]]:
    app = create_app(config(database_url))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    times = {case: [] for case in CASES}
    with app.app_context():
        upgrade()
        user = User(email=EMAIL, name="Bench")
        user.set_password(secrets.token_urlsafe(16))
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        token = _CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
        for n in range(WARM_UP + SAMPLES):
            # Taking turns shares a slow spell of the machine between the two cases.
            wrong = attempt(client, token, EMAIL)
            unknown = attempt(client, token, f"nobody-{n}@bench.example")
            if n >= WARM_UP:
                times["wrong password"].append(wrong)
                times["unknown email"].append(unknown)
        db.session.remove()
        db.engine.dispose()
    return times


def table(times: dict[str, list[float]]) -> str:
    lines = [f"{'case':<15} {'median ms':>9} {'p10 ms':>8} {'p90 ms':>8}", "-" * 43]
    for case in CASES:
        deciles = statistics.quantiles(times[case], n=10)
        median = statistics.median(times[case])
        lines.append(f"{case:<15} {median:>9.1f} {deciles[0]:>8.1f} {deciles[-1]:>8.1f}")
    return "\n".join(lines)


def main() -> int:
    started = time.perf_counter()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-login-") as folder:
        times = measure(f"sqlite:///{Path(folder) / 'bench.db'}")
    medians = [statistics.median(times[case]) for case in CASES]
    ratio = max(medians) / min(medians)
    method = config("")["PASSWORD_HASH_METHOD"]
    text = table(times)
    verdict = "within" if ratio <= 1.2 else "over"
    summary = (
        f"Ratio of the medians (slower / faster): {ratio:.2f}, {verdict} the 1.2 goal. "
        f"{SAMPLES} failed logins of each kind, taking turns, after {WARM_UP} of each; "
        f"PASSWORD_HASH_METHOD={method}."
    )
    print(text)
    print()
    print(summary)
    where = report_section(
        "login-timing",
        "## Login timing: wrong password against unknown email\n\n"
        "Produced by `.venv/bin/python bench/login_timing.py`.\n\n"
        f"```\n{text}\n```\n\n{summary}\n\n"
        f"{machine(load_before, 'The test client runs in the same process as the app.')}\n",
    )
    print(f"\nwritten to {where.relative_to(ROOT)}; {time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
