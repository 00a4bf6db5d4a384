/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "code-runtime.h"
#include "config.h"
#include "docker-json.h"
#include "log.h"
#include "options.h"
#include "privileges.h"
#include "registry.h"
#include "lifetime-cleanup.h"
#include "manager.h"
#include "strv.h"
#include "util.h"

static ManagerConfig arg_config = {
        .docker_socket = DOCKER_SOCKET_PATH,
        .functions_dir = SYSCONFDIR "/lambdad/functions.d",
        .destination_root = DESTINATION_ROOT_DEFAULT,
        .implicit_functions = true,
        .publish_loopback = true,
        .isolate_by_default = true,
        .start_timeout_usec = 30 * USEC_PER_SEC,
        .wait_timeout_usec = 10 * USEC_PER_SEC,
        .exit_idle_usec = 60 * USEC_PER_SEC,
        .rie_path = LIBEXECDIR "/lambdad/lambda-rie",
        .code_store = LOCALSTATEDIR "/lib/lambdad-manager/code",
        .runtimes_dir = SYSCONFDIR "/lambdad/runtimes.d",
        .api_functions_dir = LOCALSTATEDIR "/lib/lambdad-manager/functions",
};
static char **arg_runtimes = NULL;
static char *arg_sockets_dir = NULL;
static bool arg_cleanup = false;
static bool arg_user = false;
static uid_t arg_user_uid;
static gid_t arg_user_gid;
static gid_t arg_engine_group = GID_INVALID;
static CleanupScope arg_cleanup_scope = CLEANUP_ALL;

