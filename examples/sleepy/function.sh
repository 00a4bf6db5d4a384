# shellcheck shell=sh
# Handler for "sleepy" (_HANDLER=function.handler): sleeps longer than the
# function timeout (AWS_LAMBDA_FUNCTION_TIMEOUT=2 in the image).
handler () {
        echo "sleeping 30 s (timeout is ${AWS_LAMBDA_FUNCTION_TIMEOUT:-?} s)" 1>&2
        sleep 30
        printf '{"slept":30}'
}
