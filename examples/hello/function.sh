# shellcheck shell=sh
# Handler for "hello" (_HANDLER=function.handler): $1 is the event.
handler () {
        EVENT_DATA=${1:-null}
        echo "$EVENT_DATA" 1>&2
        printf '{"message":"Hello from lambdad!","event":%s}\n' "$EVENT_DATA"
}
