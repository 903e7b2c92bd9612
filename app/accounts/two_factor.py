"""Two-factor login (MLPS 2.0 level 3, 8.1.4.1 d): a TOTP code (RFC 6238: 6 digits, 30-second
steps, any authenticator app) after the password. Required for the authority's staff and
the administrators (REQUIRED_ROLE_KEYS and FAB's superuser), optional for practitioners and
enterprise staff.

- The secret is stored encrypted (Fernet), with a key derived from TWO_FACTOR_KEY or, when
  that is not set, from SECRET_KEY: a copy of the database alone does not give the codes.
- The code of the step before or after the current one is accepted too (clocks drift), and a
  step once used is refused: the account's last used step is claimed by one conditional
  UPDATE, so two requests carrying the same code cannot both get in.
- Ten recovery codes, shown once, stored as keyed hashes (HMAC-SHA256: they are random, so a
  slow password hash would add nothing but ten scrypt runs per try); each works once, claimed
  by one conditional UPDATE like the step.
- Wrong codes count in the login lockout like wrong passwords, and the count is cleared only
  when the code is right (verify_login); a lock refuses the code step too.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from ..audit import record
from ..enums import AuditResult
from ..extensions import db
from ..models import RecoveryCode, TwoFactor
from . import lockout

log = logging.getLogger(__name__)

STEP_SECONDS = 30
WINDOW = 1  # steps accepted either side of the current one
RECOVERY_CODES = 10
# Ten characters of a 31-letter alphabet without look-alikes (0/o, 1/l/i): about 50 bits.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
TOTP_CODE = re.compile(r"^\d{6}$")
# The roles (keys of app.security.ROLES) that must use a second factor; FAB's superuser too.
REQUIRED_ROLE_KEYS = ("reviewer", "approver", "sysadmin", "secadmin", "auditor")


class AlreadyEnrolled(RuntimeError):
    """An enrolment in effect is replaced only after a reset by the security administrator."""


class PresetSecretRefused(RuntimeError):
    """A secret chosen in advance (demo and test accounts) is refused in production."""


# ---------------------------------------------------------------- keys

def _derived_key(purpose: bytes) -> bytes:
    material = current_app.config.get("TWO_FACTOR_KEY") or current_app.config["SECRET_KEY"]
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"registry two-factor: " + purpose).derive(material.encode())


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived_key(b"secrets")))


def _digest(recovery_code: str) -> str:
    return hmac.new(_derived_key(b"recovery codes"), recovery_code.encode(),
                    hashlib.sha256).hexdigest()


def _decrypt(row: TwoFactor) -> str | None:
    try:
        return _fernet().decrypt(row.secret.encode()).decode()
    except InvalidToken:
        # The key changed (SECRET_KEY rotated without TWO_FACTOR_KEY): no code can match; the
        # security administrator resets the account's enrolment.
        log.error("two-factor secret of user %s cannot be decrypted with the current key",
                  row.user_id)
        return None


# ---------------------------------------------------------------- who, and enrolment state

def required_role_names() -> set[str]:
    from ..security import ROLES

    return {current_app.appbuilder.sm.auth_role_admin,
            *(ROLES[key].name for key in REQUIRED_ROLE_KEYS)}


def is_required(user) -> bool:
    return bool({role.name for role in user.roles} & required_role_names())


def enrolment(user_id: int) -> TwoFactor | None:
    return db.session.scalar(select(TwoFactor).where(TwoFactor.user_id == user_id))


def is_enrolled(user_id: int) -> bool:
    """Enrolled and confirmed: the login asks for a code."""
    return db.session.scalar(select(TwoFactor.id).where(
        TwoFactor.user_id == user_id, TwoFactor.confirmed_at.is_not(None))) is not None


def secret_of(user_id: int) -> str | None:
    row = enrolment(user_id)
    return _decrypt(row) if row is not None else None


def provisioning_uri(secret: str, account_name: str) -> str:
    """What the QR code holds (otpauth://totp/…), as authenticator apps read it."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name,
                                               issuer_name=current_app.config["APP_NAME"])


def begin_enrolment(user_id: int) -> str:
    """The secret to set up in the app: a new one, or the one already waiting for its
    confirmation code (reloading the page shows the same QR code)."""
    row = enrolment(user_id)
    if row is not None and row.confirmed_at is not None:
        raise AlreadyEnrolled(user_id)
    secret = _decrypt(row) if row is not None else None
    if secret is None:
        secret = pyotp.random_base32()
        if row is None:
            row = TwoFactor(user_id=user_id, secret="")
            db.session.add(row)
        row.secret = _fernet().encrypt(secret.encode()).decode()
        db.session.commit()
    return secret


