# shellcheck shell=sh
# Handler for "echo" (_HANDLER=function.handler): $1 is the file holding the
# event; the response is the event, unchanged.
handler () {
        cat "$1"
}
