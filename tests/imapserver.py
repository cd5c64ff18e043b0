"""A real IMAP server for the tests: Debian's Dovecot, started as a throwaway instance.

Its own configuration, sockets, state and maildirs live in a fresh folder; it listens on
free loopback ports, one with implicit TLS and one that requires STARTTLS before any login
(a self-signed certificate made with openssl, which the client trusts through `ca_file`),
and is stopped by its own pid at the end.
Run by root (CI), the mail and login processes drop to `nobody`; run by anyone else, they
keep that user. Never the system's Dovecot service.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .needs import missing_tool
from .waiting import wait_for

PASSWORD = "mot-de-passe-de-test"
USERS = ("veille", "retours")  # a newsletter inbox, the bounce mailbox


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int  # implicit TLS
    starttls_port: int  # plain IMAP that must STARTTLS before the login
    ca_file: Path
    folder: Path  # where its configuration, log and maildirs are

    def client(self, user: str) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        client = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=context, timeout=10)
        client.login(user, PASSWORD)
        return client

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Put a message in the mailbox, unseen, as a delivery would."""
        client = self.client(user)
        try:
            client.create(folder)
            status, data = client.append(folder, None, None, raw)
            assert status == "OK", data
        finally:
            client.logout()

    def flags(self, user: str, folder: str = "INBOX") -> dict[int, str]:
        """UID -> FLAGS of every message in `folder`."""
        client = self.client(user)
        try:
            client.select(folder, readonly=True)
            status, data = client.uid("FETCH", "1:*", "(FLAGS)")
            assert status == "OK", data
            found = {}
            for line in data:
                if isinstance(line, bytes) and b"UID" in line:
                    text = line.decode()
                    uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                    found[uid] = text.split("FLAGS (")[1].split(")")[0]
            return found
        finally:
            client.logout()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(folder: Path, port: int, starttls_port: int) -> str:
    user = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    group = grp.getgrgid(user.pw_gid).gr_name
    for sub in ("home", "run", "state"):
        (folder / sub).mkdir()
    os.chown(folder / "home", user.pw_uid, user.pw_gid)
    return f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{folder}/cert.pem
ssl_key = <{folder}/key.pem
disable_plaintext_auth = yes
# A refused login answers at once: Dovecot holds the first 2 s and every later one from the
# same IP twice as long, up to 15 s (its brute-force penalty), which here only slows the
# wrong-password tests and whichever test logs in after them.
auth_failure_delay = 0
default_login_user = {user.pw_name}
default_internal_user = {user.pw_name}
default_internal_group = {group}
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={user.pw_uid} gid={user.pw_gid} home={folder}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {starttls_port}
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
  chroot =
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def imap_server() -> Iterator[ImapServer]:
    dovecot = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
    )
    if dovecot is None or shutil.which("openssl") is None:
        missing_tool("dovecot (apt-get install dovecot-imapd) and openssl")
    # Not under pytest's tmp_path: nobody (the mail processes' user) must reach it.
    folder = Path(tempfile.mkdtemp(prefix="digest-dovecot-"))
    folder.chmod(0o755)
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")),
            *("-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    (folder / "passwd").write_text("".join(f"{u}:{{PLAIN}}{PASSWORD}\n" for u in USERS))
    port, starttls_port = _free_port(), _free_port()
    (folder / "dovecot.conf").write_text(_config(folder, port, starttls_port))
    subprocess.run([dovecot, "-c", str(folder / "dovecot.conf")], check=True)
    pid_file = folder / "run" / "master.pid"
    try:
        wait_for(lambda: pid_file.exists() and _answers(port), 20, what="dovecot listening")
        yield ImapServer("127.0.0.1", port, starttls_port, folder / "cert.pem", folder)
    finally:
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, signal.SIGTERM)
            wait_for(lambda: not pid_file.exists(), 10, what="dovecot stopped")
        shutil.rmtree(folder, ignore_errors=True)
