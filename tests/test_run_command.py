"""The run command (`make run`, i.e. `python -m devtools.dev`) stops everything it started."""

import os
import signal
import subprocess
import sys

import psutil
import pytest

from devtools.dev import free_port, wait_for_port
from webapp import ROOT


@pytest.mark.parametrize("how", [signal.SIGHUP, signal.SIGTERM], ids=["terminal closed", "stop"])
def test_the_development_stack_stops_every_service(how):
    port = free_port()
    env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    for name in ("DATABASE_URL", "REDIS_URL", "DIMAIL_URL", "SMTP_HOST", "SMTP_PORT"):
        env.pop(name, None)  # the defaults: every service started by the command itself
    stack = subprocess.Popen(  # noqa: S603 - our own fixed command line
        [sys.executable, "-m", "devtools.dev"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    services: list[psutil.Process] = []
    try:
        wait_for_port(port, stack, seconds=60)
        services = psutil.Process(stack.pid).children(recursive=True)
        assert len(services) >= 6  # Redis, simulator, mail catcher, worker, cron, web

        stack.send_signal(how)
        assert stack.wait(timeout=30) == 0
        gone, alive = psutil.wait_procs(services, timeout=15)
        assert alive == [], [p.cmdline() for p in alive]
    finally:
        if stack.poll() is None:
            stack.kill()
        for service in services:  # whatever a failed run left behind
            if service.is_running():
                service.kill()
