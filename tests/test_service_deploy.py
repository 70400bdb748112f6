"""deploy/: the example config runs as it is with only the secret; the other files hold up."""

from __future__ import annotations

import configparser
import os
import signal
import subprocess
import sys
from pathlib import Path

import requests
import yaml
from service_env import ROOT, SECRET, free_port, wait_for

from reviewbot.service import settings as service_settings

DEPLOY = ROOT / "deploy"
EXAMPLE = DEPLOY / "reviewbot.example.toml"


def test_the_example_config_needs_only_the_secret(tmp_path: Path) -> None:
    env = {"REVIEWBOT_GITHUB_SECRET": SECRET, "XDG_DATA_HOME": str(tmp_path)}
    cfg = service_settings.load([EXAMPLE], env=env)
    service_settings.check_secrets(cfg, webhook=True, publish=True, env=env)
    assert (cfg.host, cfg.port) == ("127.0.0.1", 8080)
    assert cfg.state_dir == tmp_path / "reviewbot"
    assert cfg.queue.backend == "sqlite" and cfg.github.webhook


def test_serve_runs_with_the_example_config_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWBOT_")}
    env.update(REVIEWBOT_GITHUB_SECRET=SECRET, XDG_DATA_HOME=str(tmp_path))
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reviewbot",
                "serve",
                "--config",
                str(EXAMPLE),
                "--bind",
                f"127.0.0.1:{port}",
            ],
            env=env,
            stdout=out,
            stderr=out,
            cwd=tmp_path,
        )
        try:

            def healthy() -> bool:
                try:
                    return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok
                except requests.ConnectionError:
                    return False

            wait_for(healthy, 30, "serve to answer")
            unsigned = requests.post(
                f"http://127.0.0.1:{port}/webhooks/github",
                json={"zen": "hi"},
                headers={"X-GitHub-Event": "ping"},
                timeout=5,
            )
        finally:
            proc.send_signal(signal.SIGTERM)
            status = proc.wait(30)
    text = log.read_text()
    assert unsigned.status_code == 401
    assert status == 0, text
    assert (tmp_path / "reviewbot" / "reviewbot.db").is_file()  # the default state dir
    assert (tmp_path / "reviewbot" / "queue.db").is_file()
    assert '"event": "serve.started"' in text and SECRET not in text


def test_the_compose_file_has_redis_serve_and_two_workers() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"redis", "serve", "worker"}
    assert services["worker"]["deploy"]["replicas"] == 2
    assert services["worker"]["command"][0] == "worker"
    assert "queue.backend=redis" in services["serve"]["command"]
    assert "serve.workers=0" in services["serve"]["command"]
    assert "--appendonly" in services["redis"]["command"]


def test_the_systemd_units_run_serve_and_worker() -> None:
    for name, command in (("reviewbot.service", "serve"), ("reviewbot-worker@.service", "worker")):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str  # type: ignore[assignment,method-assign]
        unit.read(DEPLOY / name)
        argv = unit["Service"]["ExecStart"].split()
        assert argv[1] == command and "--config" in argv
        assert unit["Service"]["EnvironmentFile"] == "/etc/reviewbot/secrets.env"
    containerfile = (DEPLOY / "Containerfile").read_text()
    assert 'ENTRYPOINT ["reviewbot"]' in containerfile