static void help(void)
{
        printf("NAME\n"
               "    lambda-manager - the D-Bus service that runs lambdad's function containers\n"
               "\n"
               "SYNOPSIS\n"
               "    lambda-manager [OPTIONS...]\n"
               "    lambda-manager --cleanup[=all|zombies] [--docker-socket=PATH] [--network=NAME]\n"
               "\n"
               "DESCRIPTION\n"
               "    Serves org.lambdad.Manager1 at /org/lambdad/Manager1 on the system bus\n"
               "    (DBUS_SYSTEM_BUS_ADDRESS is honoured) and owns every function container through\n"
               "    the Docker Engine API: Acquire leases a ready instance of a function, starting one\n"
               "    within the function's instance limit (concurrent cold calls share the starts),\n"
               "    Release gives it back, EnsureContainer makes sure one runs. Idle instances stop\n"
               "    after their keep-alive; the manager exits when it has had no instances and no\n"
               "    calls for a while, and D-Bus activation starts it again.\n"
               "\n"
               "    Functions are declared in DIR/NAME.json (see --functions-dir). Unless\n"
               "    --no-implicit-functions, a call for an undeclared NAME runs the local image\n"
               "    NAME:latest if, and only if, it carries the label org.lambdad.function=NAME.\n"
               "    Images are never pulled unless a declaration says \"pull\": true.\n"
               "\n"
               "    Any Lambda container image runs: one whose ENTRYPOINT (or CMD) is lambda-rie runs\n"
               "    as it is; for any other (AWS base images, a runtime interface client, a custom\n"
               "    runtime) lambda-rie is lent read-only (--rie-path, --rie-volume) and runs the\n"
               "    image's ENTRYPOINT and CMD as its bootstrap. Functions run as uid:gid 993:990,\n"
               "    as on Lambda, unless their declaration says \"user\"; images for another OS or\n"
               "    architecture than the engine's are refused.\n"
               "\n"
               "    Zip functions (a declaration with \"runtime\", \"handler\" and \"code\" or\n"
               "    \"code_directory\") run in their runtime's image with the code unpacked once per\n"
               "    content (CodeSha256) into --code-store and bound read-only at /var/task, the\n"
               "    layers at /opt. A runtime runs in AWS's base image for it unless --runtime or\n"
               "    --runtimes-dir maps it to another. A changed code_directory is in effect within\n"
               "    a second: running calls finish on the old code, new ones get the new.\n"
               "\n"
               "    Containers carry the labels org.lambdad.managed-by=lambda-manager,\n"
               "    org.lambdad.function=NAME, org.lambdad.lifetime=ID and org.lambdad.spec=DIGEST\n"
               "    (what the declaration, the image and these options make of it). A restart is\n"
               "    invisible to clients: on SIGTERM the manager leaves its instances running when a\n"
               "    next lifetime is coming (see --handover), and at start it adopts the instances of\n"
               "    earlier lifetimes (after a restart or a crash alike) whose spec is unchanged, that\n"
               "    are on its network and that answer, giving their lease holders their leases back\n"
               "    (Reclaim, and the lease record of --state-dir or systemd's file descriptor store).\n"
               "    Every other container so labelled is removed; containers of other software are\n"
               "    never touched.\n"
               "\n"
               "OPTIONS\n"
               "        --cleanup[=all]        remove every container labelled as lambdad's, then exit\n"
               "        --cleanup=zombies      remove those of earlier lifetimes that no longer run, and\n"
               "                               leave the others to the next lifetime's adoption, then\n"
               "                               exit (for ExecStartPre=)\n"
               "        --docker-socket=PATH   Docker Engine API socket (default " DOCKER_SOCKET_PATH ")\n"
               "        --functions-dir=DIR    function declarations (default " SYSCONFDIR
               "/lambdad/functions.d)\n"
               "        --no-implicit-functions  serve declared functions only\n"
               "        --code-store=DIR       where zip functions' code is unpacked, readable by the\n"
               "                               engine at the same path (default " LOCALSTATEDIR
               "/lib/lambdad-manager/code)\n"
               "        --runtime=ID=IMAGE     run zip functions of runtime ID (nodejs22.x, ...) in IMAGE\n"
               "                               (repeatable; wins over --runtimes-dir)\n"
               "        --api-functions-dir=DIR  where the functions made with the control-plane API\n"
               "                               (CreateFunction) are kept (default " LOCALSTATEDIR
               "/lib/lambdad-manager/functions)\n"
               "        --runtimes-dir=DIR     ID.json files mapping runtimes to images:\n"
               "                               {\"image\": \"REF\", \"pull\": false} (default " SYSCONFDIR
               "/lambdad/runtimes.d)\n"
               "        --publish=MODE         reach instances on a port published on 127.0.0.1\n"
               "                               (loopback, default) or at the container's address (bridge)\n"
               "        --network=NAME         instances join this engine network and are reached at\n"
               "                               their address on it, port 8080; only containers on it are\n"
               "                               cleaned up. \"auto\": the network of the container this\n"
               "                               manager runs in (docker-compose, Swarm)\n"
               "        --gateway-container=NAME\n"
               "                               with --network: the gateway's container, which the manager\n"
               "                               joins to the network of each isolated function; \"auto\"\n"
               "                               (with --network=auto): the service \"gateway\" of this\n"
               "                               container's compose project. Without it (Swarm),\n"
               "                               isolated functions run on lambdad-isolated and are\n"
               "                               invoked at a socket in --instance-sockets-dir\n"
               "        --default-network=POLICY\n"
               "                               the network of functions whose declaration says none:\n"
               "                               isolated (default: a bridge without traffic between\n"
               "                               instances; a cold start costs more) or shared\n"
               "        --require-engine       exit at start when the engine socket is missing or not\n"
               "                               usable, saying which group it needs\n"
               "        --start-timeout=SEC    create to first answer of an instance (default 30)\n"
               "        --wait-timeout=SEC     how long Acquire waits at the instance limit (default 10)\n"
               "        --exit-idle=SEC        exit after this long without instances or calls;\n"
               "                               0 never (default 60)\n"
               "        --memory-budget=BYTES  bound on the memory limits of all instances together\n"
               "                               (suffix K, M, G or T: powers of 1024); a start past it\n"
               "                               stops idle and frozen instances, least recently used\n"
               "                               first, or waits, then LimitExceeded (default: none)\n"
               "        --destination-root=DIR directory destinations (on_success, on_failure) must lie\n"
               "                               under DIR and exist (default " DESTINATION_ROOT_DEFAULT ")\n"
               "        --handover=MODE        on SIGTERM, leave the instances running for the next\n"
               "                               lifetime: auto (default) when one is coming: under\n"
               "                               systemd when the unit's job is a restart, elsewhere when\n"
               "                               a lease holder (the gateway) and the bus are still\n"
               "                               there 3 s later, serving meanwhile; always;\n"
               "                               or never (remove them)\n"
               "        --keep-instances       the same as --handover=always\n"
               "        --state-dir=DIR        keep the lease record in DIR/leases, for the next lifetime\n"
               "                               (default: systemd's file descriptor store, FDSTORE=)\n"
               "        --rie-path=PATH        lambda-rie as a file on the engine's host, bound read-only\n"
               "                               into images that do not run it themselves (default\n"
               "                               " LIBEXECDIR "/lambdad/lambda-rie; empty: never)\n"
               "        --rie-volume=NAME      a volume holding lambda-rie, mounted read-only instead\n"
               "                               (auto: the volume mounted at " RIE_MOUNT_DIR " in the\n"
               "                               container this manager runs in)\n"
               "        --user=USER            started as root (a container that cannot know the engine\n"
               "                               socket's group in advance): become USER, a name or\n"
               "                               UID:GID, at once, with the socket's group as its one\n"
               "                               other group, and never be root again\n"
               "        --engine-group=GID     with --user: this group instead of the socket's (auto)\n"
               "        --instance-sockets-dir=DIR\n"
               "                               where instances of functions with \"network\": \"none\"\n"
               "                               get the directory of their invoke socket, on the engine's\n"
               "                               host (default: $RUNTIME_DIRECTORY/instances; without\n"
               "                               either, such functions cannot start)\n"
               "        --log-level=LEVEL      emerg..debug (default info)\n"
               "    -h, --help                 show this help\n"
               "        --version              show the version\n"
               "\n"
               "SIGNALS\n"
               "    SIGHUP reloads the declarations (instances of unchanged functions stay warm);\n"
               "    SIGTERM hands the instances over or removes them (--handover) and exits.\n"
               "\n"
               "EXIT STATUS\n"
               "    0 on a clean exit, 1 on failure.\n");
}

