#!/bin/sh
# The entry point of the runtime-* stand-ins of AWS's base images for Lambda
# (public.ecr.aws/lambda/nodejs, python, provided), which the build of each
# copies from here (examples/runtime-base has no image of its own). It does
# what AWS's /lambda-entrypoint.sh does: the handler is the only argument and
# becomes _HANDLER; with AWS_LAMBDA_RUNTIME_API set (on Lambda, or under the
# lambda-rie lambdad lends) the runtime /var/runtime/bootstrap starts directly,
# without it under AWS's emulator /usr/local/bin/aws-lambda-rie, which AWS's
# images carry and these stand-ins do not.
if [ $# -ne 1 ]; then
        echo "entrypoint requires the handler name to be the first argument" 1>&2
        exit 142
fi
export _HANDLER="$1"

RUNTIME_ENTRYPOINT=/var/runtime/bootstrap
if [ -z "${AWS_LAMBDA_RUNTIME_API}" ]; then
        if [ ! -x /usr/local/bin/aws-lambda-rie ]; then
                echo "lambda-entrypoint.sh: AWS_LAMBDA_RUNTIME_API is not set and this image has no /usr/local/bin/aws-lambda-rie (run it under lambdad, which lends lambda-rie)" 1>&2
                exit 1
        fi
        exec /usr/local/bin/aws-lambda-rie $RUNTIME_ENTRYPOINT
else
        exec $RUNTIME_ENTRYPOINT
fi
