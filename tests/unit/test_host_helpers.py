"""Edge cases of the host check helpers (checks/_host.py): parsing, not the commands' runs."""

from __future__ import annotations

import pytest

from checks._host import (
    env_requirements,
    find_arguments,
    glob_matches,
    included,
    journald_settings,
    parse_files,
    parse_listener,
    parse_logrotate,
    port_allowed,
    variable_names,
)


@pytest.mark.parametrize(
    ("pattern", "arguments"),
    [
        ("/var/backups", ("/var/backups", "")),
        ("/var/backups/db-*.gz", ("/var/backups", "/var/backups/db-*.gz")),
        ("/srv/*/dumps/*.sql", ("/srv", "/srv/*/dumps/*.sql")),
        ("/*.tar", ("/", "/*.tar")),
    ],
)
def test_find_arguments_start_below_the_first_wildcard(
    pattern: str, arguments: tuple[str, str]
) -> None:
    assert find_arguments(pattern) == arguments


def test_parse_files_reads_the_clock_and_paths_with_spaces() -> None:
    now, files = parse_files("1700000000\n1699990000 12 /b/a file.gz\nnoise\n")
    assert now == 1700000000
    assert [(f.path, f.mtime, f.size) for f in files] == [("/b/a file.gz", 1699990000, 12)]
    assert parse_files("") == (None, [])


@pytest.mark.parametrize(
    ("url", "shown", "loopback"),
    [
        ("tcp://0.0.0.0:22", "tcp://0.0.0.0:22", False),
        ("tcp://:::22", "tcp://[::]:22", False),
        ("tcp://::1:9091", "tcp://[::1]:9091", True),
        ("udp://127.0.0.53%lo:53", "udp://127.0.0.53%lo:53", True),
        ("tcp://*:80", "tcp://*:80", False),
    ],
)
def test_parse_listener(url: str, shown: str, loopback: bool) -> None:
    listener = parse_listener(url)
    assert listener is not None
    assert (str(listener), listener.loopback) == (shown, loopback)


def test_unix_sockets_are_not_listeners() -> None:
    assert parse_listener("unix:///run/app.sock") is None


def test_port_allow_list_entries() -> None:
    ssh = parse_listener("tcp://0.0.0.0:22")
    dns = parse_listener("udp://0.0.0.0:53")
    web = parse_listener("tcp://0.0.0.0:8080")
    assert ssh is not None
    assert dns is not None
    assert web is not None
    assert port_allowed(ssh, ["tcp/22"])
    assert not port_allowed(ssh, ["udp/22"])
    assert port_allowed(dns, ["53"])
    assert port_allowed(web, ["tcp/8000-8099"])
    assert not port_allowed(web, ["tcp/http", "nonsense"])


def test_variable_names_ignore_anything_that_is_not_a_name() -> None:
    assert variable_names("PATH\nDATABASE_URL\n\n1BAD\nhas space\n_OK\n") == {
        "PATH",
        "DATABASE_URL",
        "_OK",
    }


def test_env_requirements_need_one_source_and_variables() -> None:
    found, problems = env_requirements(
        [
            {"pidfile": "/run/app.pid", "variables": ["A"]},
            {"service": "app", "pidfile": "/run/app.pid", "variables": ["A"]},
            {"environment_file": "/etc/app.env", "variables": []},
            "app",
        ]
    )
    assert [r.label for r in found] == ["pidfile /run/app.pid"]
    assert [p.split(":")[0] for p in problems] == [
        "host_required_env entry 2",
        "host_required_env entry 3",
        "host_required_env entry 4",
    ]


def test_logrotate_rules_includes_scripts_and_quotes() -> None:
    config = parse_logrotate(
        "weekly\n"
        "include /etc/logrotate.d\n"
        "# /var/log/commented.log {\n"
        '"/var/log/with space.log" /var/log/a.log\n'
        "/var/log/b.log {\n"
        "  postrotate\n"
        "    /usr/bin/killall -HUP app }\n"
        "    /var/log/never.log {\n"
        "  endscript\n"
        "}\n"
        "/var/log/c/*.log { daily\n"
        "}\n",
        "logrotate.conf",
    )
    assert config.includes == ["/etc/logrotate.d"]
    assert config.patterns == [
        "/var/log/with space.log",
        "/var/log/a.log",
        "/var/log/b.log",
        "/var/log/c/*.log",
    ]
    assert config.problems == []
    assert parse_logrotate("/x.log {\n  daily\n", "f").problems == ["f: a rule's { is never closed"]


def test_included_folders_skip_backup_files_like_logrotate() -> None:
    assert included(["nginx", "app.dpkg-old", "old~", "z.rpmsave", "apt"]) == ["apt", "nginx"]


def test_rule_globs_do_not_cross_folders() -> None:
    assert glob_matches("/var/log/app/api.log", "/var/log/app/*.log")
    assert not glob_matches("/var/log/app/old/api.log", "/var/log/app/*.log")
    assert glob_matches("/var/log/app/*.log", "/var/log/app/*.log")  # a path that does not exist


def test_journald_drop_ins_override_the_main_file() -> None:
    main = "[Journal]\nSystemMaxUse=1G\nStorage=auto\n"
    assert journald_settings([main, "[Journal]\nSystemMaxUse=200M\n"])["SystemMaxUse"] == "200M"
    assert "SystemMaxUse" not in journald_settings(["[Journal]\n#SystemMaxUse=1G\n", "not ini"])
