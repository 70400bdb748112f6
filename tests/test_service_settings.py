"""The service's settings: the common configuration's coercion, one table of secret
variables, the new limits, one address for a review."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_env import base_values, write_config

from reviewbot import config
from reviewbot.config import SECRET_ENV
from reviewbot.errors import ConfigError
from reviewbot.publish.github import GitHubConfig
from reviewbot.publish.patchwork import PatchworkConfig
from reviewbot.publish.smtp import SmtpConfig
from reviewbot.service import logs
from reviewbot.service import settings as service_settings


def load(tmp_path: Path, *overrides: str, **values: object) -> service_settings.Settings:
    path = write_config(tmp_path / "s.toml", base_values(tmp_path / "state", **values))
    return service_settings.load([path], list(overrides), env={})


def test_the_limits_have_defaults_and_minimums(tmp_path: Path) -> None:
    plain = service_settings.load([], env={}, state_dir=tmp_path)
    assert plain.queue.job_timeout == 600
    assert plain.max_patch_bytes == 8 * 1024 * 1024
    cfg = load(tmp_path, "queue.job-timeout=5", **{"serve.max-patch-bytes": 4096})
    assert (cfg.queue.job_timeout, cfg.max_patch_bytes) == (5, 4096)
    with pytest.raises(ConfigError, match=r"^-c queue.job-timeout: queue.job-timeout = 0: must"):
        load(tmp_path, "queue.job-timeout=0")
    with pytest.raises(ConfigError, match=r"serve.max-patch-bytes = 0: must be at least 1"):
        load(tmp_path, "serve.max-patch-bytes=0")


def test_service_and_common_keys_are_coerced_alike(tmp_path: Path) -> None:
    # one coercion for both tables: "off" is false, a Unicode digit is not a number
    cfg = load(tmp_path, "publish.github.post=off", "sources.github.webhook=on")
    assert cfg.github.post is False and cfg.github.webhook is True
    for key in ("serve.workers", "lore.timeout"):
        with pytest.raises(ConfigError, match=rf"^-c {key}: {key} = '²': expected int$"):
            load(tmp_path, f"{key}=²")
    with pytest.raises(ConfigError, match=r"^-c lore.timeout: lore.timeout = '²': expected int$"):
        config.load(overrides=["lore.timeout=²"], env={}, user_file=None)
    for key in ("sources.github.repositories", "rules.select"):
        with pytest.raises(ConfigError, match=rf"{key} = 3: expected list of strings$"):
            load(tmp_path, **{key: 3})


def test_a_table_where_a_value_belongs_is_refused_naming_the_key(tmp_path: Path) -> None:
    for table, name in (("serve", "bind"), ("lore", "url")):
        path = tmp_path / f"{table}.toml"
        path.write_text(f"[{table}.{name}]\nhost = 'x'\n")
        with pytest.raises(ConfigError, match=rf"{table}.toml: {table}.{name} = {{'host'"):
            service_settings.load([path], env={})


def test_the_secret_variables_come_from_one_table(tmp_path: Path) -> None:
    assert GitHubConfig(repo="o/r", head_sha="a" * 40).token_env == SECRET_ENV["github-token"]
    assert PatchworkConfig(url="https://pw").token_env == SECRET_ENV["patchwork-token"]
    assert SmtpConfig().password_env == SECRET_ENV["smtp-password"]
    posting = load(tmp_path, **{"publish.github.post": True, "publish.patchwork.post": True})
    with pytest.raises(ConfigError, match=SECRET_ENV["github-secret"]):
        service_settings.check_secrets(posting, webhook=True, publish=True, env={})
    with pytest.raises(ConfigError, match=SECRET_ENV["github-token"]):
        service_settings.check_secrets(posting, webhook=False, publish=True, env={})
    only_github = {SECRET_ENV["github-token"]: "t"}
    with pytest.raises(ConfigError, match=SECRET_ENV["patchwork-token"]):
        service_settings.check_secrets(posting, webhook=False, publish=True, env=only_github)
    # every one of them is redacted from the logs
    env = {name: f"value-of-{key}" for key, name in SECRET_ENV.items()}
    assert sorted(logs.secret_values(env)) == sorted(env.values())
    secret = service_settings.load([], env={SECRET_ENV["github-secret"]: "s"}, state_dir=tmp_path)
    assert secret.github.secret is not None and secret.github.secret.reveal() == "s"


def test_a_review_has_one_address_by_number_or_by_job(tmp_path: Path) -> None:
    cfg = load(tmp_path, **{"serve.public-url": "https://bot.example/rb/"})
    assert cfg.review_url(12) == "https://bot.example/rb/reviews/12"
    job = "github:o/r#2@" + "a" * 40
    assert cfg.review_url(job) == f"https://bot.example/rb/reviews/github%3Ao%2Fr%232%40{'a' * 40}"
    assert load(tmp_path).review_url(12) is None
