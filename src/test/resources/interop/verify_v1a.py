"""Verifies a captured hookrelay v1a (ed25519) delivery independently of hookrelay, with the 'cryptography' package.

The official Standard Webhooks library for Python (1.1.0) verifies v1 only, so this follows the specification by hand:
the public key is "whpk_" + base64 of the raw 32-byte ed25519 key, the signed content is "{id}.{timestamp}.{body}",
webhook-signature is a space-separated list in which any "v1a,<base64>" entry may match, and the timestamp must be
within 5 minutes of now.

Reads {"public_key": ..., "headers": {...}, "body": "<base64>"} on stdin; exits 0 and prints "verified" when a v1a
signature verifies, 1 and "rejected: <why>" otherwise.
"""
import base64
import binascii
import json
import sys
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

TOLERANCE_SECONDS = 5 * 60


def reject(why):
    print(f"rejected: {why}")
    sys.exit(1)


request = json.load(sys.stdin)
public_key = request["public_key"]
if not public_key.startswith("whpk_"):
    reject("the public key does not start with whpk_")
key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key[len("whpk_"):], validate=True))
headers = {name.lower(): value for name, value in request["headers"].items()}
msg_id, timestamp, signatures = (headers.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
if not msg_id or not timestamp or not signatures:
    reject("a webhook-id, webhook-timestamp or webhook-signature header is missing")
if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
    reject("the timestamp is outside the tolerance")
signed = f"{msg_id}.{timestamp}.".encode() + base64.b64decode(request["body"])
for candidate in signatures.split(" "):
    version, _, signature = candidate.partition(",")
    if version != "v1a":
        continue
    try:
        key.verify(base64.b64decode(signature, validate=True), signed)
    except (InvalidSignature, binascii.Error, ValueError):
        continue
    print("verified")
    sys.exit(0)
reject("no v1a signature matches the public key")
