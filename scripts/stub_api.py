#!/usr/bin/env python3
"""A stand-in of EarlyBird's API for the HTTP checks of steps 24 and 28: a FastAPI app served by uvicorn, both
installed in the project's venv by scripts/bootstrap.sh.

    .venv/bin/python scripts/stub_api.py PORT_FILE

Listens on a free loopback port, writes it to PORT_FILE, and serves one variant of the API under each prefix (so
every check also runs against an API below a path prefix, as `--api-url http://host/prefix` gives):
  /applied       role checks on (no token 401, customer token 403); OpenAPI with the consolidated tags
  /rolled-back   a login is needed but any role will do (no token 401, any token 201); the 15 separate tags
  /open          no protection at all (201); /casetags: the consolidated tags written Orders, Delivery, Products
  /login-redirect 302 to /login for every endpoint; /moved: 301 elsewhere; /temp: 307 to /applied (method and body kept)
  /loop          307 to itself; /notfound 404; /broken 500; /html: an HTML page for everything
  /hang          never answers; /drip: headers, then one byte every 2 s; /big: an OpenAPI document over 10 MB
A POST whose body is not `{}` answers 400, so a redirect that drops the body shows. The server exits when the
process that started it does.
"""
import asyncio
import json
import os
import socket
import sys
import threading
import time

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

CUSTOMER = "Bearer customer-token"
CONSOLIDATED = ["orders", "delivery", "products"]
SEPARATE = ["orders", "subscriptions", "delivery", "delivery_boy", "products", "users", "auth", "admin", "payments",
            "addresses", "notifications", "reports", "inventory", "routes", "support"]

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


def openapi(tags):
    return {"openapi": "3.1.0", "info": {"title": "EarlyBird", "version": "1"},
            "tags": [{"name": t} for t in tags], "paths": {}}


def redirect(status, location):
    return Response(status_code=status, headers={"Location": location})


async def drip():
    for _ in range(100):
        yield b" "
        await asyncio.sleep(2)


@app.api_route("/{variant}/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
async def endpoint(variant: str, rest: str, request: Request):
    rest = "/" + rest
    body = await request.body()
    token = request.headers.get("authorization")
    if request.method in ("POST", "PUT", "PATCH") and body != b"{}":
        return JSONResponse({"detail": "body lost"}, status_code=400)
    if variant == "hang":
        await asyncio.sleep(60)
        return Response(status_code=504)
    if variant == "drip":
        return StreamingResponse(drip(), headers={"Content-Length": "100"})
    if variant == "notfound":
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    if variant == "broken":
        return Response("Internal Server Error", status_code=500, media_type="text/plain")
    if variant == "html":
        return Response("<html><body>Welcome</body></html>", media_type="text/html")
    if variant == "login-redirect":
        return redirect(302, "/login?next=" + rest)
    if variant == "moved":
        return redirect(301, "http://127.0.0.1:9/elsewhere" + rest)
    if variant == "temp":
        return redirect(307, "/applied" + rest)
    if variant == "loop":
        return redirect(307, request.url.path)
    if rest == "/openapi.json":
        if variant == "big":
            return Response(b'{"tags": [], "padding": "' + b"x" * (11 << 20) + b'"}', media_type="application/json")
        tags = {"applied": CONSOLIDATED, "casetags": [t.capitalize() for t in CONSOLIDATED]}.get(variant, SEPARATE)
        return JSONResponse(openapi(tags))
    if variant == "open":
        return JSONResponse({"created": True}, status_code=201)
    if token is None:
        return JSONResponse({"detail": "Not authenticated"}, status_code=401)
    if variant == "applied" and token == CUSTOMER:
        return JSONResponse({"detail": "Forbidden"}, status_code=403)
    return JSONResponse({"created": True}, status_code=201)


def exit_with_parent():
    """The stand-in never outlives whoever started it: a test process that ends without stopping it (a static is
    never deinitialised) would otherwise leave it running, holding CI's output open."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main():
    threading.Thread(target=exit_with_parent, daemon=True).start()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)  # before the port is told: a request that comes early waits in the backlog
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", access_log=False, timeout_graceful_shutdown=1))
    server.run(sockets=[listener])


if __name__ == "__main__":
    main()
