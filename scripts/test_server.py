#!/usr/bin/env python3
"""Run a command with SecantusDB test servers started on free loopback ports, and stop them afterwards.

    scripts/test_server.py [--auth] [--tls] [--storage DIR] -- COMMAND [ARGS...]

Starts a plain server (temporary storage, test commands enabled) and exports
  ROLLGATE_TEST_URI          mongodb://127.0.0.1:PORT
  ROLLGATE_TEST_SERVER_BIN   the secantusd-py executable, for tests that start servers of their own
With --auth it also starts a second server that requires SCRAM and exports
  ROLLGATE_TEST_AUTH_URI     mongodb://rollgate_test:PASSWORD@127.0.0.1:PORT/?authSource=admin   (role root)
  ROLLGATE_TEST_AUDITOR_URI  the same server as a user holding only rollgateAudit on ROLLGATE_TEST_ACCESS_DB
  ROLLGATE_TEST_OPERATOR_URI the same server as a user holding only rollgateRollback on ROLLGATE_TEST_ACCESS_DB
  ROLLGATE_TEST_ACCESS_DB    rollgate_access: the database those two roles cover (Docs/mongodb-roles.json)
With --tls it also starts a server that speaks only TLS, with a throwaway CA made by openssl, and exports
  ROLLGATE_TEST_TLS_URI      mongodb://localhost:PORT/?tls=true&tlsCAFile=CA   (the certificate names localhost)
  ROLLGATE_TEST_TLS_CA       the CA file
The command's exit code is this script's exit code. Servers are stopped (and waited for) on every exit path.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
SERVER = os.path.join(VENV_BIN, "secantusd-py")
AUTH_USER = "rollgate_test"
# A password with characters that need percent-encoding, so tests see the redaction of real-world passwords.
AUTH_PASSWORD = "S3cret:Pa@ss-word"
ACCESS_DB = "rollgate_access"
ROLES_FILE = os.path.join(ROOT, "Docs", "mongodb-roles.json")
# The users holding only the documented least-privilege roles, each with its own secret password.
ACCESS_USERS = {"AUDITOR": ("rollgate_auditor", "Aud1t:Pw@only-read", "rollgateAudit"),
                "OPERATOR": ("rollgate_operator", "Op3rator:Pw@rollback", "rollgateRollback")}


def print_server_errors(log_path: str, limit: int = 200) -> None:
    """After a failed command, prints the server's own error lines and tracebacks (its log at WARNING), so that an
    `internal server error` in a CI log comes with the server's reason."""
    try:
        with open(log_path, errors="replace") as log:
            lines = log.read().splitlines()
    except OSError:
        return
    if lines:
        print(f"--- test server log, last {min(limit, len(lines))} of {len(lines)} lines ---", file=sys.stderr)
        print("\n".join(lines[-limit:]), file=sys.stderr)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_ping(uri: str, timeout: float = 60.0, process=None) -> None:
    """Waits until the server at `uri` answers ping; gives up after `timeout` seconds, or at once if `process` (the
    server's Popen) has exited."""
    import pymongo

    deadline = time.monotonic() + timeout
    while True:
        try:
            pymongo.MongoClient(uri, serverSelectionTimeoutMS=300).admin.command("ping")
            return
        except Exception:
            if process is not None and process.poll() is not None:
                raise SystemExit(f"test server at {uri.split('@')[-1]} exited with status {process.returncode} "
                                 f"before answering ping")
            if time.monotonic() > deadline:
                raise SystemExit(f"test server at {uri.split('@')[-1]} did not answer ping within {timeout:.0f} s")
            time.sleep(0.2)


