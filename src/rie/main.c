/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "config.h"
#include "lambda-contract.h"
#include "log.h"
#include "options.h"
#include "rie.h"
#include "util.h"

static const char *arg_listen = NULL;
static const char *arg_runtime_api = "127.0.0.1:9001";

static void help(void)
{
        printf("NAME\n"
               "    lambda-rie - Lambda Runtime Interface Emulator for lambdad function containers\n"
               "\n"
               "SYNOPSIS\n"
               "    lambda-rie [OPTIONS...] [BOOTSTRAP [ARGS...]]\n"
               "\n"
               "DESCRIPTION\n"
               "    Runs a Lambda function's bootstrap and serves it the Lambda Runtime API on\n"
               "    127.0.0.1:9001, while accepting invocations on :8080 at\n"
               "    POST /2015-03-31/functions/function/invocations, one at a time.\n"
               "    Without BOOTSTRAP it runs the first executable of /var/task/bootstrap,\n"
               "    /opt/bootstrap and /var/runtime/bootstrap. The bootstrap starts on the first\n"
               "    invocation (or at once with --eager-init), is restarted after a crash or a\n"
               "    timeout, and writes its output to lambda-rie's standard output together with\n"
               "    START, END and REPORT lines.\n"
               "\n"
               "    Answers: 200 with the function's result; 200 with X-Amz-Function-Error: Unhandled\n"
               "    for function errors and timeouts (errorType Sandbox.Timedout); 502 when the\n"
               "    runtime exits during an invocation; 429 when an invocation is already running;\n"
               "    413 for payloads over 6 MB; 202 for X-Amz-Invocation-Type: Event, 204 for DryRun.\n"
               "    X-Amz-Log-Type: Tail returns the invocation's last 4 KB of log in X-Amz-Log-Result.\n"
               "    GET /healthz answers 200 once the emulator listens.\n"
               "\n"
               "OPTIONS\n"
               "    -l, --listen=ADDR        invoke endpoint address: HOST:PORT or unix:/PATH\n"
               "                             (default: " RIE_LISTEN_ENV ", else 0.0.0.0:8080)\n"
               "        --runtime-api=ADDR   Runtime API address (default 127.0.0.1:9001)\n"
               "    -t, --timeout=SEC        function timeout, 1-900 (default: AWS_LAMBDA_FUNCTION_TIMEOUT "
               "or 300)\n"
               "        --handler=HANDLER    value of _HANDLER for the bootstrap (default: from the "
               "environment)\n"
               "        --eager-init         start the bootstrap at once, not on the first invocation\n"
               "        --log-level=LEVEL    emerg..debug (default info)\n"
               "    -h, --help               show this help\n"
               "        --version            show the version\n"
               "\n"
               "ENVIRONMENT\n"
               "    AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION, "
               "AWS_LAMBDA_FUNCTION_MEMORY_SIZE,\n"
               "    AWS_LAMBDA_FUNCTION_TIMEOUT, AWS_REGION, LAMBDA_RIE_EAGER_INIT=1, " RIE_LISTEN_ENV
               "=ADDR\n"
               "    (as --listen; lambda-manager sets unix:/PATH for \"network\": \"none\"). Everything "
               "else is\n"
               "    passed on to the bootstrap, with the Lambda variables a runtime needs added.\n"
               "\n"
               "    " INSTANCE_SECRET_ENV "=HEX (64 hex digits, set by lambda-manager): every request to\n"
               "    the invoke endpoint but GET /healthz must carry it in " INSTANCE_SECRET_HEADER ",\n"
               "    or gets 403. It is taken out of the environment at once (the bootstrap never sees\n"
               "    it). Without it, invocations are not authenticated (lambda-rie run by hand).\n"
               "\n"
               "    Without --handler or _HANDLER, a BOOTSTRAP given with arguments gets its last\n"
               "    argument as _HANDLER, as AWS's emulator does (an image's CMD is its handler).\n"
               "    A BOOTSTRAP given on the command line runs in the current directory (the\n"
               "    image's WORKDIR); one found in the standard places runs in LAMBDA_TASK_ROOT.\n"
               "\n"
               "EXIT STATUS\n"
               "    0 after SIGTERM or SIGINT, 1 on a setup error. With --eager-init, 127 at once\n"
               "    when the bootstrap does not exist and 126 when it cannot be executed.\n");
}

