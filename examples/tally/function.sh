# shellcheck shell=sh
# Handler for "tally" (_HANDLER=function.handler): a slow function whose runs can be counted. It
# writes "tally-run EVENT" to stderr (the container's log), waits a second, then returns its event.
handler () {
        printf 'tally-run %s\n' "$(cat "$1")" 1>&2
        sleep 1
        cat "$1"
}
