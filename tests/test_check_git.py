"""reviewbot.sources.git and the configuration layers it feeds, without the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from checkrepo import BAD, KernelRepo

from reviewbot import config
from reviewbot.errors import ConfigError
from reviewbot.sources import git


def test_environment_keeps_the_repository_and_drops_what_changes_the_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = git.environment(
        {"GIT_DIR": ".git", "GIT_EXTERNAL_DIFF": "mydiff", "GIT_DIFF_OPTS": "-u0", "PATH": "/b"}
    )
    assert env["GIT_DIR"] == str(tmp_path / ".git")  # absolute: still right from elsewhere
    assert "GIT_EXTERNAL_DIFF" not in env and "GIT_DIFF_OPTS" not in env
    assert env["GIT_TERMINAL_PROMPT"] == "0" and env["PATH"] == "/b"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("A..B", True), ("A...B", True), ("A..", True), ("X^!", True), ("HEAD", False)],
)
def test_is_range(spec: str, expected: bool) -> None:
    assert git.is_range(spec) is expected


def test_user_configuration_does_not_change_the_patches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = KernelRepo(tmp_path)
    repo.topic()
    bad = repo.commit("mm/memory: use page_dup_rmap() for file pages", BAD)
    for key, value in [
        ("diff.noprefix", "true"),
        ("format.coverLetter", "true"),
        ("format.signature", "sent from my toaster"),
        ("color.ui", "always"),
        ("diff.external", "false"),
    ]:
        repo.git("config", key, value)
    for name, value in repo.env.items():
        monkeypatch.setenv(name, value)
    found = git.Repository.discover(repo.path)
    assert found is not None and found.top == repo.path
    series = git.load_series(found, git.select(found, "master..HEAD"))
    assert not isinstance(series, str)
    (patch,) = series.patches
    assert patch.commit == bad and patch.files[0].path == "mm/memory.c"
    assert series.cover is None and series.base_commit == repo.base
    assert "toaster" not in patch.message + patch.notes


def test_git_config_entries_and_origins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = KernelRepo(tmp_path)
    for name, value in repo.env.items():
        monkeypatch.setenv(name, value)
    repo.git("config", "--global", "reviewbot.review.kernel", "6.1")
    repo.git("config", "reviewbot.review.fail-on", "error")
    with (repo.path / ".git" / "config").open("a") as out:
        out.write('[reviewbot "output"]\n\tflag\n')  # a key without a value reads as true
    found = git.Repository.discover(repo.path)
    entries = git.config_entries(found, "reviewbot")
    assert entries == [
        ("reviewbot.review.kernel", "6.1", str(repo.home / ".gitconfig")),
        ("reviewbot.review.fail-on", "error", str(repo.path / ".git" / "config")),
        ("reviewbot.output.flag", "true", str(repo.path / ".git" / "config")),
    ]


def test_layers_repository_file_user_file_git_config(tmp_path: Path) -> None:
    repo_file = tmp_path / ".reviewbot.toml"
    repo_file.write_text('[review]\nkernel = "6.1"\nfail-on = "never"\nformat = "json"\n')
    user = tmp_path / "user.toml"
    user.write_text('[review]\nfail-on = "info"\n')
    entries = [
        ("reviewbot.review.fail-on", "error", "/home/u/.gitconfig"),
        ("reviewbot.rules.ignore", "MM002", "/home/u/.gitconfig"),
        ("reviewbot.rules.ignore", "MM003, MM004", "/r/.git/config"),
    ]
    cfg = config.load(
        overrides=["review.format=text"],
        env={},
        user_file=user,
        repo_file=repo_file,
        git_config=entries,
    )
    assert cfg.text("review.kernel") == "6.1"  # only the repository file sets it
    assert cfg.text("review.fail-on") == "error"  # git config beats the user file
    assert cfg.text("review.format") == "text"  # -c beats everything
    assert cfg.words("rules.ignore") == ["MM002", "MM003", "MM004"]  # values add up
    assert cfg.origins["rules.ignore"] == "/r/.git/config (git config reviewbot.rules.ignore)"


def test_git_config_errors_name_the_key_and_the_file() -> None:
    with pytest.raises(ConfigError, match=r"^/r/.git/config \(git config reviewbot.review.x\): "):
        config.load(
            env={}, user_file=None, git_config=[("reviewbot.review.x", "1", "/r/.git/config")]
        )
    with pytest.raises(ConfigError, match=r"lore\.timeout"):
        config.load(env={}, user_file=None, git_config=[("reviewbot.lore.timeout", "soon", "/g")])


def test_repository_file_may_not_choose_code_or_destinations(tmp_path: Path) -> None:
    repo_file = tmp_path / ".reviewbot.toml"
    repo_file.write_text('[rules]\ndirs = ["tools/reviewbot"]\n')
    with pytest.raises(ConfigError, match=r"rules\.dirs cannot be set in a repository file"):
        config.load(env={}, user_file=None, repo_file=repo_file)
    repo_file.write_text('[smtp]\nhost = "mail.example.org"\n')  # where passwords would go
    with pytest.raises(ConfigError, match=r"smtp\.host cannot be set in a repository file"):
        config.load(env={}, user_file=None, repo_file=repo_file)
    # The same key from the user's own files is fine.
    user = tmp_path / "user.toml"
    user.write_text('[rules]\ndirs = ["tools/reviewbot"]\n')
    assert config.load(env={}, user_file=user).words("rules.dirs") == ["tools/reviewbot"]
