# shellcheck shell=sh
# Handler for "url" (_HANDLER=function.handler): $1 is the file holding a Function URL event
# (payload format 2.0); the answer depends on its rawPath. With URL_MODE=stream (a
# RESPONSE_STREAM URL) every answer is an http-integration-response prelude, 8 NULs and the body.
field () {
        sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$2"
}

handler () {
        path=$(field rawPath "$1")
        if [ "${URL_MODE:-}" = stream ]; then
                printf '{"statusCode":201,"headers":{"content-type":"text/plain","x-mode":"stream"},"cookies":["s=1; Path=/"]}'
                printf '\000\000\000\000\000\000\000\000'
                printf 'streamed body for %s\n' "$path"
                return 0
        fi
        case "$path" in
        /page)
                printf '{"statusCode":200,"headers":{"content-type":"text/html; charset=utf-8"},"body":"%s","isBase64Encoded":true}' \
                        "$(base64 -w 0 "$LAMBDA_TASK_ROOT/page.html")"
                ;;
        /binary)
                printf '{"statusCode":200,"headers":{"content-type":"application/octet-stream"},"body":"%s","isBase64Encoded":true}' \
                        "$(field body "$1")"
                ;;
        /cookies)
                printf '{"statusCode":201,"headers":{"content-type":"text/plain","x-custom":"yes"},"cookies":["a=1; Path=/","b=2; HttpOnly"],"body":"created"}'
                ;;
        /data)
                printf '{"statusCode":200,"headers":{"content-type":"application/json","x-request-id":"r1"},"body":"{\\"answer\\":42}"}'
                ;;
        /json) printf '{"hello":"world"}' ;;
        /string) printf '"just a string"' ;;
        /malformed) printf '{"statusCode":"abc"}' ;;
        /error)
                printf '{"errorMessage":"boom","errorType":"HandlerError"}'
                return 1
                ;;
        /sleep)
                sleep 3
                cat "$1"
                ;;
        *) cat "$1" ;;
        esac
}
