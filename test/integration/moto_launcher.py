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
  (c2) S3 answers 403 AccessDenied when a request's `x-amz-expected-bucket-owner` header names an
      account other than the bucket's owner; moto ignores the header. -> a small WSGI layer in front
      of moto compares it with the owner moto records for each bucket (s3_backends.bucket_accounts).
      flowdump's bucket-squatting tests rely on it.
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html

With --iam (the policy tests' own server, test/audit/policies.test.ts, which enforces IAM with
POST /moto-api/reset-auth): moto's IAM enforcement checks actions and S3 resource ARNs only, so
four narrow adaptations let it check what it can (patch_iam_enforcement; the simulator test proves
resources and conditions with a real IAM evaluator):
  (d) moto cannot verify the S3 signatures the JS SDK makes (it re-signs the request its own way
      and compares) -> S3 signatures are not checked; the access key must still exist.
  (e) moto names HeadBucket `s3:HeadBucket`, an action IAM does not have (AWS authorizes it as
      s3:ListBucket) and CloudWatch over CBOR `monitoring:*` (IAM: `cloudwatch:*`)
      -> those names are mapped to IAM's before the check.
  (f) moto evaluates a request outside S3 and IAM roles against the resource "*", which matches no
      statement scoped to ARNs -> when moto did not work out the resource, any Resource matches
      (the action must still be allowed).
  (g) moto fails an Allow whose condition keys it has no values for (aws:RequestTag/…,
      aws:ResourceTag/…, s3:ResourceAccount, iam:PassedToService, …) -> an identity policy's Allow
      is checked without its Condition.
  (h) moto authorizes a multi-object delete (POST ?delete) as s3:DeleteObject on the bucket's ARN;
      AWS authorizes s3:DeleteObject on each object's ARN -> each key of the request is checked.
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


def expected_bucket_owner(app):  # (c2)
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


def patch_iam_enforcement() -> None:
    """(d)-(g): only with --iam; see the module docstring."""
    from moto.iam import access_control

    access_control.S3IAMRequest.check_signature = lambda self: None  # (d)

    renamed = {"s3:HeadBucket": "s3:ListBucket"}
    original_check = access_control.IAMRequestBase.check_action_permitted

    def check_action_permitted(self, resource):  # (e)
        action = renamed.get(self._action, self._action)
        if action.startswith("monitoring:"):
            action = "cloudwatch:" + action.split(":", 1)[1]
        self._action = action
        return original_check(self, resource)

    access_control.IAMRequestBase.check_action_permitted = check_action_permitted

    original_permitted = access_control.IAMPolicyStatement.is_action_permitted

    def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
        statement = self._statement
        if statement.get("Effect") == "Allow" and "Principal" not in statement and (resource == "*" or statement.get("Condition")):
            checked = {key: value for key, value in statement.items() if key != "Condition"}  # (g)
            if resource == "*":
                checked["Resource"] = "*"  # (f)
            return original_permitted(access_control.IAMPolicyStatement(checked), action, resource, principal, incoming_condition_values)
        return original_permitted(self, action, resource, principal, incoming_condition_values)

    access_control.IAMPolicyStatement.is_action_permitted = is_action_permitted

    import xmltodict
    from moto.s3.responses import S3Response

    original_authorize = S3Response._authenticate_and_authorize_s3_action

    def authorize_s3(self, bucket_name=None, key_name=None):  # (h)
        if key_name is None and bucket_name and self.data.get("Action") == "DeleteObject" and self.is_delete_keys():
            body = self.body.decode("utf-8") if isinstance(self.body, bytes) else self.body
            objects = (xmltodict.parse(body or "<Delete/>").get("Delete") or {}).get("Object") or []
            for entry in objects if isinstance(objects, list) else [objects]:
                original_authorize(self, bucket_name=bucket_name, key_name=entry["Key"])
            return None
        return original_authorize(self, bucket_name=bucket_name, key_name=key_name)

    S3Response._authenticate_and_authorize_s3_action = authorize_s3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--iam", action="store_true", help="adapt moto's IAM enforcement for the policy tests (d)-(g)")
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("moto_launcher: refusing to listen on anything but loopback")

    patch_moto()
    if args.iam:
        patch_iam_enforcement()
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
