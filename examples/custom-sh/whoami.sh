# shellcheck shell=sh
# Handler for "custom-sh" (_HANDLER=whoami.handler): says which handler, user
# and directory it runs with, and returns the event ($1).
handler () {
        printf '{"handler":"%s","uid":%s,"gid":%s,"cwd":"%s","event":%s}\n' \
                "$_HANDLER" "$(id -u)" "$(id -g)" "$PWD" "${1:-null}"
}
