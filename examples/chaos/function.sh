# shellcheck shell=sh
# Handler for "chaos" (_HANDLER=function.handler), for the chaos tests: the
# event says how the invocation misbehaves before it echoes the event back.
#   "slow"  takes half a second (an invocation is in flight when a fault hits)
#   "hog"   holds about 400 MB in the runtime's own shell: past the function's
#           memory_mb, the kernel's OOM killer ends the runtime
handler () {
        case $(cat "$1") in
        *'"hog"'*)
                hog=$(head -c 400000000 /dev/zero | tr '\0' x)
                echo "held ${#hog} bytes" 1>&2
                ;;
        *'"slow"'*)
                sleep 0.5
                ;;
        esac
        cat "$1"
}