class Server:
    def __init__(self, storage: str, log_path: str, extra=()):
        self.port = free_port()
        self.log = open(log_path, "ab")
        args = [SERVER, "--host", "127.0.0.1", "--port", str(self.port), "--storage-path", storage,
                "--log-level", "WARNING", *extra]
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.uri = f"mongodb://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                # SecantusDB takes 3-8 s to exit after SIGTERM; wait before its port or storage is reused.
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def start_auth_server(workdir: str, log_path: str) -> Server:
    """Provision a user without --auth, then restart on the same storage with --auth."""
    import pymongo

    storage = os.path.join(workdir, "auth-storage")
    setup = Server(storage, log_path)
    try:
        wait_for_ping(setup.uri, process=setup.process)
        admin = pymongo.MongoClient(setup.uri).admin
        admin.command("createUser", AUTH_USER, pwd=AUTH_PASSWORD, roles=[{"role": "root", "db": "admin"}])
        # The roles exactly as Docs/mongodb-roles.json documents them, for the access database.
        with open(ROLES_FILE) as file:
            roles = json.loads(file.read().replace("EARLYBIRD", ACCESS_DB))["roles"]
        for role in roles:
            admin.command(role)
        for user, password, role in ACCESS_USERS.values():
            admin.command("createUser", user, pwd=password, roles=[{"role": role, "db": "admin"}])
    finally:
        setup.stop()
    server = Server(storage, log_path, extra=["--auth"])
    from urllib.parse import quote_plus

    server.uri = (f"mongodb://{AUTH_USER}:{quote_plus(AUTH_PASSWORD)}@127.0.0.1:{server.port}/"
                  f"?authSource=admin")
    server.access_uris = {name: f"mongodb://{user}:{quote_plus(password)}@127.0.0.1:{server.port}/?authSource=admin"
                          for name, (user, password, _) in ACCESS_USERS.items()}
    wait_for_ping(server.uri, process=server.process)
    return server


def make_certificates(workdir: str) -> tuple:
    """A throwaway CA and a server certificate for localhost signed by it; returns (ca, cert, key) paths."""
    ca, ca_key = os.path.join(workdir, "ca.pem"), os.path.join(workdir, "ca-key.pem")
    cert, key, csr = (os.path.join(workdir, name) for name in ("server.pem", "server-key.pem", "server.csr"))
    ext = os.path.join(workdir, "server.ext")
    with open(ext, "w") as file:
        file.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=RollGate test CA",
            "-keyout", ca_key, "-out", ca)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", key, "-out", csr)
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
            "-extfile", ext, "-out", cert)
    return ca, cert, key


def run_in_own_group(command, env) -> int:
    """Runs `command` in a process group of its own and kills whatever of that group is left when it ends: a helper
    a test started and never stopped (a stand-in API, a server) must not hold CI's output open after the run."""
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        return process.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--auth", action="store_true", help="also start a server that requires SCRAM")
    parser.add_argument("--tls", action="store_true", help="also start a server that requires TLS")
    parser.add_argument("--storage", help="storage directory for the plain server (default: temporary)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    if not os.path.exists(SERVER):
        raise SystemExit(f"{SERVER} is missing: run scripts/bootstrap.sh first")

    workdir = tempfile.mkdtemp(prefix="rollgate-test-server-")
    log_path = os.path.join(workdir, "server.log")
    servers = []
    status = 1
    env = dict(os.environ)
    try:
        plain = Server(args.storage or os.path.join(workdir, "storage"), log_path, extra=["--enable-test-commands"])
        servers.append(plain)
        wait_for_ping(plain.uri, process=plain.process)
        env["ROLLGATE_TEST_URI"] = plain.uri
        env["ROLLGATE_TEST_SERVER_BIN"] = SERVER
        if args.auth:
            auth = start_auth_server(workdir, log_path)
            servers.append(auth)
            env["ROLLGATE_TEST_AUTH_URI"] = auth.uri
            for name, uri in auth.access_uris.items():
                env[f"ROLLGATE_TEST_{name}_URI"] = uri
            env["ROLLGATE_TEST_ACCESS_DB"] = ACCESS_DB
        if args.tls:
            ca, cert, key = make_certificates(workdir)
            tls = Server(os.path.join(workdir, "tls-storage"), log_path,
                         extra=["--tls-cert-file", cert, "--tls-key-file", key])
            servers.append(tls)
            tls.uri = f"mongodb://localhost:{tls.port}/?tls=true&tlsCAFile={ca}"
            wait_for_ping(tls.uri, process=tls.process)
            env["ROLLGATE_TEST_TLS_URI"] = tls.uri
            env["ROLLGATE_TEST_TLS_CA"] = ca
        extras = [name for name, wanted in (("SCRAM", args.auth), ("TLS", args.tls)) if wanted]
        print(f"test server: {plain.uri}" + "".join(f" (+ {name} server)" for name in extras), file=sys.stderr)
        status = run_in_own_group(command, env)
        return status
    finally:
        for server in servers:
            server.stop()
        if status != 0:
            print_server_errors(log_path)
        if os.environ.get("ROLLGATE_KEEP_SERVER_LOG"):
            print(f"server log kept in {log_path}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
