#!/usr/bin/env python3
"""Prepares a running moto_server for ronde's S3 tests.

usage: moto_admin.py ENDPOINT [--iam] BUCKET...

Creates the buckets. With --iam (a server started with INITIAL_NO_AUTH_ACTION_COUNT), first creates
an IAM user with an s3:* policy and an access key, then uses up the server's remaining
unauthenticated actions, so that from then on every request's signature is checked; prints the
key as "ACCESS_KEY_ID SECRET_ACCESS_KEY".
"""
import json
import sys

try:
    import boto3
    import botocore.exceptions
except ImportError:
    sys.exit(77)


def main():
    endpoint, args = sys.argv[1], sys.argv[2:]
    iam_wanted = "--iam" in args
    buckets = [a for a in args if a != "--iam"]
    common = dict(endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
    s3 = boto3.client("s3", **common)
    key = None
    if iam_wanted:
        iam = boto3.client("iam", **common)
        iam.create_user(UserName="ronde-test")
        iam.put_user_policy(UserName="ronde-test", PolicyName="s3-all", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="ronde-test")["AccessKey"]
    for bucket in buckets:
        s3.create_bucket(Bucket=bucket)
    if iam_wanted:
        for _ in range(100):
            try:
                s3.list_buckets()
            except botocore.exceptions.ClientError:
                break  # checking is on now
        else:
            sys.exit("moto_server never started checking signatures")
        print(key["AccessKeyId"], key["SecretAccessKey"])


if __name__ == "__main__":
    main()
