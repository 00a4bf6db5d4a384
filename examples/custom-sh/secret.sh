# shellcheck shell=sh
# Readable by root only in the image (image.conf): the function runs as uid 993,
# as on Lambda, so a runtime that loads it fails with "Permission denied".
handler () {
        printf '{"secret":true}\n'
}
