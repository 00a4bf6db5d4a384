# shellcheck shell=sh
# Handler for "chaos" (_HANDLER=function.handler), for the chaos tests: the
# event says how the invocation misbehaves before it echoes the event back.
#   "slow"  takes half a second (an invocation is in flight when a fault hits)
#   "hog"   doubles a string in the runtime's own shell until the function's
#           memory_mb is passed and the kernel's OOM killer ends the runtime
handler () {
        case $(cat "$1") in
        *'"hog"'*)
                hog=x
                while :; do hog=$hog$hog; done
                ;;
        *'"slow"'*)
                sleep 0.5
                ;;
        esac
        cat "$1"
}
