"""Verifies a captured hookrelay delivery with the official Standard Webhooks library (PyPI: standardwebhooks).

Reads {"secret": ..., "headers": {...}, "body": "<base64>"} on stdin; exits 0 and prints "verified" when the
library accepts the signature, 1 with the library's error otherwise.
"""
import base64
import json
import sys

from standardwebhooks.webhooks import Webhook

request = json.load(sys.stdin)
body = base64.b64decode(request["body"])
try:
    Webhook(request["secret"]).verify(body, request["headers"])
except Exception as error:  # the library raises WebhookVerificationError
    print(f"rejected: {error}")
    sys.exit(1)
print("verified")