def confirm_enrolment(user_id: int, code: str) -> list[str] | None:
    """Put the waiting enrolment into effect if `code` is right for its secret; returns the
    recovery codes to show once, or None (nothing changes on a wrong code)."""
    row = enrolment(user_id)
    if row is None or row.confirmed_at is not None:
        return None
    step = _matching_step(_decrypt(row), code)
    if step is None:
        return None
    row.confirmed_at, row.last_used_step = lockout.now(), step
    codes = _replace_recovery_codes(user_id)
    record("two_factor_enrol", object_type="User", object_id=user_id)
    db.session.commit()
    return codes


def enrol_with_secret(user_id: int, secret: str) -> None:
    """Enrol with a secret chosen in advance, confirmed at once: demo accounts (whose secret
    `flask demo load` prints) and test accounts. Refused in production."""
    if current_app.config.get("PRODUCTION"):
        raise PresetSecretRefused("a preset two-factor secret is refused in production")
    row = enrolment(user_id) or TwoFactor(user_id=user_id, secret="")
    row.secret = _fernet().encrypt(secret.encode()).decode()
    row.confirmed_at, row.last_used_step = lockout.now(), None
    db.session.add(row)
    db.session.commit()


def new_recovery_codes(user_id: int) -> list[str]:
    """Replace the account's recovery codes (the old ones stop working); shown once."""
    codes = _replace_recovery_codes(user_id)
    record("two_factor_recovery_codes", object_type="User", object_id=user_id)
    db.session.commit()
    return codes


def remaining_recovery_codes(user_id: int) -> int:
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)))


def remove(user_id: int, action: str, *, end_sessions: bool) -> bool:
    """Remove the enrolment and its recovery codes, recorded under `action`
    (two_factor_reset by the security administrator, who ends the account's sessions: whoever
    is signed in must log in again; two_factor_disable by the holder)."""
    from .sessions import end_all_sessions

    removed = db.session.execute(delete(TwoFactor).where(TwoFactor.user_id == user_id)).rowcount
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    record(action, object_type="User", object_id=user_id,
           result=AuditResult.success if removed else AuditResult.failure)
    db.session.commit()
    if end_sessions:
        end_all_sessions(user_id)
    return bool(removed)


# ---------------------------------------------------------------- codes

def current_step() -> int:
    return int(lockout.now().timestamp()) // STEP_SECONDS


def _matching_step(secret: str | None, code: str) -> int | None:
    code = (code or "").strip().replace(" ", "")
    if secret is None or not TOTP_CODE.match(code):
        return None
    totp, now = pyotp.TOTP(secret), current_step()
    for step in range(now - WINDOW, now + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(user_id: int, step: int) -> bool:
    """Record `step` as used unless it (or a later one) already was: one UPDATE, so that
    of two requests with the same code only one gets the row."""
    claimed = db.session.execute(
        update(TwoFactor).where(
            TwoFactor.user_id == user_id, TwoFactor.confirmed_at.is_not(None),
            or_(TwoFactor.last_used_step.is_(None), TwoFactor.last_used_step < step))
        .values(last_used_step=step).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return claimed == 1


def _normal_recovery_code(code: str) -> str | None:
    code = re.sub(r"[\s-]", "", (code or "").lower())
    if len(code) != RECOVERY_LENGTH or any(c not in RECOVERY_ALPHABET for c in code):
        return None
    return code


def _use_recovery_code(user_id: int, code: str) -> bool:
    normal = _normal_recovery_code(code)
    if normal is None:
        return False
    used = db.session.execute(
        update(RecoveryCode).where(
            RecoveryCode.user_id == user_id, RecoveryCode.code_hash == _digest(normal),
            RecoveryCode.used_at.is_(None))
        .values(used_at=lockout.now()).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return used == 1


def _replace_recovery_codes(user_id: int) -> list[str]:
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODES)]
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.session.add_all(RecoveryCode(user_id=user_id, code_hash=_digest(code)) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def check_code(user_id: int, code: str) -> str | None:
    """'totp' or 'recovery' when `code` is a right, unused code of the account (and marks it
    used), else None. No lockout: verify_login counts for the login."""
    code = (code or "")[:64]
    row = enrolment(user_id)
    if row is None or row.confirmed_at is None:
        return None
    step = _matching_step(_decrypt(row), code)
    if step is not None:
        return "totp" if _claim_step(user_id, step) else None
    return "recovery" if _use_recovery_code(user_id, code) else None


def verify_login(user, code: str) -> str | None:
    """The code step of a login (web or API), after the right password: 'totp' or
    'recovery' when the login may go on, else None. A wrong, reused or missing code counts
    in the lockout; a lock, started meanwhile or before, refuses the login."""
    if lockout.is_locked(user.id):
        return None
    kind = check_code(user.id, code)
    if kind is None:
        record("two_factor_login", object_type="User", object_id=user.id, actor=user,
               result=AuditResult.failure, commit=True)
        lockout.record_failure(user.id)
        return None
    if lockout.record_success(user.id) is False:
        return None
    record("two_factor_login", object_type="User", object_id=user.id, actor=user,
           detail={"with": kind}, commit=True)
    return kind

