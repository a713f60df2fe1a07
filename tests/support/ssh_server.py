"""A private OpenSSH server on a free loopback port, for the hosts connector and checks.

``sshd`` (Debian's openssh-server, installed by .ci/packages.sh) runs in the foreground with a
configuration, host key and authorized key of its own in a temporary directory; it lets in the
user running the tests by key only. The yielded spec is a testinfra ``ssh://`` host spec whose
client configuration trusts this server's throwaway host key. Stopped by its pid on exit.
"""

from __future__ import annotations

import getpass
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import LOOPBACK, free_port, port_open
from tests.support.servers import _binary, _start, _stop, _workdir

#: the folder sshd wants for privilege separation when it starts as root
PRIVSEP_DIR = Path("/run/sshd")


@dataclass(frozen=True)
class SshServer:
    port: int
    user: str
    client_config: Path

    @property
    def spec(self) -> str:
        return f"ssh://{self.user}@{LOOPBACK}:{self.port}?ssh_config={self.client_config}"


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )


@contextmanager
def ssh_server() -> Iterator[SshServer]:
    sshd = _binary("sshd", "/usr/sbin/sshd")
    with _workdir("readiness-sshd-") as workdir:
        os.chmod(workdir, 0o700)
        _keygen(workdir / "host_key")
        _keygen(workdir / "client_key")
        (workdir / "authorized_keys").write_text((workdir / "client_key.pub").read_text())
        port = free_port()
        config = workdir / "sshd_config"
        config.write_text(
            f"Port {port}\n"
            f"ListenAddress {LOOPBACK}\n"
            f"HostKey {workdir / 'host_key'}\n"
            f"PidFile {workdir / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {workdir / 'authorized_keys'}\n"
            "StrictModes no\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "UsePAM no\n"
            "PermitRootLogin prohibit-password\n"
            "LogLevel ERROR\n"
        )
        client = workdir / "ssh_config"
        client.write_text(
            "Host *\n"
            f"  IdentityFile {workdir / 'client_key'}\n"
            "  IdentitiesOnly yes\n"
            "  StrictHostKeyChecking no\n"
            "  UserKnownHostsFile /dev/null\n"
            "  LogLevel ERROR\n"
        )
        if os.geteuid() == 0:
            PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        proc = _start(
            [sshd, "-D", "-e", "-f", str(config)], workdir / "sshd.log", lambda: port_open(port)
        )
        try:
            yield SshServer(port, getpass.getuser(), client)
        finally:
            _stop(proc)
