#!/usr/bin/env python3
"""A stand-in of EarlyBird's API for the HTTP checks of steps 24 and 28, with Python's standard library only.

    scripts/stub_api.py PORT_FILE

Listens on a free loopback port, writes it to PORT_FILE, and serves one variant of the API under each prefix:
  /applied       role checks on (no token 401, customer token 403); OpenAPI with the consolidated tags
  /rolled-back   a login is needed but any role will do (no token 401, any token 201); the 15 separate tags
  /open          no protection at all (201); /casetags: the consolidated tags written Orders, Delivery, Products
  /login-redirect 302 to /login for every endpoint; /moved: 301 elsewhere; /temp: 307 to /applied (method and body kept)
  /loop          307 to itself; /notfound 404; /broken 500; /html: an HTML page for everything
  /hang          never answers; /drip: headers, then one byte every 2 s; /big: an OpenAPI document over 10 MB
A POST whose body is not `{}` answers 400, so a redirect that drops the body shows.
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CUSTOMER = "Bearer customer-token"
CONSOLIDATED = ["orders", "delivery", "products"]
SEPARATE = ["orders", "subscriptions", "delivery", "delivery_boy", "products", "users", "auth", "admin", "payments",
            "addresses", "notifications", "reports", "inventory", "routes", "support"]


def openapi(tags):
    return json.dumps({"openapi": "3.1.0", "info": {"title": "EarlyBird", "version": "1"},
                       "tags": [{"name": t} for t in tags], "paths": {}}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", content_type="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        variant, _, rest = self.path.lstrip("/").partition("/")
        rest = "/" + rest
        token = self.headers.get("Authorization")
        if self.command in ("POST", "PUT", "PATCH") and body != b"{}":
            return self.answer(400, b'{"detail": "body lost"}')
        if variant == "hang":
            time.sleep(60)
            return
        if variant == "drip":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(2)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should
            return
        if variant == "notfound":
            return self.answer(404, b'{"detail": "Not Found"}')
        if variant == "broken":
            return self.answer(500, b"Internal Server Error", "text/plain")
        if variant == "html":
            return self.answer(200, b"<html><body>Welcome</body></html>", "text/html")
        if variant == "login-redirect":
            return self.answer(302, headers=[("Location", "/login?next=" + rest)])
        if variant == "moved":
            return self.answer(301, headers=[("Location", "http://127.0.0.1:9/elsewhere" + rest)])
        if variant == "temp":
            return self.answer(307, headers=[("Location", "/applied" + rest)])
        if variant == "loop":
            return self.answer(307, headers=[("Location", self.path)])
        if rest == "/openapi.json":
            if variant == "big":
                return self.answer(200, b'{"tags": [], "padding": "' + b"x" * (11 << 20) + b'"}')
            tags = {"applied": CONSOLIDATED, "casetags": [t.capitalize() for t in CONSOLIDATED]}.get(variant, SEPARATE)
            return self.answer(200, openapi(tags))
        if variant == "open":
            return self.answer(201, b'{"created": true}')
        if token is None:
            return self.answer(401, b'{"detail": "Not authenticated"}')
        if variant == "applied" and token == CUSTOMER:
            return self.answer(403, b'{"detail": "Forbidden"}')
        return self.answer(201, b'{"created": true}')

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any


def exit_with_parent():
    """The stand-in never outlives whoever started it: a test process that ends without stopping it (a static is
    never deinitialised) would otherwise leave it running, holding CI's output open."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main():
    threading.Thread(target=exit_with_parent, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
