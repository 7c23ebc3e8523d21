"""Pseudonymous referral references (e.g. "H-7KQ3-M2"), used wherever a name must not appear."""
import secrets

# No 0/O, 1/I/L: references are read aloud on the phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(6))
    return f"H-{body[:4]}-{body[4:]}"
