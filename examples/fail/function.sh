# shellcheck shell=sh
# Handler for "fail" (_HANDLER=function.handler): always fails, printing the
# Lambda error document on stdout and returning non-zero.
handler () {
        printf '{"errorMessage":"something went wrong","errorType":"HandlerError"}'
        return 1
}
