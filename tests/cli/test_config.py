"""Configuration: profiles, tokens and their sources, permissions, and one-line errors."""

from __future__ import annotations

import os
import pickle
import sys

import pytest

from slackmq_core import ConfigError, InputError, Profile, Secret, load_profile, parse_duration
from slackmq_core.config import CONFIG_TEMPLATE, config_path, write_template

BOT = "xoxb-emu-alpha"
USER = "xoxp-emu-dana"
APP = "xapp-emu-alpha"


def write(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)
    return path


@pytest.fixture
def cfg(tmp_path):
    return tmp_path / "config.toml"


# --- durations ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, seconds", [
    ("15m", 900), ("900s", 900), ("1h30m", 5400), ("900", 900), (900, 900), ("1d", 86400),
    ("2.5m", 150), (" 10S ", 10), ("0", 0),
])
def test_parse_duration_accepts_the_documented_forms(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "15x", "m15", "1h 30m", "-5", "inf", "nan", "15m30", True, -1])
def test_parse_duration_names_the_bad_value_and_the_valid_forms(text):
    with pytest.raises(InputError) as e:
        parse_duration(text)
    assert repr(text) in str(e.value) and "15m" in str(e.value)


# --- Secret ---------------------------------------------------------------------------------------

def test_secret_hides_itself_everywhere_but_reveal():
    s = Secret(BOT, source="env SLACK_BOT_TOKEN")
    for shown in (str(s), repr(s), f"{s}", f"{s!r}", repr([s]), repr({"t": s})):
        assert BOT not in shown and "emu-alpha" not in shown
    assert str(s) == "xoxb-…(hidden)"
    assert s.reveal() == BOT and s.kind == "bot"
    assert s == Secret(BOT) and s != Secret(USER)
    with pytest.raises(TypeError):
        pickle.dumps(s)
    p = Profile(bot_token=s)
    assert BOT not in repr(p)


# --- file locations and defaults -----------------------------------------------------------------

def test_config_path_follows_platformdirs_and_the_override(tmp_path, monkeypatch):
    assert config_path() == tmp_path / "xdg-config" / "slackmq" / "config.toml"
    monkeypatch.setenv("SLACKMQ_CONFIG", str(tmp_path / "x.toml"))
    assert config_path() == tmp_path / "x.toml"


def test_no_file_gives_defaults_and_env_tokens(cfg):
    p = load_profile(path=cfg, env={"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": APP})
    assert p.name == "default" and p.channels == ("jobs",) and p.stale_ttl == 900
    assert p.bot_token.reveal() == BOT and p.bot_token.source == "env SLACK_BOT_TOKEN"
    assert p.app_token.reveal() == APP and p.user_token is None
    assert p.config_file is None


def test_profiles_are_chosen_by_name_env_default_profile_or_the_only_one(cfg):
    write(cfg, 'default_profile = "b"\n[profiles.a]\nworkspace = "A"\n[profiles.b]\nworkspace = "B"\n')
    assert load_profile(path=cfg, env={}).workspace == "B"
    assert load_profile(path=cfg, env={"SLACKMQ_PROFILE": "a"}).workspace == "A"
    assert load_profile("b", path=cfg, env={"SLACKMQ_PROFILE": "a"}).workspace == "B"
    write(cfg, '[profiles.only]\nworkspace = "O"\n')
    assert load_profile(path=cfg, env={}).name == "only"


def test_every_setting_is_read_and_converted(cfg):
    write(cfg, """
[profiles.ops]
workspace = "Acme"
api_url = "http://127.0.0.1:9999/api"
channels = ["jobs", "#builds", "C0JOBS0001"]
strategy = "PIN_STAR"
reaction = "eyes"
done_reaction = "tada"
failed_reaction = "skull"
stale_ttl = "1h30m"
lease_seconds = 30
read_only = true
claim_note = true
single_user = true
clear_done = true
""")
    p = load_profile("ops", path=cfg, env={})
    assert (p.workspace, p.api_url, p.channels) == ("Acme", "http://127.0.0.1:9999/api/",
                                                   ("jobs", "#builds", "C0JOBS0001"))
    assert (p.strategy, p.reaction, p.done_reaction, p.failed_reaction) == (
        "pin+star", "eyes", "tada", "skull")
    assert (p.stale_ttl, p.lease_seconds, p.read_only, p.claim_note) == (5400, 30, True, True)
    opts = p.lock_options()
    assert opts.stale_after == 5400 and opts.read_only and opts.reaction == "eyes"
    assert opts.single_user and opts.clear_done
    assert str(opts.strategy) == "pin+star"


