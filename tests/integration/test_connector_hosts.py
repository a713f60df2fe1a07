"""The hosts connector through testinfra's real backends.

Real: testinfra and what its backends run - the local shell (local://), the OpenSSH client
(ssh://) against a real sshd started here (tests/support/ssh_server.py), the docker and kubectl
command-line clients. Stand-ins for the far side: a bound but non-listening loopback port
(refused), a listening socket nobody accepts on (hangs), a container that does not exist and a
kubeconfig pointing at those ports. paramiko:// is not tested (paramiko is not installed).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from testinfra.backend.base import CommandResult
from testinfra.backend.local import LocalBackend

from pytest_readiness.connectors.hosts import TargetHost, connect
from pytest_readiness.errors import AuthFailed, ConfigError, TimedOut, Unreachable
from pytest_readiness.redaction import Redactor
from tests.support.http_servers import DemoHandler, ServedHttp, refusing_port, silent_port
from tests.support.ssh_server import ssh_server
from tests.support.targets import load_target, rejected_target

pytestmark = pytest.mark.integration


def _connect(spec: str, timeout: float = 5.0, **settings: object) -> TargetHost:
    return connect(
        load_target("hosts", "web-1", timeout=timeout, spec=spec, **settings), Redactor()
    )


def _kubeconfig(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "x",
                "clusters": [{"name": "x", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
                "users": [{"name": "u", "user": {}}],
                "contexts": [{"name": "x", "context": {"cluster": "x", "user": "u"}}],
            }
        )
    )
    return path


def test_local_host_reads_files_and_runs_commands(tmp_path: Path) -> None:
    config = tmp_path / "app.conf"
    config.write_text("listen 8080\n")
    host = _connect("local://")
    try:
        assert host.backend == "local"
        assert host.file(str(config)).exists
        assert host.file(str(config)).content_string == "listen 8080\n"
        assert not host.file(str(tmp_path / "missing")).exists
        echoed = host.run("echo %s", "a b;c")  # arguments are quoted, not interpreted
        assert (echoed.rc, echoed.stdout) == (0, "a b;c\n")
        assert host.run("exit 3").rc == 3
        assert host.package("bash").is_installed
    finally:
        host.close()


def test_local_host_without_sudo_runs_no_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    # nothing to reach: the first command the backend runs is the check's own
    commands = _record_commands(monkeypatch)
    host = _connect("local://")
    assert commands == []
    assert host.run("echo %s", "checked").stdout == "checked\n"
    assert commands == ["echo checked"]


def test_local_host_with_sudo_is_probed_and_fails_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a sudo that wants a password, whether sudo comes from the settings or the spec's query
    sudo = tmp_path / "sudo"
    sudo.write_text("#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n")
    sudo.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    commands = _record_commands(monkeypatch)
    for spec, settings in (("local://", {"sudo": True}), ("local://?sudo=true", {})):
        with pytest.raises(AuthFailed, match=r"sudo: a password is required"):
            _connect(spec, **settings)
    assert commands == ["sudo /bin/sh -c true"] * 2


def _record_commands(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The commands the local backend runs from now on (it still runs them)."""
    commands: list[str] = []
    run_local = LocalBackend.run_local

    def recording(backend: LocalBackend, command: str, *args: str) -> CommandResult:
        commands.append(backend.quote(command, *args))
        return run_local(backend, command, *args)

    monkeypatch.setattr(LocalBackend, "run_local", recording)
    return commands


def test_local_host_sees_a_listening_socket() -> None:
    host = _connect("local://")
    with ServedHttp(DemoHandler) as server:
        assert host.socket(f"tcp://127.0.0.1:{server.port}").is_listening


def test_ssh_to_a_real_server_runs_commands_and_refuses_an_unknown_key(tmp_path: Path) -> None:
    stranger = tmp_path / "stranger_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    with ssh_server() as server:
        host = _connect(server.spec)
        assert host.backend == "ssh"
        result = host.run("echo %s; id -un", "over ssh")
        assert (result.rc, result.stdout) == (0, f"over ssh\n{server.user}\n")
        config = server.client_config.read_text().replace(
            str(server.client_config.parent / "client_key"), str(stranger)
        )
        (tmp_path / "ssh_config").write_text(config)
        spec = server.spec.replace(str(server.client_config), str(tmp_path / "ssh_config"))
        with pytest.raises(AuthFailed, match=r"Permission denied \(publickey\)"):
            _connect(spec)


def test_ssh_to_a_refusing_port_is_unreachable_within_the_timeout() -> None:
    with refusing_port() as port:
        start = time.monotonic()
        with pytest.raises(Unreachable) as info:
            _connect(f"ssh://deploy@127.0.0.1:{port}", timeout=1)
        assert time.monotonic() - start < 2.0
    assert str(info.value) == (
        f"Cannot connect to hosts target 'web-1': ssh: connect to host "
        f"127.0.0.1 port {port}: Connection refused (timeout 1s)"
    )


def test_ssh_to_a_silent_port_times_out() -> None:
    with silent_port() as port:
        start = time.monotonic()
        with pytest.raises(TimedOut, match=r"^Cannot connect to hosts target 'web-1': .*timed out"):
            _connect(f"ssh://deploy@127.0.0.1:{port}", timeout=1)
        # ssh's ConnectTimeout (1 s) covers the banner exchange too
        assert time.monotonic() - start < 2.0


def test_ssh_password_in_the_spec_never_shows() -> None:
    with refusing_port() as port, pytest.raises(Unreachable) as info:
        _connect(f"ssh://deploy:hunter22@127.0.0.1:{port}", timeout=1)
    # with sshpass installed ssh is refused; without it the shell says sshpass is missing
    assert "hunter22" not in str(info.value)
    assert str(info.value).startswith("Cannot connect to hosts target 'web-1': ")


def test_docker_container_that_does_not_exist_is_unreachable() -> None:
    # whether the daemon is down, the container is missing or the CLI is absent: Unreachable
    with pytest.raises(Unreachable, match=r"^Cannot connect to hosts target 'web-1': "):
        _connect("docker://readiness-no-such-container", timeout=5)


def test_kubectl_pod_on_a_refusing_api_server_is_unreachable(tmp_path: Path) -> None:
    with refusing_port() as port:
        spec = f"kubectl://web-0?namespace=shop&kubeconfig={_kubeconfig(tmp_path, port)}"
        with pytest.raises(Unreachable, match=r"was refused"):
            _connect(spec, timeout=5)


def test_backend_without_its_own_timeout_is_cut_off_at_the_timeout(tmp_path: Path) -> None:
    with silent_port() as port:
        spec = f"kubectl://web-0?kubeconfig={_kubeconfig(tmp_path, port)}"
        start = time.monotonic()
        with pytest.raises(
            TimedOut,
            match=r"^Cannot connect to hosts target 'web-1': timed out "
            r"\(timeout 1s\)$",
        ):
            _connect(spec, timeout=1)
        assert time.monotonic() - start < 2.0
    # closing the port resets kubectl's connection, so the abandoned command ends by itself


def test_settings_errors_are_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"^hosts target 'web-1': spec: expected a testinfra"):
        connect(rejected_target("hosts", "web-1", {}), Redactor())
    with pytest.raises(ConfigError, match=r"spec: Unknown connection type 'gopher'"):
        _connect("gopher://web-1")