static int parse_argv(int argc, char *argv[])
{
        enum {
                ARG_CLEANUP = 0x100,
                ARG_DOCKER_SOCKET,
                ARG_FUNCTIONS_DIR,
                ARG_NO_IMPLICIT,
                ARG_PUBLISH,
                ARG_START_TIMEOUT,
                ARG_WAIT_TIMEOUT,
                ARG_EXIT_IDLE,
                ARG_KEEP,
                ARG_RIE_PATH,
                ARG_RIE_VOLUME,
                ARG_LOG_LEVEL,
                ARG_VERSION,
                ARG_NETWORK,
                ARG_GATEWAY_CONTAINER,
                ARG_DEFAULT_NETWORK,
                ARG_REQUIRE_ENGINE,
                ARG_MEMORY_BUDGET,
                ARG_DESTINATION_ROOT,
                ARG_HANDOVER,
                ARG_STATE_DIR,
                ARG_CODE_STORE,
                ARG_RUNTIME,
                ARG_RUNTIMES_DIR,
                ARG_API_FUNCTIONS_DIR,
                ARG_USER,
                ARG_ENGINE_GROUP,
                ARG_INSTANCE_SOCKETS_DIR,
        };
        static const struct option options[] = {
                { "cleanup", optional_argument, NULL, ARG_CLEANUP },
                { "handover", required_argument, NULL, ARG_HANDOVER },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "code-store", required_argument, NULL, ARG_CODE_STORE },
                { "runtime", required_argument, NULL, ARG_RUNTIME },
                { "runtimes-dir", required_argument, NULL, ARG_RUNTIMES_DIR },
                { "api-functions-dir", required_argument, NULL, ARG_API_FUNCTIONS_DIR },
                { "docker-socket", required_argument, NULL, ARG_DOCKER_SOCKET },
                { "functions-dir", required_argument, NULL, ARG_FUNCTIONS_DIR },
                { "no-implicit-functions", no_argument, NULL, ARG_NO_IMPLICIT },
                { "publish", required_argument, NULL, ARG_PUBLISH },
                { "start-timeout", required_argument, NULL, ARG_START_TIMEOUT },
                { "wait-timeout", required_argument, NULL, ARG_WAIT_TIMEOUT },
                { "exit-idle", required_argument, NULL, ARG_EXIT_IDLE },
                { "keep-instances", no_argument, NULL, ARG_KEEP },
                { "rie-path", required_argument, NULL, ARG_RIE_PATH },
                { "rie-volume", required_argument, NULL, ARG_RIE_VOLUME },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "network", required_argument, NULL, ARG_NETWORK },
                { "gateway-container", required_argument, NULL, ARG_GATEWAY_CONTAINER },
                { "default-network", required_argument, NULL, ARG_DEFAULT_NETWORK },
                { "memory-budget", required_argument, NULL, ARG_MEMORY_BUDGET },
                { "require-engine", no_argument, NULL, ARG_REQUIRE_ENGINE },
                { "destination-root", required_argument, NULL, ARG_DESTINATION_ROOT },
                { "user", required_argument, NULL, ARG_USER },
                { "engine-group", required_argument, NULL, ARG_ENGINE_GROUP },
                { "instance-sockets-dir", required_argument, NULL, ARG_INSTANCE_SOCKETS_DIR },
                {},
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case ARG_CLEANUP:
                        arg_cleanup = true;
                        if (!optarg || strcmp(optarg, "all") == 0)
                                arg_cleanup_scope = CLEANUP_ALL;
                        else if (strcmp(optarg, "zombies") == 0)
                                arg_cleanup_scope = CLEANUP_NOT_RUNNING;
                        else
                                return log_error_errno(-EINVAL, "Invalid --cleanup '%s': all or zombies.",
                                                       optarg);
                        break;
                case ARG_HANDOVER:
                        if (strcmp(optarg, "auto") == 0)
                                arg_config.handover = HANDOVER_AUTO;
                        else if (strcmp(optarg, "always") == 0)
                                arg_config.handover = HANDOVER_ALWAYS;
                        else if (strcmp(optarg, "never") == 0)
                                arg_config.handover = HANDOVER_NEVER;
                        else
                                return log_error_errno(
                                        -EINVAL, "Invalid --handover '%s': auto, always or never.", optarg);
                        break;
                case ARG_STATE_DIR:
                        if (!destination_path_is_valid(optarg))
                                return log_error_errno(
                                        -EINVAL, "Invalid --state-dir '%s': an absolute path.", optarg);
                        arg_config.state_dir = optarg;
                        break;
                case ARG_CODE_STORE:
                        if (!destination_path_is_valid(optarg) || strcmp(optarg, "/") == 0)
                                return log_error_errno(
                                        -EINVAL, "Invalid --code-store '%s': an absolute path.", optarg);
                        arg_config.code_store = optarg;
                        break;
                case ARG_RUNTIME:
                        if (!code_runtime_override_is_valid(optarg))
                                return log_error_errno(-EINVAL,
                                                       "Invalid --runtime '%s': expected ID=IMAGE, such as "
                                                       "nodejs22.x=my-node:22.",
                                                       optarg);
                        if (strv_extend(&arg_runtimes, optarg) < 0)
                                return log_oom();
                        arg_config.runtimes = arg_runtimes;
                        break;
                case ARG_RUNTIMES_DIR:
                        if (!destination_path_is_valid(optarg))
                                return log_error_errno(
                                        -EINVAL, "Invalid --runtimes-dir '%s': an absolute path.", optarg);
                        arg_config.runtimes_dir = optarg;
                        break;
                case ARG_API_FUNCTIONS_DIR:
                        if (!destination_path_is_valid(optarg) || strcmp(optarg, "/") == 0)
                                return log_error_errno(-EINVAL,
                                                       "Invalid --api-functions-dir '%s': an absolute path.",
                                                       optarg);
                        arg_config.api_functions_dir = optarg;
                        break;
                case ARG_INSTANCE_SOCKETS_DIR:
                        if (!destination_path_is_valid(optarg) || strcmp(optarg, "/") == 0)
                                return log_error_errno(
                                        -EINVAL, "Invalid --instance-sockets-dir '%s': an absolute path.",
                                        optarg);
                        arg_config.instance_sockets_dir = optarg;
                        break;
                case ARG_DOCKER_SOCKET:
                        arg_config.docker_socket = optarg;
                        break;
                case ARG_FUNCTIONS_DIR:
                        arg_config.functions_dir = optarg;
                        break;
                case ARG_NO_IMPLICIT:
                        arg_config.implicit_functions = false;
                        break;
                case ARG_PUBLISH:
                        if (strcmp(optarg, "loopback") == 0)
                                arg_config.publish_loopback = true;
                        else if (strcmp(optarg, "bridge") == 0)
                                arg_config.publish_loopback = false;
                        else
                                return log_error_errno(
                                        -EINVAL, "Invalid --publish '%s': loopback or bridge.", optarg);
                        break;
                case ARG_DEFAULT_NETWORK:
                        if (strcmp(optarg, "isolated") == 0)
                                arg_config.isolate_by_default = true;
                        else if (strcmp(optarg, "shared") == 0)
                                arg_config.isolate_by_default = false;
                        else
                                return log_error_errno(-EINVAL,
                                                       "Invalid --default-network '%s': isolated or shared.",
                                                       optarg);
                        break;
                case ARG_START_TIMEOUT:
                        r = parse_seconds_option("start-timeout", optarg, 1, &arg_config.start_timeout_usec);
                        if (r < 0)
                                return r;
                        break;
                case ARG_WAIT_TIMEOUT:
                        r = parse_seconds_option("wait-timeout", optarg, 0, &arg_config.wait_timeout_usec);
                        if (r < 0)
                                return r;
                        break;
                case ARG_EXIT_IDLE:
                        r = parse_seconds_option("exit-idle", optarg, 0, &arg_config.exit_idle_usec);
                        if (r < 0)
                                return r;
                        break;
                case ARG_DESTINATION_ROOT:
                        if (!destination_path_is_valid(optarg))
                                return log_error_errno(-EINVAL,
                                                       "Invalid --destination-root '%s': an absolute path.",
                                                       optarg);
                        arg_config.destination_root = optarg;
                        break;
                case ARG_KEEP:
                        arg_config.handover = HANDOVER_ALWAYS;
                        break;
                case ARG_RIE_PATH:
                        if (optarg[0] && optarg[0] != '/')
                                return log_error_errno(-EINVAL, "Invalid --rie-path '%s': an absolute path.",
                                                       optarg);
                        arg_config.rie_path = optarg[0] ? optarg : NULL;
                        break;
                case ARG_RIE_VOLUME:
                        if (!docker_name_is_valid(optarg))
                                return log_error_errno(-EINVAL, "Invalid --rie-volume '%s': a volume name.",
                                                       optarg);
                        arg_config.rie_volume = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        r = parse_log_level_option(optarg);
                        if (r < 0)
                                return r;
                        break;
                case ARG_NETWORK:
                        if (strcmp(optarg, "auto") != 0 && !docker_name_is_valid(optarg))
                                return log_error_errno(
                                        -EINVAL, "Invalid --network '%s': a network name or auto.", optarg);
                        arg_config.network = optarg;
                        break;
                case ARG_GATEWAY_CONTAINER:
                        if (strcmp(optarg, "auto") != 0 && !docker_name_is_valid(optarg))
                                return log_error_errno(-EINVAL,
                                                       "Invalid --gateway-container '%s': a container name "
                                                       "or id, or auto.",
                                                       optarg);
                        arg_config.gateway_container = optarg;
                        break;
                case ARG_REQUIRE_ENGINE:
                        arg_config.require_engine = true;
                        break;
                case ARG_MEMORY_BUDGET:
                        r = parse_size(optarg, 128ULL << 20, &arg_config.memory_budget);
                        if (r < 0)
                                return log_error_errno(
                                        r,
                                        "Invalid --memory-budget '%s': a number of bytes of at "
                                        "least 128M, with an optional suffix K, M, G or T.",
                                        optarg);
                        break;
                case ARG_USER:
                        r = privileges_parse_user(optarg, &arg_user_uid, &arg_user_gid);
                        if (r == -ESRCH)
                                return log_error_errno(r, "Invalid --user '%s': no such user.", optarg);
                        if (r < 0)
                                return log_error_errno(
                                        r, "Invalid --user '%s': a user's name or UID:GID, not root.",
                                        optarg);
                        arg_user = true;
                        break;
                case ARG_ENGINE_GROUP:
                        if (privileges_parse_group(optarg, &arg_engine_group) < 0)
                                return log_error_errno(
                                        -EINVAL, "Invalid --engine-group '%s': a number or auto.", optarg);
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("lambda-manager " PACKAGE_VERSION "\n");
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc)
                return log_error_errno(-EINVAL, "Unexpected argument '%s'.", argv[optind]);
        /* On a network of their own, instances are reached at their address there. */
        if (arg_config.network)
                arg_config.publish_loopback = false;
        /* systemd's RuntimeDirectory= (one: the unit names one). */
        if (!arg_config.instance_sockets_dir && getenv("RUNTIME_DIRECTORY") &&
            destination_path_is_valid(getenv("RUNTIME_DIRECTORY")) &&
            !strchr(getenv("RUNTIME_DIRECTORY"), ':')) {
                if (asprintf(&arg_sockets_dir, "%s/instances", getenv("RUNTIME_DIRECTORY")) < 0)
                        return log_oom();
                arg_config.instance_sockets_dir = arg_sockets_dir;
        }
        return 1;
}