def test_slackmq_api_url_overrides_the_profile(cfg):
    write(cfg, '[profiles.default]\napi_url = "https://slack.com/api/"\n')
    p = load_profile(path=cfg, env={"SLACKMQ_API_URL": "http://127.0.0.1:1/api/"})
    assert p.api_url == "http://127.0.0.1:1/api/"


# --- errors: one line naming file, line / key, and what is valid ---------------------------------

def one_line(err: BaseException) -> str:
    text = str(err)
    assert "\n" not in text
    return text


def test_malformed_toml_names_path_and_line(cfg):
    write(cfg, '[profiles.default]\nworkspace = "ok"\nstrategy = = "pin"\n')
    with pytest.raises(ConfigError) as e:
        load_profile(path=cfg, env={})
    msg = one_line(e.value)
    assert str(cfg) in msg and "line 3" in msg


def test_unknown_key_names_the_key_its_line_and_the_valid_ones(cfg):
    write(cfg, '[profiles.default]\nworkspace = "x"\nstrategi = "pin"\n')
    with pytest.raises(ConfigError) as e:
        load_profile(path=cfg, env={})
    msg = one_line(e.value)
    assert "'strategi'" in msg and "line 3" in msg and "strategy" in msg and "stale_ttl" in msg


def test_unknown_top_level_key(cfg):
    write(cfg, 'workspace = "x"\n')
    with pytest.raises(ConfigError, match=r"unknown key 'workspace'.*line 1.*profiles"):
        load_profile(path=cfg, env={})


@pytest.mark.parametrize("body, needle", [
    ('read_only = "yes"', "read_only must be true or false"),
    ('stale_ttl = "15 minutes"', "invalid stale_ttl '15 minutes'"),
    ("stale_ttl = 0", "stale_ttl must be more than 0"),
    ('strategy = "pins"', "unknown lock strategy 'pins': use one of pin, pin+reaction"),
    ('api_url = "slack.com"', "api_url 'slack.com' is not an http(s) URL"),
    ("channels = []", "channels must be a list of channel names"),
    ('reaction = "two words"', "bad reaction 'two words'"),
    ('done_reaction = "lock"', "reactions must differ"),
])
def test_bad_values_are_named(cfg, body, needle):
    write(cfg, f"[profiles.default]\n{body}\n")
    with pytest.raises(ConfigError) as e:
        load_profile(path=cfg, env={})
    msg = one_line(e.value)
    assert needle in msg and str(cfg) in msg


def test_unknown_profile_lists_the_known_ones(cfg):
    write(cfg, "[profiles.a]\n[profiles.b]\n")
    with pytest.raises(ConfigError, match=r"unknown profile 'c' in .*; profiles: a, b"):
        load_profile("c", path=cfg, env={})
    with pytest.raises(ConfigError, match=r"unknown profile 'default'.*profiles: a, b"):
        load_profile(path=cfg, env={})


def test_named_profile_without_a_file_says_how_to_make_one(cfg):
    with pytest.raises(ConfigError, match=r"unknown profile 'ops'.*no config file.*config init"):
        load_profile(path=cfg, env={"SLACKMQ_PROFILE": "ops"})


def test_unreadable_config_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"cannot read config .*: it is a directory"):
        load_profile(path=tmp_path, env={})


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_permission_denied_config(cfg):
    write(cfg, "[profiles.default]\n", mode=0o000)
    with pytest.raises(ConfigError, match="permission denied"):
        load_profile(path=cfg, env={})


# --- tokens ---------------------------------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_tokens_in_a_file_others_can_read_are_refused_with_the_fix(cfg, mode):
    write(cfg, f'[profiles.default]\nbot_token = "{BOT}"\n', mode=mode)
    with pytest.raises(ConfigError) as e:
        load_profile(path=cfg, env={})
    msg = one_line(e.value)
    assert msg.endswith(f"run: chmod 600 {cfg}") and f"{mode:04o}" in msg and BOT not in msg


def test_tokens_in_a_private_file_are_used(cfg):
    write(cfg, f'[profiles.default]\nbot_token = "{BOT}"\nuser_token = "{USER}"\n')
    p = load_profile(path=cfg, env={})
    assert p.bot_token.reveal() == BOT and p.user_token.reveal() == USER
    assert p.bot_token.source == f"bot_token in {cfg}"