static int parse_argv(int argc, char *argv[], RieConfig *config)
{
        enum {
                ARG_RUNTIME_API = 0x100,
                ARG_HANDLER,
                ARG_EAGER_INIT,
                ARG_LOG_LEVEL,
                ARG_VERSION,
        };
        static const struct option options[] = {
                { "listen", required_argument, NULL, 'l' },
                { "runtime-api", required_argument, NULL, ARG_RUNTIME_API },
                { "timeout", required_argument, NULL, 't' },
                { "handler", required_argument, NULL, ARG_HANDLER },
                { "eager-init", no_argument, NULL, ARG_EAGER_INIT },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        int c, r;

        /* "+": options end at the bootstrap, whose own arguments may look like options. */
        while ((c = getopt_long(argc, argv, "+l:t:h", options, NULL)) >= 0) {
                switch (c) {
                case 'l':
                        arg_listen = optarg;
                        break;
                case ARG_RUNTIME_API:
                        arg_runtime_api = optarg;
                        break;
                case 't':
                        r = parse_unsigned(optarg, 1, 900, &config->settings.timeout_sec);
                        if (r < 0)
                                return log_error_errno(r, "Invalid --timeout '%s': expected 1-900 seconds.",
                                                       optarg);
                        break;
                case ARG_HANDLER:
                        free(config->settings.handler);
                        config->settings.handler = strdup(optarg);
                        if (!config->settings.handler)
                                return log_oom();
                        break;
                case ARG_EAGER_INIT:
                        config->settings.eager_init = true;
                        break;
                case ARG_LOG_LEVEL:
                        r = parse_log_level_option(optarg);
                        if (r < 0)
                                return r;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("lambda-rie " PACKAGE_VERSION "\n");
                        return 0;
                default:
                        return -EINVAL;
                }
        }

        config->invoke_address = arg_listen ?: rie_listen_from_env(environ);
        config->runtime_address = arg_runtime_api;
        config->bootstrap_argv = optind < argc ? argv + optind : NULL;
        return 1;
}

int main(int argc, char *argv[])
{
        _cleanup_(rie_freep) Rie *rie = NULL;
        char secret[INSTANCE_SECRET_SIZE];
        RieConfig config = {};
        const char *bad = NULL;
        int r, have_secret;

        /* Before anything else: the function runs as our uid, and must read neither our memory nor our
         * environment (/proc/1/mem, /proc/1/environ: a process that is not dumpable has them owned by
         * root). /proc/1/cmdline stays readable, so nothing secret ever goes on our command line. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
                log_open();
                log_error_errno(-errno, "Failed to make lambda-rie undumpable: %m");
                return EXIT_FAILURE;
        }
        have_secret = rie_take_secret(environ, secret);

        log_open();
        log_set_prefix("lambda-rie: ");
        if (have_secret < 0) {
                log_error("Invalid value of %s in the environment: expected %u hex digits.",
                          INSTANCE_SECRET_ENV, INSTANCE_SECRET_BYTES * 2);
                return EXIT_FAILURE;
        }
        config.instance_secret = have_secret > 0 ? secret : NULL;

        r = rie_settings_from_env(&config.settings, environ, &bad);
        if (r == -EINVAL) {
                log_error("Invalid value of %s in the environment.", bad);
                rie_settings_done(&config.settings);
                return EXIT_FAILURE;
        }
        if (r < 0) {
                log_oom();
                rie_settings_done(&config.settings);
                return EXIT_FAILURE;
        }

        r = parse_argv(argc, argv, &config);
        if (r > 0)
                r = rie_settings_handler_from_argv(&config.settings, environ, config.bootstrap_argv);
        if (r <= 0) {
                rie_settings_done(&config.settings);
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }

        /* rie_new() takes over config.settings, also when it fails. */
        r = rie_new(&rie, &config);
        explicit_bzero(secret, sizeof(secret));
        if (r < 0)
                return EXIT_FAILURE;

        r = rie_run(rie);
        return r < 0 ? EXIT_FAILURE : r;
}
