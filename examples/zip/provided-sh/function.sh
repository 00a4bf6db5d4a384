# shellcheck shell=sh
# Handler of the provided-sh zip function (_HANDLER=function.handler): $1 is the
# event. What AWS's Node.js and Python runtimes put in the context, a custom
# runtime reads from the environment (the function's name and memory) and from the
# invocation's headers (the deadline, in DEADLINE_MS from the bootstrap).

# now_ms: the time in epoch milliseconds, from busybox ash's EPOCHREALTIME
# (seconds.microseconds; the 1 in front keeps a fraction like 074 from reading as
# octal), or from date's whole seconds in a shell without it.
now_ms() {
        if [ -n "${EPOCHREALTIME:-}" ]; then
                frac=${EPOCHREALTIME#*.}
                echo $((${EPOCHREALTIME%.*} * 1000 + 1${frac%???} - 1000))
        else
                echo $(($(date +%s) * 1000))
        fi
}

handler() {
        EVENT_DATA=${1:-null}
        echo "$EVENT_DATA" 1>&2
        remaining=$((${DEADLINE_MS:-0} - $(now_ms)))
        [ "$remaining" -gt 0 ] || remaining=0
        printf '{"message":"Hello from a zip-packaged custom runtime!","functionName":"%s","memoryLimitInMB":"%s","remainingTimeInMillis":%s,"event":%s}\n' \
                "$AWS_LAMBDA_FUNCTION_NAME" "$AWS_LAMBDA_FUNCTION_MEMORY_SIZE" "$remaining" "$EVENT_DATA"
}
