"""A loopback STS/IAM fake for keyhound's verification tests: moto's server with IAM
authentication ON, in this one process (kill it by its PID and everything stops).

Run with the Python of a venv holding moto==5.2.5, flask, flask-cors and boto3 (the Rust test
harness in tests/it/verify.rs creates it under target/moto-venv). Adapted from
../shared/notes/moto-sts.sh.

1. Serves moto's WSGI application on 127.0.0.1 and a free port picked by the OS, with
   INITIAL_NO_AUTH_ACTION_COUNT=4: the first 4 actions are accepted unsigned, every later one
   must carry a valid SigV4 signature from a key moto created.
2. Spends those 4 actions on CreateUser, CreateAccessKey (AKIA...), CreateRole and AssumeRole
   (ASIA... + session token), with boto3 retries off so a retry cannot eat a free action.
3. Self-checks with boto3 that authentication is really on (an unknown key ID is rejected with
   InvalidClientTokenId; a moto without auth accepts anything) and that the new key works.
4. Prints one JSON line on stdout: endpoint, account, the keys (all minted by moto just now).
5. Then reads commands on stdin, one per line, answering each with one JSON line:
     counts  -> {"total": N, "by_key": {"AKIA...": n, ...}}  STS/IAM requests received
     reset   -> {"ok": true}                                  zero the counters
   End of input (the test finished, or its process died) stops the server and exits.
"""

import json
import os
import sys
import threading

# moto reads this when it is imported; a counter of unsigned actions, then auth for all.
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "4"
# Loopback only: no proxy may see the requests boto3 makes here.
for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

import boto3  # noqa: E402
import botocore  # noqa: E402
from botocore.config import Config  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402

lock = threading.Lock()
counts = {"total": 0, "by_key": {}}


def counting(app):
    """WSGI middleware: counts signed AWS requests per access key ID (moto-api calls excluded)."""

    def wrapped(environ, start_response):
        if not environ.get("PATH_INFO", "").startswith("/moto-api"):
            auth = environ.get("HTTP_AUTHORIZATION", "")
            key = auth.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in auth else ""
            with lock:
                counts["total"] += 1
                counts["by_key"][key] = counts["by_key"].get(key, 0) + 1
        return app(environ, start_response)

    return wrapped


app = counting(DomainDispatcherApplication(create_backend_app))
server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
port = server.server_address[1]
endpoint = f"http://127.0.0.1:{port}"
thread = threading.Thread(target=server.serve_forever, daemon=True)
thread.start()

cfg = Config(retries={"max_attempts": 1})


def client(svc, akid, secret, token=None):
    return boto3.client(svc, endpoint_url=endpoint, region_name="us-east-1", config=cfg,
                        aws_access_key_id=akid, aws_secret_access_key=secret,
                        aws_session_token=token)


# Exactly 4 actions (== INITIAL_NO_AUTH_ACTION_COUNT); any credentials pass here.
boot = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
iam, sts = client("iam", *boot), client("sts", *boot)
iam.create_user(UserName="keyhound-test")                                            # 1
key = iam.create_access_key(UserName="keyhound-test")["AccessKey"]                  # 2
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
         "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
role = iam.create_role(RoleName="keyhound-test-role",
                       AssumeRolePolicyDocument=json.dumps(trust))["Role"]            # 3
tmp = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="keyhound")["Credentials"]  # 4

akid, secret = key["AccessKeyId"], key["SecretAccessKey"]
unknown = akid[:16] + ("AAAA" if akid[16:] != "AAAA" else "BBBB")


def gci(a, s, t=None):
    try:
        r = client("sts", a, s, t).get_caller_identity()
        return 200, r["Account"]
    except botocore.exceptions.ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]


status, account = gci(akid, secret)
if status != 200:
    sys.exit(f"moto self-check: the new key pair was rejected: HTTP {status} {account}")
if gci(unknown, secret) != (403, "InvalidClientTokenId"):
    sys.exit("moto self-check: an unknown key ID was accepted: IAM authentication is OFF")

with lock:
    counts["total"] = 0
    counts["by_key"] = {}

print(json.dumps({
    "endpoint": endpoint, "account": account,
    "akid": akid, "secret": secret, "unknown_akid": unknown,
    "asia_akid": tmp["AccessKeyId"], "asia_secret": tmp["SecretAccessKey"],
    "asia_token": tmp["SessionToken"],
}), flush=True)

for line in sys.stdin:
    cmd = line.strip()
    with lock:
        if cmd == "counts":
            answer = {"total": counts["total"], "by_key": dict(counts["by_key"])}
        elif cmd == "reset":
            counts["total"] = 0
            counts["by_key"] = {}
            answer = {"ok": True}
        else:
            answer = {"error": f"unknown command {cmd!r}"}
    print(json.dumps(answer), flush=True)

server.shutdown()
