"""The authority's digital signature on certificate PDFs (pyHanko), and its verification.

The key and certificate come from configuration (PEM files). Outside production a
development pair is generated once into instance/ and marked as such in its subject;
production refuses it (app/__init__.py)."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import current_app
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import load_cert_from_pemder
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

DEVELOPMENT_MARK = "DEVELOPMENT ONLY"


def ensure_development_key(folder: Path) -> tuple[Path, Path]:
    """A self-signed pair for development and tests, generated once."""
    key_path, cert_path = folder / "dev-signing-key.pem", folder / "dev-signing-cert.pem"
    if not (key_path.exists() and cert_path.exists()):
        write_self_signed_pair(key_path, cert_path,
                               f"Registry development signer ({DEVELOPMENT_MARK})")
    return key_path, cert_path


def write_self_signed_pair(key_path: Path, cert_path: Path, common_name: str) -> None:
    """An ECDSA P-256 key (fast to sign with: about 35 ms) and its self-signed certificate."""
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def is_development_certificate(cert_path: str | Path) -> bool:
    cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    return DEVELOPMENT_MARK in cert.subject.rfc4514_string()


@lru_cache(maxsize=4)
def _signer(key_path: str, cert_path: str, passphrase: bytes | None) -> signers.SimpleSigner:
    return signers.SimpleSigner.load(key_path, cert_path, key_passphrase=passphrase)


def _configured_signer() -> signers.SimpleSigner:
    config = current_app.config
    passphrase = config.get("CERTIFICATE_SIGNING_KEY_PASSPHRASE") or None
    return _signer(str(config["CERTIFICATE_SIGNING_KEY"]), str(config["CERTIFICATE_SIGNING_CERT"]),
                   passphrase.encode() if passphrase else None)


# Room for the signature container beyond the certificates it carries: the signed
# attributes, the CMS structure and the signature value itself (72 bytes for ECDSA P-256,
# 512 for RSA-4096) take well under 2 kB.
CONTAINER_OVERHEAD = 3072


@lru_cache(maxsize=4)
def _bytes_reserved(signer: signers.SimpleSigner) -> int:
    """How much room to leave in the PDF for the signature. Left to itself, pyHanko
    finds out by signing once in a dry run before the real signature, which doubles the
    cost of every certificate; the size depends only on the signer's certificates."""
    certificates = [signer.signing_cert, *signer.cert_registry]
    size = sum(len(cert.dump()) for cert in certificates) + CONTAINER_OVERHEAD
    return size + size % 2  # pyHanko writes it as hex digits in pairs: an even count


def sign(pdf: bytes) -> bytes:
    """Certify the PDF: a certification signature that permits no later change."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name="AuthoritySignature", md_algorithm="sha256", certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        reason="电子注册证书", location=current_app.config["AUTHORITY_NAME"])
    signer = _configured_signer()
    return signers.sign_pdf(writer, meta, signer=signer,
                            bytes_reserved=_bytes_reserved(signer)).getvalue()


@dataclass(frozen=True)
class SignatureCheck:
    valid: bool
    problem: str = ""  # an English key; the page says it in the user's language


def check(pdf: bytes) -> SignatureCheck:
    """Read the FULL validation result: an incremental update that paints over a field
    leaves the signature itself intact and trusted, so intact/trusted alone would pass it;
    coverage of the entire file and no modification at all are what catch it."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001 - any unreadable file is simply "not a valid certificate"
        return SignatureCheck(False, "unreadable")
    if not signatures:
        return SignatureCheck(False, "unsigned")
    trusted = load_cert_from_pemder(str(current_app.config["CERTIFICATE_SIGNING_CERT"]))
    context = ValidationContext(trust_roots=[trusted], allow_fetching=False)
    try:
        status = validate_pdf_signature(signatures[0], context)
    except (SignatureValidationError, ValueError):
        return SignatureCheck(False, "broken")
    if not (status.intact and status.valid):
        return SignatureCheck(False, "broken")
    if not status.trusted:
        return SignatureCheck(False, "untrusted")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE or \
            (status.modification_level not in (None, ModificationLevel.NONE)) or \
            len(signatures) != 1:
        return SignatureCheck(False, "modified")
    return SignatureCheck(True)
