#!/usr/bin/env python3
"""Wazuh integration: forwards one Wazuh alert to Reflex, signed with Standard Webhooks.

Wazuh's integrator runs it as `custom-reflex <alert_file> <api_key> <hook_url>`:
  - alert_file: the alert JSON Wazuh wrote
  - api_key:    the source's `whsec_...` secret (from reflex.yaml: a source with format wazuh)
  - hook_url:   https://reflex.example.org/hooks/wazuh

Install: copy this file and `custom-reflex` to /var/ossec/integrations/, chown root:wazuh, chmod 750,
and add to ossec.conf:

  <integration>
    <name>custom-reflex</name>
    <hook_url>https://reflex.example.org/hooks/wazuh</hook_url>
    <api_key>whsec_...</api_key>
    <level>10</level>
    <alert_format>json</alert_format>
  </integration>

Only the Python standard library is used. Retries on 429/503 (honouring Retry-After) with the same
webhook-id, so Reflex treats a retry as the same delivery. Exit codes: 0 sent, 1 refused, 2 usage.
"""
import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.error
import urllib.request
import uuid

ATTEMPTS = 5


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def main(argv: list) -> int:
    if len(argv) < 4:
        print("usage: custom-reflex <alert_file> <api_key> <hook_url>", file=sys.stderr)
        return 2
    alert_file, secret, url = argv[1], argv[2], argv[3]
    with open(alert_file, "rb") as f:
        alert = json.load(f)
    body = json.dumps(alert, separators=(",", ":")).encode()
    msg_id = "wazuh_" + str(alert.get("id") or uuid.uuid4())
    for attempt in range(1, ATTEMPTS + 1):
        timestamp = int(time.time())
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "content-type": "application/json",
                "webhook-id": msg_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(secret, msg_id, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                print(f"custom-reflex: {response.status} {response.read().decode()[:4000]}")
                return 0
        except urllib.error.HTTPError as err:
            detail = err.read().decode()[:200]
            if err.code in (429, 503) and attempt < ATTEMPTS:
                time.sleep(min(int(err.headers.get("Retry-After", "5")), 30))
                continue
            if err.code == 409:  # a replay: this alert was delivered before
                print(f"custom-reflex: already delivered: {detail}")
                return 0
            print(f"custom-reflex: refused with {err.code}: {detail}", file=sys.stderr)
            return 1
        except urllib.error.URLError as err:
            if attempt < ATTEMPTS:
                time.sleep(5)
                continue
            print(f"custom-reflex: cannot reach Reflex: {err.reason}", file=sys.stderr)
            return 1
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
