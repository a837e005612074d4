"""Starts moto's server for flowdump's integration tests, with two moto 5.2 bugs fixed.

Usage: python3 moto_launcher.py [--host 127.0.0.1] [--port 0]
Prints one line `MOTO_READY <port>` on stdout once it listens, then serves until killed.

Fixes (the first two are moto bugs, not AWS behaviour; those patches only widen what moto accepts):
  (a) CreateFlowLogs to an S3 ARN with a folder (arn:aws:s3:::bucket/prefix/) is refused,
      because moto looks the whole path up as a bucket name. AWS accepts a folder:
      https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-create-flow-log.html
      -> the bucket name is cut at the first "/".
  (b) moto enforces bucket-policy Deny statements but treats condition operators it does not
      implement (e.g. `Bool` on `aws:SecureTransport`) as met, so a TLS-only policy denies
      every object call. -> a conditional Deny that moto cannot evaluate does not apply.
And one check AWS makes that moto does not (this patch narrows what moto accepts, to AWS's rule):
  (c) EventBridge Scheduler's CreateSchedule refuses a target role that does not exist or does not
      trust scheduler.amazonaws.com, with a ValidationException "The execution role you provide must
      allow AWS EventBridge Scheduler to assume the role." moto accepts any RoleArn. -> the role must
      exist in the caller's account and trust scheduler.amazonaws.com. flowdump's tests use this to
      make CreateSchedule fail after CreateFlowLogs (the safety net's rollback).
      https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role
  (d) S3 answers 403 AccessDenied when a request's `x-amz-expected-bucket-owner` header names an
      account other than the bucket's owner; moto ignores the header. -> a small WSGI layer in front
      of moto compares it with the owner moto records for each bucket (s3_backends.bucket_accounts).
      flowdump's bucket-squatting tests rely on it.
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html
"""
import json
import re
import argparse
import os
import sys


def patch_moto() -> None:
    from moto.s3.models import S3Backend

    original_get_bucket = S3Backend.get_bucket

    def get_bucket(self, bucket_name, *args, **kwargs):  # (a)
        if isinstance(bucket_name, str) and "/" in bucket_name:
            bucket_name = bucket_name.split("/", 1)[0]
        return original_get_bucket(self, bucket_name, *args, **kwargs)

    S3Backend.get_bucket = get_bucket

    from moto.iam import access_control
    from moto.iam.policy_conditions import CONDITION_OPERATIONS

    original_is_action_permitted = access_control.IAMPolicyStatement.is_action_permitted

    def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):  # (b)
        statement = self._statement
        condition = statement.get("Condition") or {}
        if statement.get("Effect") == "Deny" and any(op not in CONDITION_OPERATIONS for op in condition):
            return access_control.PermissionResult.NEUTRAL
        return original_is_action_permitted(self, action, resource, principal, incoming_condition_values)

    access_control.IAMPolicyStatement.is_action_permitted = is_action_permitted

    from moto.iam.models import iam_backends
    from moto.scheduler.exceptions import ValidationException
    from moto.scheduler.models import EventBridgeSchedulerBackend
    from moto.utilities.utils import get_partition

    original_create_schedule = EventBridgeSchedulerBackend.create_schedule

    def trusts_scheduler(document) -> bool:
        try:
            policy = json.loads(document) if isinstance(document, str) else document
        except ValueError:
            return False
        statements = policy.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            services = (statement.get("Principal") or {}).get("Service", [])
            services = services if isinstance(services, list) else [services]
            actions = statement.get("Action", [])
            actions = actions if isinstance(actions, list) else [actions]
            if statement.get("Effect") == "Allow" and "scheduler.amazonaws.com" in services and "sts:AssumeRole" in actions:
                return True
        return False

    def create_schedule(self, *args, **kwargs):  # (c)
        role_arn = (kwargs.get("target") or {}).get("RoleArn", "")
        match = re.match(r"^arn:[a-z-]+:iam::(\d{12}):role/(?:.*/)?([^/]+)$", role_arn)
        role = None
        if match and match.group(1) == self.account_id:
            try:
                role = iam_backends[self.account_id][get_partition(self.region_name)].get_role(match.group(2))
            except Exception:
                role = None
        if role is None or not trusts_scheduler(role.assume_role_policy_document):
            raise ValidationException("The execution role you provide must allow AWS EventBridge Scheduler to assume the role.")
        return original_create_schedule(self, *args, **kwargs)

    EventBridgeSchedulerBackend.create_schedule = create_schedule


def expected_bucket_owner(app):  # (d)
    from moto.s3.models import s3_backends

    denied = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>flowdump-expected-bucket-owner</RequestId></Error>"
    )

    def wrapped(environ, start_response):
        expected = environ.get("HTTP_X_AMZ_EXPECTED_BUCKET_OWNER")
        if expected:
            # path-style requests (the tests set forcePathStyle): /<bucket>/<key>
            bucket = environ.get("PATH_INFO", "/").lstrip("/").split("/", 1)[0]
            owner = s3_backends.bucket_accounts.get(bucket)
            if owner is not None and owner[1] != expected:
                body = b"" if environ.get("REQUEST_METHOD") == "HEAD" else denied
                start_response("403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
                return [body]
        return app(environ, start_response)

    return wrapped


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("moto_launcher: refusing to listen on anything but loopback")

    patch_moto()
    from werkzeug.serving import make_server
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    app = expected_bucket_owner(DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True)
    port = server.server_address[1]
    # some moto services build URLs from MOTO_PORT
    os.environ["MOTO_PORT"] = str(port)
    print(f"MOTO_READY {port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
