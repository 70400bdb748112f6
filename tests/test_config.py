from pathlib import Path

import pytest

from reviewbot import config
from reviewbot.errors import ConfigError


def test_layers_in_order(tmp_path: Path) -> None:
    user = tmp_path / "user.toml"
    user.write_text('[lore]\nurl = "http://user"\n[review]\nfail-on = "error"\n')
    extra = tmp_path / "extra.toml"
    extra.write_text('[lore]\nurl = "http://file"\n')
    cfg = config.load([extra], ["rules.select=MM001, MM002"], env={}, user_file=user)
    assert cfg.text("lore.url") == "http://file"
    assert cfg.text("review.fail-on") == "error"
    assert cfg.words("rules.select") == ["MM001", "MM002"]
    assert cfg.origins["lore.url"] == str(extra)


def test_environment_beats_files_and_c_beats_environment(tmp_path: Path) -> None:
    env = {"REVIEWBOT_LORE_URL": "http://127.0.0.1:9"}
    assert config.load(env=env, user_file=None).text("lore.url") == "http://127.0.0.1:9"
    cfg = config.load(overrides=["lore.url=http://c"], env=env, user_file=None)
    assert cfg.text("lore.url") == "http://c"


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[review]\nfial-on = 'error'\n")
    with pytest.raises(ConfigError, match=r"bad.toml: unknown configuration key 'review.fial-on'"):
        config.load([bad], env={}, user_file=None)


def test_wrong_type_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"lore\.timeout"):
        config.load(overrides=["lore.timeout=soon"], env={}, user_file=None)
    broken = tmp_path / "broken.toml"
    broken.write_text("[lore\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load([broken], env={}, user_file=None)
    with pytest.raises(ConfigError, match="not found"):
        config.load([tmp_path / "absent.toml"], env={}, user_file=None)


def test_every_default_is_documented() -> None:
    assert all(why for _, why in config.DEFAULTS.values())
