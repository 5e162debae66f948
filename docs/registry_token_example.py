"""End-to-end check of the registry's token auth (docs/registry-notes.md).

Throwaway harness, kept as a worked example: it is not part of the platform.
It makes a self-signed RSA certificate, serves a tiny token endpoint on a
loopback port, runs docker-registry from docker/registry/config.yml.tmpl on
another loopback port, then drives `podman login/push/pull` and raw HTTP
requests against it, printing what it sees.

    .venv/bin/python docs/registry_token_example.py   # as root, podman installed

Users: alice/alice-pw may pull and push repositories under "t/";
bob/bob-pw may only pull them. Everything runs on 127.0.0.1 and is stopped
at the end.
"""

import base64
import datetime as dt
import json
import os
import secrets
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "hosting-registry"
ISSUER = "hosting-token-issuer"
USERS = {"alice": ("alice-pw", {"pull", "push"}), "bob": ("bob-pw", {"pull"})}
LOG = []  # (path+query, auth user) of every token request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(directory):
    """A self-signed RSA key and certificate; the registry trusts the cert."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = Path(directory) / "token.crt"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, cert_path


def libtrust_kid(cert):
    """The key id docker/libtrust computes, accepted in the JWT header "kid"."""
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    b32 = base64.b32encode(digest.finalize()[:30]).decode().rstrip("=")
    return ":".join(b32[i : i + 4] for i in range(0, 48, 4))


def make_token(
    key, cert, subject, access, lifetime=300, header_style="x5c", **overrides
):
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": subject,
        "aud": SERVICE,
        "exp": now + lifetime,
        "nbf": now - 10,
        "iat": now,
        "jti": secrets.token_hex(16),
        "access": access,
    }
    claims.update(overrides)
    if header_style == "x5c":
        der = cert.public_bytes(serialization.Encoding.DER)
        headers = {"x5c": [base64.b64encode(der).decode()]}
    else:
        headers = {"kid": libtrust_kid(cert)}
    return jwt.encode(claims, key, algorithm="RS256", headers=headers), claims


def parse_scope(scope):
    """repository:t/svc:pull,push -> (type, name, {actions})."""
    kind, rest = scope.split(":", 1)
    name, _, actions = rest.rpartition(":")
    return kind, name, set(actions.split(",")) if actions else set()


def grant(user, scopes):
    allowed = USERS[user][1] if user else set()
    access = []
    for scope in scopes:
        kind, name, wanted = parse_scope(scope)
        if kind == "repository" and name.startswith("t/"):
            actions = sorted(wanted & allowed)
            access.append({"type": kind, "name": name, "actions": actions})
    return access


def token_server(key, cert):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _user(self):
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Basic "):
                return None, True
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            ok = user in USERS and USERS[user][0] == password
            return (user if ok else None), ok

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            user, ok = self._user()
            LOG.append(
                ("GET", self.path, user, bool(self.headers.get("Authorization")))
            )
            if not ok:
                body = json.dumps(
                    {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]}
                )
                self._send(401, body, {"WWW-Authenticate": 'Basic realm="hosting"'})
                return
            token, claims = make_token(
                key, cert, user or "", grant(user, query.get("scope", []))
            )
            body = {
                "token": token,
                "access_token": token,
                "expires_in": 300,
                "issued_at": dt.datetime.fromtimestamp(claims["iat"], dt.UTC)
                .isoformat()
                .replace("+00:00", "Z"),
            }
            self._send(200, json.dumps(body))

        def do_POST(self):  # OAuth2 form flow (docker CLI with refresh tokens)
            length = int(self.headers.get("Content-Length", 0))
            LOG.append(("POST", self.path, self.rfile.read(length).decode(), None))
            self._send(404, json.dumps({"error": "unsupported"}))

        def _send(self, status, body, headers=None):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_registry(workdir, realm, cert_path):
    port = free_port()
    text = (ROOT / "docker/registry/config.yml.tmpl").read_text()
    config = string.Template(text).substitute(
        REGISTRY_ADDR=f"127.0.0.1:{port}",
        REGISTRY_STORAGE_DIR=str(Path(workdir) / "data"),
        REGISTRY_HTTP_SECRET=secrets.token_hex(16),
        REGISTRY_TOKEN_REALM=realm,
        REGISTRY_TOKEN_SERVICE=SERVICE,
        REGISTRY_TOKEN_ISSUER=ISSUER,
        REGISTRY_TOKEN_CERT=str(cert_path),
    )
    (Path(workdir) / "config.yml").write_text(config)
    with open(Path(workdir) / "registry.log", "w") as log:  # the child keeps its own fd
        proc = subprocess.Popen(
            ["docker-registry", "serve", str(Path(workdir) / "config.yml")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
        except urllib.error.HTTPError:
            return proc, port  # 401: it is up
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("registry did not start")


def http(method, url, token=None, headers=None):
    req = urllib.request.Request(url, method=method, headers=dict(headers or {}))
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def run(*cmd, env=None, ok=True):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    out = (p.stdout + p.stderr).strip()
    print(f"$ {' '.join(cmd)}\n  -> rc={p.returncode} {out[-400:]}")
    if ok and p.returncode:
        raise SystemExit("unexpected failure")
    return p


def main():
    workdir = tempfile.mkdtemp(prefix="regtoken-")
    env = dict(os.environ, REGISTRY_AUTH_FILE=str(Path(workdir) / "auth.json"))
    key, cert, cert_path = make_cert(workdir)
    tokens = token_server(key, cert)
    realm = f"http://127.0.0.1:{tokens.server_port}/token"
    registry, port = start_registry(workdir, realm, cert_path)
    reg = f"127.0.0.1:{port}"
    try:
        status, headers, body = http("GET", f"http://{reg}/v2/")
        print("GET /v2/ ->", status, headers.get("Www-Authenticate"), body.strip())
        status, headers, body = http("GET", f"http://{reg}/v2/t/svc/manifests/1")
        print(
            "GET manifest, no token ->",
            status,
            headers.get("Www-Authenticate"),
            body.strip(),
        )

        run(
            "podman",
            "login",
            "--tls-verify=false",
            "-u",
            "alice",
            "-p",
            "wrong",
            reg,
            env=env,
            ok=False,
        )
        run(
            "podman",
            "login",
            "--tls-verify=false",
            "-u",
            "alice",
            "-p",
            "alice-pw",
            reg,
            env=env,
        )
        run("podman", "tag", "localhost/hosting-test/httpd:latest", f"{reg}/t/svc:1")
        t0 = time.monotonic()
        run("podman", "push", "--tls-verify=false", f"{reg}/t/svc:1", env=env)
        print(f"  push took {time.monotonic() - t0:.2f}s")
        run("podman", "rmi", f"{reg}/t/svc:1")
        run("podman", "pull", "--tls-verify=false", f"{reg}/t/svc:1", env=env)
        run("podman", "tag", "localhost/hosting-test/httpd:latest", f"{reg}/u/other:1")
        run(
            "podman",
            "push",
            "--tls-verify=false",
            f"{reg}/u/other:1",
            env=env,
            ok=False,
        )
        run("podman", "rmi", f"{reg}/u/other:1")
        run("podman", "logout", reg, env=env)
        run(
            "podman",
            "login",
            "--tls-verify=false",
            "-u",
            "bob",
            "-p",
            "bob-pw",
            reg,
            env=env,
        )
        run("podman", "tag", "localhost/hosting-test/httpd:latest", f"{reg}/t/bob:1")
        run("podman", "push", "--tls-verify=false", f"{reg}/t/bob:1", env=env, ok=False)
        run("podman", "rmi", f"{reg}/t/bob:1")
        run("podman", "logout", reg, env=env)

        manifest = f"http://{reg}/v2/t/svc/manifests/1"
        accept = {
            "Accept": "application/vnd.oci.image.manifest.v1+json, "
            "application/vnd.docker.distribution.manifest.v2+json"
        }
        good, _ = make_token(
            key,
            cert,
            "alice",
            [{"type": "repository", "name": "t/svc", "actions": ["pull"]}],
        )
        status, headers, _ = http("HEAD", manifest, good, accept)
        print(
            "HEAD manifest, good token ->",
            status,
            "digest",
            headers.get("Docker-Content-Digest"),
        )
        kid_token, _ = make_token(
            key,
            cert,
            "alice",
            [{"type": "repository", "name": "t/svc", "actions": ["pull"]}],
            header_style="kid",
        )
        print(
            "GET manifest, token with kid header instead of x5c ->",
            http("GET", manifest, kid_token, accept)[0],
        )
        other, _ = make_token(
            key,
            cert,
            "alice",
            [{"type": "repository", "name": "t/other", "actions": ["pull", "push"]}],
        )
        status, headers, body = http("GET", manifest, other, accept)
        print(
            "GET manifest, token for t/other ->",
            status,
            headers.get("Www-Authenticate"),
            body.strip(),
        )
        expired, _ = make_token(
            key,
            cert,
            "alice",
            [{"type": "repository", "name": "t/svc", "actions": ["pull"]}],
            lifetime=-60,
            nbf=int(time.time()) - 600,
            iat=int(time.time()) - 600,
        )
        status, headers, body = http("GET", manifest, expired, accept)
        print(
            "GET manifest, expired token ->",
            status,
            headers.get("Www-Authenticate"),
            body.strip(),
        )
        wrong_aud, _ = make_token(
            key,
            cert,
            "alice",
            [{"type": "repository", "name": "t/svc", "actions": ["pull"]}],
            aud="someone-else",
        )
        print(
            "GET manifest, wrong aud ->", http("GET", manifest, wrong_aud, accept)[:3:2]
        )
        other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged, _ = make_token(
            other_key,
            cert,
            "alice",
            [{"type": "repository", "name": "t/svc", "actions": ["pull"]}],
        )
        print(
            "GET manifest, signed by another key ->",
            http("GET", manifest, forged, accept)[:3:2],
        )
        catalog, _ = make_token(
            key,
            cert,
            "admin",
            [{"type": "registry", "name": "catalog", "actions": ["*"]}],
        )
        print(
            "GET /v2/_catalog with registry:catalog:* ->",
            http("GET", f"http://{reg}/v2/_catalog", catalog)[::2],
        )
        tags, _ = make_token(
            key,
            cert,
            "alice",
            [{"type": "repository", "name": "t/svc", "actions": ["pull"]}],
        )
        print(
            "GET tags/list ->",
            http("GET", f"http://{reg}/v2/t/svc/tags/list", tags)[::2],
        )

        print("\ntoken requests seen by the token endpoint:")
        for entry in LOG:
            print("  ", entry)
        if len(sys.argv) > 1 and sys.argv[1] == "--keep":
            print(f"\nregistry {reg} and token server stay up; Enter to stop")
            input()
    finally:
        registry.terminate()
        registry.wait(timeout=10)
        tokens.shutdown()
        for ref in (f"{reg}/t/svc:1",):
            subprocess.run(
                ["podman", "rmi", "-i", ref], capture_output=True, check=False
            )
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