int main(int argc, char *argv[])
{
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        log_open();
        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        /* Before anything else: nothing runs as root past this point. */
        if (arg_user) {
                _cleanup_free_ char *message = NULL;

                r = privileges_drop(arg_user_uid, arg_user_gid, arg_engine_group, arg_config.docker_socket,
                                    arg_config.code_store, arg_config.instance_sockets_dir, &message);
                if (r < 0) {
                        log_error_errno(r, "%s", message ?: "Cannot drop root.");
                        return EXIT_FAILURE;
                }
                if (r > 0) {
                        gid_t engine_gid;

                        if (getgroups(1, &engine_gid) == 1)
                                log_info("Dropped root: uid %u, gid %u, and group %u for the engine socket.",
                                         (unsigned) arg_user_uid, (unsigned) arg_user_gid,
                                         (unsigned) engine_gid);
                        else
                                log_info("Dropped root: uid %u, gid %u (no engine socket at %s).",
                                         (unsigned) arg_user_uid, (unsigned) arg_user_gid,
                                         arg_config.docker_socket);
                }
        }

        r = manager_new(&m, &arg_config);
        if (r < 0)
                return EXIT_FAILURE;

        if (arg_cleanup) {
                r = manager_cleanup_sync(m, arg_cleanup_scope);
                if (r < 0) {
                        log_error_errno(r, "Cleanup failed: %m");
                        return EXIT_FAILURE;
                }
                log_info("Removed %i lambdad container(s)%s.", r,
                         arg_cleanup_scope == CLEANUP_ALL ? "" : " of earlier lifetimes that no longer run");
                /* And the networks of isolated functions that none is on any more (--network). */
                if (arg_cleanup_scope == CLEANUP_ALL)
                        (void) manager_cleanup_networks_sync(m);
                return EXIT_SUCCESS;
        }

        r = manager_run(m);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
