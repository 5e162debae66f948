"""The key that signs registry tokens and the self-signed certificate the registry trusts.

Generated on first use into settings.REGISTRY_KEY_DIR and reused afterwards, so the web,
the workers and the registry (whose `rootcertbundle` is the certificate file) agree on
one key without any setup step. Regenerating the key needs a registry restart.
"""
import base64
import datetime as dt
import fcntl
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings

KEY_FILE = "token.key"
CERT_FILE = "token.crt"
CERT_VALID_DAYS = 3650


@dataclass(frozen=True)
class SigningKey:
    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    cert_path: Path

    @property
    def x5c(self) -> list[str]:
        """The JWT `x5c` header: standard base64 of the certificate's DER."""
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return [base64.b64encode(der).decode()]


def signing_key() -> SigningKey:
    """The signing key of the configured directory, generated there if missing."""
    return _load(str(settings.REGISTRY_KEY_DIR))


def cert_path() -> Path:
    """The certificate file to give the registry as `rootcertbundle`."""
    return signing_key().cert_path


@lru_cache(maxsize=4)
def _load(directory: str) -> SigningKey:
    folder = Path(directory)
    ensure_files(folder)
    key = serialization.load_pem_private_key((folder / KEY_FILE).read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate((folder / CERT_FILE).read_bytes())
    return SigningKey(key, cert, folder / CERT_FILE)


def ensure_files(folder: Path) -> None:
    """Create the key and certificate once; a file lock keeps concurrent processes from
    each generating their own (gunicorn workers and Celery start together)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / KEY_FILE).exists() and (folder / CERT_FILE).exists():
            return
        key, cert = _generate(settings.REGISTRY_ISSUER)
        _write_private(folder / CERT_FILE, cert.public_bytes(serialization.Encoding.PEM))
        _write_private(folder / KEY_FILE, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))


def _generate(common_name: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=CERT_VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically with mode 0600 whatever the umask."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
