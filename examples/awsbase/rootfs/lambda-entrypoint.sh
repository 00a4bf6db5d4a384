#!/bin/sh
# The entry point of an image in the layout of AWS's base images, written from
# AWS's documentation of it: the handler is the only argument and becomes
# _HANDLER; with AWS_LAMBDA_RUNTIME_API set (on Lambda, or under lambdad's
# lambda-rie) the runtime starts directly, without it the image would start
# an emulator of its own, which this one does not carry.
if [ $# -ne 1 ]; then
        echo "lambda-entrypoint.sh: expected the handler as the only argument, got $# arguments" >&2
        exit 142
fi
export _HANDLER="$1"

if [ -z "${AWS_LAMBDA_RUNTIME_API:-}" ]; then
        echo "lambda-entrypoint.sh: AWS_LAMBDA_RUNTIME_API is not set and this image has no emulator" >&2
        exit 1
fi
exec /var/runtime/bootstrap
