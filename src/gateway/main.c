/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "event-queue.h"
#include "gateway.h"
#include "lambda-contract.h"
#include "log.h"
#include "options.h"
#include "queue-dir.h"
#include "strv.h"
#include "trace.h"
#include "util.h"

static char **arg_listen = NULL;
static GatewayConfig arg_config = {
        .api_keys_path = SYSCONFDIR "/lambdad/api-keys",
        .credentials_path = SYSCONFDIR "/lambdad/credentials",
        .auth = true,
        .region = "us-east-1",
        .manager_timeout_usec = 1500 * USEC_PER_MSEC,
        .acquire_timeout_usec = 40 * USEC_PER_SEC,
        .request_timeout_usec = 30 * USEC_PER_SEC,
        .idle_exit_usec = 60 * USEC_PER_SEC,
        /* Short: the manager freezes an instance only once it is given back (freeze_after_ms). */
        .lease_idle_usec = 1 * USEC_PER_SEC,
        .queue_timeout_usec = 2 * USEC_PER_SEC,
        .upstream_timeout_usec = 910 * USEC_PER_SEC,
        .max_connections = 1024,
        .retry_delay_scale = 1.0,
        .queue_max_events = 100000,
        .queue_max_bytes = 1024ULL * 1024 * 1024,
        .queue_function_max_events = 10000,
        .queue_function_max_bytes = 256ULL * 1024 * 1024,
        .queue_concurrency = 4,
        .failed_retention_usec = 14 * 24 * 3600 * USEC_PER_SEC,
};
static const char *arg_queue_delete = NULL;
static bool arg_queue_list = false;

static void help(void)
{
        printf("NAME\n"
               "    lambda-gateway - the HTTP front of lambdad, speaking the AWS Lambda Invoke API\n"
               "\n"
               "SYNOPSIS\n"
               "    lambda-gateway [OPTIONS...]\n"
               "\n"
               "DESCRIPTION\n"
               "    Serves HTTP/1.1 on the sockets systemd passes (lambda-gateway.socket), or on the\n"
               "    --listen addresses when started by hand. Routes:\n"
               "      POST /2015-03-31/functions/NAME/invocations[?Qualifier=Q]   AWS Invoke API\n"
               "      POST /functions/NAME/invocations                           the same, simpler\n"
               "      GET  /2015-03-31/functions/                                ListFunctions\n"
               "      GET  /healthz, GET /metrics (Prometheus text)\n"
               "    NAME may be percent-encoded, NAME:QUALIFIER or an ARN. Each invocation runs on an\n"
               "    instance leased from org.lambdad.Manager1 over the system bus, one at a time per\n"
               "    instance; leases are reused while warm. Answers follow AWS Lambda: 200 with\n"
               "    X-Amz-Function-Error for function errors and timeouts, 202 for Event, 204 for DryRun,\n"
               "    404 ResourceNotFoundException, 413 over 6 MB, 429 TooManyRequestsException at the\n"
               "    function's instance limit, 503 with Retry-After when the manager cannot be reached.\n"
               "    While it cannot (it restarts, or the system bus is away), invocations of a function\n"
               "    whose instances the gateway holds wait for those instead. A restarted manager is\n"
               "    asked which of them it keeps (Reclaim); the rest are forgotten. A lost system bus\n"
               "    is reconnected (after 50 ms, backing off to every second); the gateway stays up.\n"
               "    Authentication: API keys (Authorization: Bearer KEY) from the api-keys file, or AWS\n"
               "    Signature Version 4 with the secrets in the credentials file. The gateway exits\n"
               "    after an idle period; systemd keeps the socket, so no connection is lost.\n"
               "    Event invocations are answered 202 once they are on disk (fsync'd) in the state\n"
               "    directory's queue, run from there at least once, retried after function errors\n"
               "    as the function's declaration says, and their records delivered to its\n"
               "    destinations; the gateway does not exit on idle while any are queued.\n"
               "\n"
               "OPTIONS\n"
               "    -l, --listen=ADDR          listen here when systemd passes no socket (repeatable;\n"
               "                               HOST:PORT, [V6]:PORT, :PORT, or @route:PORT: the IPv4\n"
               "                               address of the default route's interface, at start)\n"
               "        --api-keys=PATH        API keys file (default " SYSCONFDIR "/lambdad/api-keys)\n"
               "        --credentials=PATH     SigV4 credentials file (default " SYSCONFDIR
               "/lambdad/credentials)\n"
               "        --no-auth              serve without authentication (development only)\n"
               "        --region=REGION        region shown in ARNs (default us-east-1)\n"
               "        --manager-timeout=SEC  bound on reaching the manager (default 1.5)\n"
               "        --request-timeout=SEC  a request must arrive whole within this (default 30)\n"
               "        --exit-idle=SEC        exit with no connections for this long; 0 never (default "
               "60)\n"
               "        --lease-idle=SEC       give back instances unused for this long (default 1; the\n"
               "                               manager freezes an instance only once it is back)\n"
               "        --max-connections=N    default 1024\n"
               "        --state-directory=DIR  the durable queue of Event invocations (DIR/queue), records\n"
               "                               of failed ones (DIR/failed) and unreadable queue files\n"
               "                               (DIR/corrupt); default $STATE_DIRECTORY (systemd's\n"
               "                               StateDirectory=), else " LAMBDAD_GATEWAY_STATE_DIRECTORY "\n"
               "        --retry-delay-scale=F  scale the delays of retries (about 60 s, then 120 s) and\n"
               "                               of the throttling backoff (1 s doubling to 300 s); default "
               "1\n"
               "        --queue-max-events=N   queued Event invocations in all (default 100000)\n"
               "        --queue-max-bytes=B    their payloads in all (default 1G)\n"
               "        --queue-function-max-events=N  ... per function (default 10000)\n"
               "        --queue-function-max-bytes=B   ... per function (default 256M); past a bound:\n"
               "                               429 TooManyRequestsException\n"
               "        --queue-concurrency=N  queued events of one function run at once (default 4)\n"
               "        --failed-retention=SEC records in DIR/failed are kept this long (default 14 days)\n"
               "        --queue-list           list the queued events in the state directory and exit\n"
               "        --queue-delete=ID      delete a queued event and exit (safe while the gateway\n"
               "                               runs: it skips the event; a running attempt finishes)\n"
               "        --log-level=LEVEL      emerg..debug (default info)\n"
               "    -h, --help                 show this help\n"
               "        --version              show the version\n"
               "\n"
               "ENVIRONMENT\n"
               "    LAMBDAD_API_KEY            a Bearer key allowed for every function, in addition to\n"
               "                               the api-keys file (for containers and scripts)\n"
               "\n"
               "EXIT STATUS\n"
               "    0 after SIGTERM (connections drained) or on idle, 1 on failure.\n");
}

