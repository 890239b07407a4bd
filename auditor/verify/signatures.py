"""Registry signatures: the ECDSA P-256 signature in a version's `dist.signatures`.

The registry signs `<name>@<version>:<integrity>` (its `dist.integrity`, as stored) with
a key whose `keyUsage` is `npm:signatures`; the signature is base64 DER ECDSA-SHA256.
As `npm audit signatures` does (pacote):

* every entry must verify; an entry whose `keyid` is not a trusted `npm:signatures` key
  fails (npm: EMISSINGSIGNATUREKEY);
* a key with an end of validity is accepted only for versions published before that end
  (npm: EEXPIREDSIGNATUREKEY); the start of a window is not checked (the 2023 key's
  window starts in 1999 for that reason).  Without a publish time npm assumes
  2015-01-01; so do we.  The publish time is the verified log time of the publish
  attestation when there is one, else the packument's `time` (a registry claim, like the
  signature itself);
* no signature at all is `missing`, which only matters on a registry that signs.

Beyond npm: the lockfile's integrity must pin the bytes the registry signed, read as npm
reads it (`integrity_accepted`), or the signature vouches for other bytes than those the
lockfile installs (INTEGRITY_MISMATCH).  A lockfile without integrity is judged on the
signature alone (integrity-missing reports the lockfile).
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from auditor.models import RegistrySignature, SignatureStatus, VersionInfo, check_integrity
from auditor.verify._errors import OUT_OF_DATE_HINT
from auditor.verify.trust import NpmKey, TrustMaterial

SIGNATURES_USAGE = "npm:signatures"
# pacote's MISSING_TIME_CUTOFF: "some really old packages have no time field".
MISSING_TIME_CUTOFF = datetime(2015, 1, 1, tzinfo=UTC)


def integrity_accepted(lockfile: str, signed: str) -> bool:
    """Does the lockfile's integrity pin the bytes the registry signed, as npm reads it?

    npm checks the tarball against the lockfile's hashes of one algorithm (ssri: the
    strongest it recognises) and accepts any digest listed for it (`check_integrity`).  The
    signature binds the install only when every digest npm would accept is a digest of that
    algorithm in the signed value.  A lockfile value npm checks nothing against (upper-case
    or unknown algorithms) binds nothing: not accepted."""
    lock = check_integrity(lockfile)
    algorithm = lock.algorithm
    # Every digest npm accepts must be a well-formed one of its algorithm.  This one check
    # also refuses a value npm checks nothing against (no algorithm: nothing pinned) and a
    # malformed digest (INTEGRITY_MALFORMED or weak: never among the well-formed hashes).
    pinned = {h.digest for h in lock.hashes if h.algorithm == algorithm}
    if not pinned or len(pinned) != len(lock.accepted):
        return False
    signed_digests = {h.digest for h in check_integrity(signed).hashes if h.algorithm == algorithm}
    return pinned <= signed_digests


def key_needs_time(info: VersionInfo, trust: TrustMaterial) -> bool:
    """True when judging the signatures needs the publish time (a key with an end)."""
    for keyid, _ in info.signatures or ():
        key = trust.npm_key(keyid, SIGNATURES_USAGE)
        if key is not None and key.window.end is not None:
            return True
    return False


def verify_registry_signature(
    name: str,
    version: str,
    lockfile_integrity: str | None,
    info: VersionInfo | None,
    trust: TrustMaterial,
    published: datetime | None,
) -> RegistrySignature:
    """Judge one version's registry signatures.  Never raises for bad data."""
    if info is None:
        return RegistrySignature(
            SignatureStatus.MISSING,
            None,
            "VERSION_NOT_IN_PACKUMENT",
            "the registry's packument does not list this version",
        )
    sigs = info.signatures
    if not sigs:
        return RegistrySignature(
            SignatureStatus.MISSING, None, "SIGNATURE_MISSING", "no dist.signatures"
        )
    signed = info.integrity
    if not isinstance(signed, str) or not signed:
        return _invalid(None, "SIGNATURE_MALFORMED", "signatures present but no dist.integrity")
    message = f"{name}@{version}:{signed}".encode()
    when = published or MISSING_TIME_CUTOFF
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    first: str | None = None
    for keyid, sig in sigs:
        if not keyid or not sig:
            return _invalid(None, "SIGNATURE_MALFORMED", "a dist.signatures entry lacks keyid/sig")
        first = first or keyid
        key = trust.npm_key(keyid, SIGNATURES_USAGE)
        if key is None:
            return _invalid(
                keyid,
                "SIGNATURE_KEY_UNKNOWN",
                f"no trusted npm:signatures key {keyid[:80]!r}{OUT_OF_DATE_HINT}",
            )
        end = key.window.end
        if end is not None and when >= end:
            return _invalid(
                keyid,
                "SIGNATURE_KEY_EXPIRED",
                f"key {keyid} expired {end.isoformat()}, version published {when.isoformat()}",
            )
        if not _verifies(key, sig, message):
            return _invalid(
                keyid, "SIGNATURE_INVALID", f"signature by {keyid} does not verify over {message!r}"
            )
    if lockfile_integrity is not None and not integrity_accepted(lockfile_integrity, signed):
        return _invalid(
            first,
            "INTEGRITY_MISMATCH",
            f"the registry signed integrity {signed[:100]!r}, the lockfile has "
            f"{lockfile_integrity[:100]!r}",
        )
    return RegistrySignature(SignatureStatus.VERIFIED, first, None, None)


def _invalid(keyid: str | None, reason: str, message: str) -> RegistrySignature:
    return RegistrySignature(SignatureStatus.INVALID, keyid, reason, message)


def _verifies(key: NpmKey, sig: str, message: bytes) -> bool:
    public = key.key
    if not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name != "secp256r1":
        return False
    try:
        der = base64.b64decode(sig, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        public.verify(der, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True
