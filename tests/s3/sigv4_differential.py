#!/usr/bin/env python3
"""Differential test of ronde's SigV4 signer against botocore's S3SigV4Auth.

Generates random S3 requests (methods, keys with spaces, unicode and reserved characters, query
parameters with and without values, extra headers, session tokens, regions), signs each with
botocore and with ronde (through the sigv4_sign_tool helper), and requires identical signatures.

usage: sigv4_differential.py SIGN_TOOL [COUNT]
Exit 0 when all match, 1 on a mismatch (printing both canonical requests), 77 without botocore.
"""
import hashlib
import json
import random
import subprocess
import sys
import urllib.parse

try:
    import botocore.auth
    import botocore.config
    import botocore.credentials
    from botocore.awsrequest import AWSRequest
except ImportError:
    print("SKIP: botocore is not installed")
    sys.exit(77)

KEY_ALPHABET = "abcXYZ019-_.~ /+=&?%$@!:,;'*()[]" + "éü中日"
HEADER_NAMES = ["Range", "Content-Type", "x-amz-meta-run", "x-amz-storage-class", "If-None-Match", "Content-MD5"]


def random_request(rng):
    key = "".join(rng.choice(KEY_ALPHABET) for _ in range(rng.randint(1, 24)))
    query = {}
    for _ in range(rng.randint(0, 4)):
        name = rng.choice(["prefix", "max-keys", "uploads", "partNumber", "uploadId", "list-type", "continuation-token", "x y"])
        query[name] = "" if rng.random() < 0.3 else "".join(rng.choice(KEY_ALPHABET) for _ in range(rng.randint(1, 10)))
    headers = {}
    for name in rng.sample(HEADER_NAMES, rng.randint(0, 3)):
        headers[name] = " ".join("".join(rng.choice("abc123/=-") for _ in range(rng.randint(1, 6))) for _ in range(rng.randint(1, 3)))
    body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
    unsigned = rng.random() < 0.2
    return body, {
        "method": rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"]),
        "host": rng.choice(["bucket.s3.us-west-2.amazonaws.com", "127.0.0.1:9000", "localhost:5000"]),
        "path": "/bucket/" + key,
        "query": sorted(query.items()),
        "headers": sorted(headers.items()),
        "payload_sha256": "UNSIGNED-PAYLOAD" if unsigned else hashlib.sha256(body).hexdigest(),
        "access_key": "AKID" + str(rng.randint(1000, 9999)),
        "secret_key": "".join(rng.choice("abcdefABCDEF0123456789/+") for _ in range(40)),
        "token": "" if rng.random() < 0.7 else "token" + str(rng.randint(0, 10**6)),
        "region": rng.choice(["us-east-1", "eu-west-3", "ap-southeast-2"]),
        "date": "2026%02d%02dT%02d%02d%02dZ" % (rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)),
    }


def botocore_sign(body, r):
    """botocore hashes the body itself; an unsigned payload needs https and payload signing off."""
    credentials = botocore.credentials.Credentials(r["access_key"], r["secret_key"], r["token"] or None)
    unsigned = r["payload_sha256"] == "UNSIGNED-PAYLOAD"
    url = ("https://" if unsigned else "http://") + r["host"] + urllib.parse.quote(r["path"], safe="/~")
    request = AWSRequest(method=r["method"], url=url, headers=dict(r["headers"]), params=dict(r["query"]), data=body)
    auth = botocore.auth.S3SigV4Auth(credentials, "s3", r["region"])
    request.context["timestamp"] = r["date"]
    if unsigned:
        request.context["client_config"] = botocore.config.Config(s3={"payload_signing_enabled": False})
    auth._modify_request_before_signing(request)
    canonical = auth.canonical_request(request)
    return auth.signature(auth.string_to_sign(request, canonical), request), canonical


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    rng = random.Random(20261124)
    generated = [random_request(rng) for _ in range(count)]
    requests = [request for _, request in generated]
    output = subprocess.run([sys.argv[1]], input=json.dumps(requests), capture_output=True, text=True, check=True)
    ours = json.loads(output.stdout)
    for (body, request), mine in zip(generated, ours):
        theirs, canonical = botocore_sign(body, request)
        if theirs != mine["signature"]:
            print("MISMATCH for", json.dumps(request, ensure_ascii=False))
            print("--- botocore canonical request\n" + canonical)
            print("--- ronde canonical request\n" + mine["canonical_request"])
            return 1
    print("%d random requests: ronde's SigV4 signatures equal botocore's" % count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
