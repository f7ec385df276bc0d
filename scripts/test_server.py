#!/usr/bin/env python3
"""Run a command with SecantusDB test servers started on free loopback ports, and stop them afterwards.

    scripts/test_server.py [--auth] [--keep-data DIR] -- COMMAND [ARGS...]

Starts a plain server (temporary storage, test commands enabled) and exports
  ROLLGATE_TEST_URI          mongodb://127.0.0.1:PORT
  ROLLGATE_TEST_SERVER_BIN   the secantusd-py executable, for tests that start servers of their own
With --auth it also starts a second server that requires SCRAM, with one user, and exports
  ROLLGATE_TEST_AUTH_URI     mongodb://rollgate_test:PASSWORD@127.0.0.1:PORT/?authSource=admin
The command's exit code is this script's exit code. Servers are stopped (and waited for) on every exit path.
"""
import argparse
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_ping(uri: str, timeout: float = 60.0) -> None:
    import pymongo

    deadline = time.monotonic() + timeout
    while True:
        try:
            pymongo.MongoClient(uri, serverSelectionTimeoutMS=300).admin.command("ping")
            return
        except Exception:
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
        wait_for_ping(setup.uri)
        pymongo.MongoClient(setup.uri).admin.command(
            "createUser", AUTH_USER, pwd=AUTH_PASSWORD, roles=[{"role": "root", "db": "admin"}])
    finally:
        setup.stop()
    server = Server(storage, log_path, extra=["--auth"])
    from urllib.parse import quote_plus

    server.uri = (f"mongodb://{AUTH_USER}:{quote_plus(AUTH_PASSWORD)}@127.0.0.1:{server.port}/"
                  f"?authSource=admin")
    wait_for_ping(server.uri)
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--auth", action="store_true", help="also start a server that requires SCRAM")
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
    env = dict(os.environ)
    try:
        plain = Server(args.storage or os.path.join(workdir, "storage"), log_path, extra=["--enable-test-commands"])
        servers.append(plain)
        wait_for_ping(plain.uri)
        env["ROLLGATE_TEST_URI"] = plain.uri
        env["ROLLGATE_TEST_SERVER_BIN"] = SERVER
        if args.auth:
            auth = start_auth_server(workdir, log_path)
            servers.append(auth)
            env["ROLLGATE_TEST_AUTH_URI"] = auth.uri
        print(f"test server: {plain.uri}" + (" (+ SCRAM server)" if args.auth else ""), file=sys.stderr)
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 130
    finally:
        for server in servers:
            server.stop()
        if os.environ.get("ROLLGATE_KEEP_SERVER_LOG"):
            print(f"server log kept in {log_path}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
