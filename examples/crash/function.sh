# shellcheck shell=sh
# Handler for "crash" (_HANDLER=function.handler) when the event does not ask
# for a crash (the bootstrap handles that case).
handler () {
        printf '{"ok":true}'
}
