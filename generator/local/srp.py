"""The client side of Cognito's USER_SRP_AUTH sign-in (SRP-6a, as the AWS SDKs do it).

The platform's app client allows only SRP (and refresh): the password never leaves the
client. This is the math of Amplify's AuthenticationHelper, standard library only, so that it
runs both in whimsy's environment and in the emulator's (where the demo user is seeded):

    a random, A = g^a                                   -> InitiateAuth(SRP_A)
    u = H(A | B), x = H(salt | H(pool + user + ":" + password))
    S = (B - k g^x)^(a + u x), K = HKDF(S, salt=u, info="Caldera Derived Key")[:16]
    signature = HMAC(K, pool + user + secret_block + timestamp)
                                                        -> RespondToAuthChallenge
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

# RFC 5054's 3072-bit group prime; Cognito uses it with generator 2.
N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = 2
INFO = b"Caldera Derived Key"
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def pad(value: int) -> bytes:
    """Big-endian bytes with a leading zero byte when the high bit is set (a positive
    two's-complement integer), the padding every Cognito SDK hashes."""
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def hash_int(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha256(b"".join(parts)).digest(), "big")


K = hash_int(pad(N), pad(G))


def pool_name(user_pool_id: str) -> str:
    """'us-east-1_AbC' -> 'AbC': the part of the pool id that SRP hashes."""
    region, separator, name = user_pool_id.partition("_")
    if not (region and separator and name):
        raise ValueError(f"not a Cognito user pool id: {user_pool_id!r}")
    return name


def timestamp(moment: datetime) -> str:
    """'Tue Mar 5 09:07:03 UTC 2024': the format Cognito signs (day not zero-padded)."""
    utc = moment.astimezone(UTC)
    weekday, month = _WEEKDAYS[utc.weekday()], _MONTHS[utc.month - 1]
    return f"{weekday} {month} {utc.day} {utc:%H:%M:%S} UTC {utc.year}"


def password_key(
    user_pool_id: str, user_id: str, password: str, salt_hex: str, a: int, big_b: int
) -> bytes:
    """The 16-byte key both sides derive; ValueError for a B that would leak the password."""
    if big_b % N == 0:
        raise ValueError("SRP_B is zero modulo N")
    big_a = pow(G, a, N)
    u = hash_int(pad(big_a), pad(big_b))
    if u == 0:
        raise ValueError("SRP scrambling parameter is zero")
    inner = hashlib.sha256(f"{pool_name(user_pool_id)}{user_id}:{password}".encode()).digest()
    x = hash_int(pad(int(salt_hex, 16)), inner)
    s = pow((big_b - K * pow(G, x, N)) % N, a + u * x, N)
    prk = hmac.new(pad(u), pad(s), hashlib.sha256).digest()  # HKDF-extract(salt=u, ikm=S)
    return hmac.new(prk, INFO + b"\x01", hashlib.sha256).digest()[:16]  # HKDF-expand, 1 block


@dataclass
class SrpSession:
    """One sign-in attempt: `srp_a` goes into InitiateAuth, `respond` answers the
    PASSWORD_VERIFIER challenge."""

    user_pool_id: str
    a: int = field(default_factory=lambda: secrets.randbelow(N - 2) + 1, repr=False)

    @property
    def srp_a(self) -> str:
        return format(pow(G, self.a, N), "x")

    def respond(
        self, challenge: dict[str, str], password: str, now: datetime | None = None
    ) -> dict[str, str]:
        """The ChallengeResponses for a PASSWORD_VERIFIER challenge's parameters."""
        user_id = challenge["USER_ID_FOR_SRP"]
        secret_block = challenge["SECRET_BLOCK"]
        key = password_key(
            self.user_pool_id, user_id, password, challenge["SALT"], self.a,
            int(challenge["SRP_B"], 16),
        )  # fmt: skip
        when = timestamp(now or datetime.now(UTC))
        message = (
            pool_name(self.user_pool_id).encode()
            + user_id.encode()
            + base64.b64decode(secret_block)
            + when.encode()
        )
        signature = hmac.new(key, message, hashlib.sha256).digest()
        return {
            "USERNAME": user_id,
            "PASSWORD_CLAIM_SECRET_BLOCK": secret_block,
            "PASSWORD_CLAIM_SIGNATURE": base64.b64encode(signature).decode("ascii"),
            "TIMESTAMP": when,
        }