static int parse_argv(int argc, char *argv[])
{
        enum {
                ARG_API_KEYS = 0x100,
                ARG_CREDENTIALS,
                ARG_NO_AUTH,
                ARG_REGION,
                ARG_MANAGER_TIMEOUT,
                ARG_REQUEST_TIMEOUT,
                ARG_EXIT_IDLE,
                ARG_LEASE_IDLE,
                ARG_MAX_CONNECTIONS,
                ARG_LOG_LEVEL,
                ARG_VERSION,
                ARG_STATE_DIRECTORY,
                ARG_RETRY_DELAY_SCALE,
                ARG_QUEUE_MAX_EVENTS,
                ARG_QUEUE_MAX_BYTES,
                ARG_QUEUE_FUNCTION_MAX_EVENTS,
                ARG_QUEUE_FUNCTION_MAX_BYTES,
                ARG_QUEUE_CONCURRENCY,
                ARG_FAILED_RETENTION,
                ARG_QUEUE_LIST,
                ARG_QUEUE_DELETE,
        };
        static const struct option options[] = {
                { "listen", required_argument, NULL, 'l' },
                { "api-keys", required_argument, NULL, ARG_API_KEYS },
                { "credentials", required_argument, NULL, ARG_CREDENTIALS },
                { "no-auth", no_argument, NULL, ARG_NO_AUTH },
                { "region", required_argument, NULL, ARG_REGION },
                { "manager-timeout", required_argument, NULL, ARG_MANAGER_TIMEOUT },
                { "request-timeout", required_argument, NULL, ARG_REQUEST_TIMEOUT },
                { "exit-idle", required_argument, NULL, ARG_EXIT_IDLE },
                { "lease-idle", required_argument, NULL, ARG_LEASE_IDLE },
                { "max-connections", required_argument, NULL, ARG_MAX_CONNECTIONS },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "state-directory", required_argument, NULL, ARG_STATE_DIRECTORY },
                { "retry-delay-scale", required_argument, NULL, ARG_RETRY_DELAY_SCALE },
                { "queue-max-events", required_argument, NULL, ARG_QUEUE_MAX_EVENTS },
                { "queue-max-bytes", required_argument, NULL, ARG_QUEUE_MAX_BYTES },
                { "queue-function-max-events", required_argument, NULL, ARG_QUEUE_FUNCTION_MAX_EVENTS },
                { "queue-function-max-bytes", required_argument, NULL, ARG_QUEUE_FUNCTION_MAX_BYTES },
                { "queue-concurrency", required_argument, NULL, ARG_QUEUE_CONCURRENCY },
                { "failed-retention", required_argument, NULL, ARG_FAILED_RETENTION },
                { "queue-list", no_argument, NULL, ARG_QUEUE_LIST },
                { "queue-delete", required_argument, NULL, ARG_QUEUE_DELETE },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "l:h", options, NULL)) >= 0) {
                switch (c) {
                case 'l':
                        if (strv_extend(&arg_listen, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_API_KEYS:
                        arg_config.api_keys_path = optarg;
                        break;
                case ARG_CREDENTIALS:
                        arg_config.credentials_path = optarg;
                        break;
                case ARG_NO_AUTH:
                        arg_config.auth = false;
                        break;
                case ARG_REGION:
                        arg_config.region = optarg;
                        break;
                case ARG_MANAGER_TIMEOUT:
                        r = parse_seconds_option("manager-timeout", optarg, 1,
                                                 &arg_config.manager_timeout_usec);
                        if (r < 0)
                                return r;
                        break;
                case ARG_REQUEST_TIMEOUT:
                        r = parse_seconds_option("request-timeout", optarg, 1,
                                                 &arg_config.request_timeout_usec);
                        if (r < 0)
                                return r;
                        break;
                case ARG_EXIT_IDLE:
                        r = parse_seconds_option("exit-idle", optarg, 0, &arg_config.idle_exit_usec);
                        if (r < 0)
                                return r;
                        break;
                case ARG_LEASE_IDLE:
                        r = parse_seconds_option("lease-idle", optarg, 1, &arg_config.lease_idle_usec);
                        if (r < 0)
                                return r;
                        break;
                case ARG_MAX_CONNECTIONS:
                        r = parse_unsigned(optarg, 1, 1000000, &arg_config.max_connections);
                        if (r < 0)
                                return log_error_errno(r, "Invalid --max-connections '%s'.", optarg);
                        break;
                case ARG_LOG_LEVEL:
                        r = parse_log_level_option(optarg);
                        if (r < 0)
                                return r;
                        break;
                case ARG_STATE_DIRECTORY:
                        if (optarg[0] != '/')
                                return log_error_errno(-EINVAL,
                                                       "Invalid --state-directory '%s': an absolute path.",
                                                       optarg);
                        arg_config.state_directory = optarg;
                        break;
                case ARG_RETRY_DELAY_SCALE: {
                        char *end;

                        errno = 0;
                        arg_config.retry_delay_scale = strtod(optarg, &end);
                        if (errno != 0 || end == optarg || *end || !(arg_config.retry_delay_scale > 0) ||
                            arg_config.retry_delay_scale > 100)
                                return log_error_errno(
                                        -EINVAL,
                                        "Invalid --retry-delay-scale '%s': a number above 0, at "
                                        "most 100.",
                                        optarg);
                        break;
                }
                case ARG_QUEUE_MAX_EVENTS:
                case ARG_QUEUE_FUNCTION_MAX_EVENTS:
                case ARG_QUEUE_CONCURRENCY:
                        r = parse_unsigned(optarg, 1, 100000000,
                                           c == ARG_QUEUE_MAX_EVENTS ? &arg_config.queue_max_events
                                           : c == ARG_QUEUE_FUNCTION_MAX_EVENTS
                                                   ? &arg_config.queue_function_max_events
                                                   : &arg_config.queue_concurrency);
                        if (r < 0)
                                return log_error_errno(r, "Invalid number '%s'.", optarg);
                        break;
                case ARG_QUEUE_MAX_BYTES:
                case ARG_QUEUE_FUNCTION_MAX_BYTES:
                        r = parse_size(optarg, 1,
                                       c == ARG_QUEUE_MAX_BYTES ? &arg_config.queue_max_bytes
                                                                : &arg_config.queue_function_max_bytes);
                        if (r < 0)
                                return log_error_errno(r, "Invalid size '%s'.", optarg);
                        break;
                case ARG_FAILED_RETENTION:
                        r = parse_uint64(optarg, 1, 10ULL * 366 * 24 * 3600,
                                         &arg_config.failed_retention_usec);
                        if (r < 0)
                                return log_error_errno(r, "Invalid --failed-retention '%s': seconds.",
                                                       optarg);
                        arg_config.failed_retention_usec *= USEC_PER_SEC;
                        break;
                case ARG_QUEUE_LIST:
                        arg_queue_list = true;
                        break;
                case ARG_QUEUE_DELETE:
                        arg_queue_delete = optarg;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("lambda-gateway " PACKAGE_VERSION "\n");
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc)
                return log_error_errno(-EINVAL, "Unexpected argument '%s'.", argv[optind]);
        arg_config.listen = arg_listen;
        if (!arg_config.state_directory) {
                /* systemd may list several, separated by ':'; ours is one. */
                const char *e = getenv("STATE_DIRECTORY");

                arg_config.state_directory =
                        e && e[0] == '/' && !strchr(e, ':') ? e : LAMBDAD_GATEWAY_STATE_DIRECTORY;
        }
        /* Empty means unset, as compose passes "${LAMBDAD_API_KEY:-}" through. */
        arg_config.api_key = getenv("LAMBDAD_API_KEY");
        if (arg_config.api_key && !arg_config.api_key[0])
                arg_config.api_key = NULL;
        return 1;
}

int main(int argc, char *argv[])
{
        _cleanup_(gateway_freep) Gateway *g = NULL;
        int r;

        log_open();
        r = parse_argv(argc, argv);
        if (r <= 0) {
                strv_free(arg_listen);
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }

        if (arg_queue_list || arg_queue_delete) {
                r = arg_queue_list ? event_queue_list(arg_config.state_directory)
                                   : event_queue_delete(arg_config.state_directory, arg_queue_delete);
                strv_free(arg_listen);
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }

        trace_open();
        r = gateway_new(&g, &arg_config);
        if (r >= 0)
                r = gateway_run(g);
        g = gateway_free(TAKE_PTR(g));
        strv_free(arg_listen);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