def test_env_beats_the_file(cfg):
    write(cfg, f'[profiles.default]\nbot_token = "{BOT}"\n')
    p = load_profile(path=cfg, env={"SLACK_BOT_TOKEN": "xoxb-emu-bravo"})
    assert p.bot_token.reveal() == "xoxb-emu-bravo" and p.bot_token.source == "env SLACK_BOT_TOKEN"


@pytest.mark.parametrize("var, value, needle", [
    ("SLACK_BOT_TOKEN", USER, "env SLACK_BOT_TOKEN holds a user token (xoxp-…); bot tokens start with xoxb-"),
    ("SLACK_APP_TOKEN", BOT, "env SLACK_APP_TOKEN holds a bot token (xoxb-…); app tokens start with xapp-"),
    ("SLACK_USER_TOKEN", "hunter2", "something that is not a Slack token"),
])
def test_a_token_of_the_wrong_type_is_refused_without_showing_it(cfg, var, value, needle):
    with pytest.raises(ConfigError) as e:
        load_profile(path=cfg, env={var: value})
    msg = one_line(e.value)
    assert needle in msg and value not in msg


def helper(tmp_path, body: str) -> str:
    script = tmp_path / "helper.py"
    script.write_text(body)
    return f"{sys.executable} {script}"


def test_token_command_supplies_tokens_by_prefix(cfg, tmp_path):
    cmd = helper(tmp_path, f"print('{BOT}')\nprint('SLACK_APP_TOKEN={APP}')\n")
    write(cfg, f"[profiles.default]\ntoken_command = '{cmd}'\n")
    p = load_profile(path=cfg, env={"SLACK_USER_TOKEN": USER})
    assert p.bot_token.reveal() == BOT and p.bot_token.source == "token_command"
    assert p.app_token.reveal() == APP and p.user_token.source == "env SLACK_USER_TOKEN"


def test_token_command_as_an_argument_list(cfg, tmp_path):
    script = tmp_path / "h.py"
    script.write_text(f"print('{BOT}')\n")
    write(cfg, f"[profiles.default]\ntoken_command = ['{sys.executable}', '{script}']\n")
    assert load_profile(path=cfg, env={}).bot_token.reveal() == BOT


def test_failing_token_command_is_refused_and_its_output_never_shown(cfg, tmp_path):
    cmd = helper(tmp_path, f"import sys\nprint('{BOT}')\nprint('{USER}', file=sys.stderr)\nsys.exit(3)\n")
    write(cfg, f"[profiles.default]\ntoken_command = '{cmd}'\n")
    with pytest.raises(ConfigError) as e:
        load_profile(path=cfg, env={})
    msg = one_line(e.value)
    assert "exit status 3" in msg and "run it yourself" in msg
    assert BOT not in msg and USER not in msg


def test_token_command_printing_garbage_is_refused_without_echo(cfg, tmp_path):
    cmd = helper(tmp_path, "print('s3cr3t-value')\n")
    write(cfg, f"[profiles.default]\ntoken_command = '{cmd}'\n")
    with pytest.raises(ConfigError) as e:
        load_profile(path=cfg, env={})
    assert "not a Slack token on line 1" in str(e.value) and "s3cr3t" not in str(e.value)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_token_command_in_a_file_others_can_write_is_refused(cfg, tmp_path):
    cmd = helper(tmp_path, f"print('{BOT}')\n")
    write(cfg, f"[profiles.default]\ntoken_command = '{cmd}'\n", mode=0o666)
    with pytest.raises(ConfigError, match=r"token_command but is open to group or others.*chmod 600"):
        load_profile(path=cfg, env={})


# --- the template ---------------------------------------------------------------------------------

def test_template_is_private_valid_and_not_overwritten(cfg):
    write_template(cfg)
    assert os.stat(cfg).st_mode & 0o777 == 0o600
    assert cfg.read_text() == CONFIG_TEMPLATE
    p = load_profile(path=cfg, env={})
    assert p.name == "default" and p.strategy == "pin+reaction" and p.stale_ttl == 900
    cfg.write_text("# mine\n")
    with pytest.raises(ConfigError, match="already exists; pass --force"):
        write_template(cfg)
    assert cfg.read_text() == "# mine\n"
    write_template(cfg, force=True)
    assert cfg.read_text() == CONFIG_TEMPLATE


def test_template_into_an_unwritable_place_is_a_config_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match=r"cannot write .*config.toml"):
        write_template(blocker / "config.toml")
