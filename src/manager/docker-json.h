/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * docker-json.h: the JSON bodies and URL pieces lambda-manager sends to the Docker Engine API v1.41, and
 * strict parsers for what the engine answers. Pure functions over buffers: every byte from the engine is
 * treated as untrusted, so types, lengths and id formats are checked and nothing is asserted on input.
 * Built in docker-request.c (what we send), docker-answer.c and docker-inspect.c (what the engine
 * answers; a container's inspect in the latter) and docker-json.c (the strict reading primitives they
 * share, docker-json-read.h).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define DOCKER_API_PREFIX "/v1.41"

#define LABEL_MANAGED_BY "org.lambdad.managed-by"
#define LABEL_FUNCTION   "org.lambdad.function"
#define LABEL_LIFETIME   "org.lambdad.lifetime"
/* The network the instance was attached to (--network): a manager cleans up only its network's. */
#define LABEL_NETWORK "org.lambdad.network"
/* A digest of what the container was made of, less its name and lifetime (instance_spec()): a later
 * lifetime adopts the container only while its declaration and image still give the same. */
#define LABEL_SPEC "org.lambdad.spec"
/* docker-compose's, on the containers of a project: the manager finds its gateway by them. */
/* On --network (compose): an isolated function F's instances run on the bridge NETWORK-fn-F, made on
 * first use with inter-container traffic on, which the gateway's container (--gateway-container) is
 * joined to; the engine keeps bridges apart from each other, so they reach neither the instances of
 * other functions nor the manager and the bus. The name begins with the deployment's so that it sorts
 * after it: the engine routes a container on several bridges out through the first by name, and
 * publishes its ports there, which must stay the deployment's network for the gateway. */
#define FUNCTION_NETWORK_INFIX "-fn-"

#define LABEL_COMPOSE_PROJECT "com.docker.compose.project"
#define LABEL_COMPOSE_SERVICE "com.docker.compose.service"

#define LABEL_MANAGED_BY_VALUE "lambda-manager"

/* The port lambda-rie serves invocations on inside the container. */
#define DOCKER_FUNCTION_PORT "8080/tcp"

/* Documents from the engine larger than this are refused (-EMSGSIZE) before parsing. */
#define DOCKER_JSON_MAX ((size_t) 8 * 1024 * 1024)

/* Error messages handed to callers are cut to this many bytes, so they fit a log line or a bus error. */
#define DOCKER_ERROR_MESSAGE_MAX 512

/* Where an image that does not run lambda-rie itself finds the one lambdad lends it. */
#define RIE_MOUNT_DIR  "/var/lambdad"
#define RIE_MOUNT_PATH RIE_MOUNT_DIR "/lambda-rie"
/* Where an instance without a network finds the directory of its invoke socket (instance-socket.h). */
#define INSTANCE_SOCKET_MOUNT "/run/lambdad-rie"

typedef enum DockerRieSource {
        DOCKER_RIE_NONE,   /* the image runs lambda-rie itself */
        DOCKER_RIE_BIND,   /* a file on the engine's host, bound read-only at RIE_MOUNT_PATH */
        DOCKER_RIE_VOLUME, /* a named volume holding lambda-rie, mounted read-only at RIE_MOUNT_DIR */
} DockerRieSource;

typedef struct DockerCreateParams {
        const char *image;
        const char *function;    /* label value */
        const char *lifetime;    /* label value */
        char *const *env;        /* "KEY=VALUE", may be NULL */
        uint64_t memory_bytes;   /* 0: no limit; else Memory and MemorySwap (no swap) */
        uint64_t nano_cpus;      /* 0: no limit */
        bool publish_loopback;   /* publish 8080/tcp on 127.0.0.1 with a dynamic host port */
        const char *user;        /* Config.User; NULL: the image's */
        char *const *entrypoint; /* Config.Entrypoint; NULL: the image's */
        char *const *cmd;        /* Config.Cmd; NULL: the image's (or none, when entrypoint is set) */
        const char *working_dir; /* Config.WorkingDir; NULL: the image's */
        DockerRieSource rie;     /* how lambda-rie is lent to the container */
        const char *rie_source;  /* the host path or the volume name */
        const char *network;  /* NULL: the engine's default; else NetworkMode and the LABEL_NETWORK label */
        const char *spec;     /* the LABEL_SPEC label; NULL: none */
        const char *task_dir; /* a zip function's code on the engine's host, bound read-only at /var/task */
        const char *opt_dir;  /* its layers, bound read-only at /opt; NULL: none */
        const char *runtime;  /* HostConfig.Runtime (an OCI runtime the engine knows: runsc, ...); NULL:
                               * the engine's default */
        const char *network_mode; /* NetworkMode, when it is not network's (an isolated function's own
                                   * bridge, which does not scope the manager's cleanup); NULL: network */
        const char *socket_dir;   /* a host directory bound read-write at INSTANCE_SOCKET_MOUNT (a
                                   * function without a network); NULL: none */
} DockerCreateParams;

/*
 * The body of POST /containers/create. The sandboxing in HostConfig is fixed: no capabilities, no new
 * privileges, a read-only root with a tmpfs /tmp, a pids limit, and no init (lambda-rie is PID 1 on
 * purpose); lent lambda-rie and a zip function's code are mounted read-only. -EINVAL for a missing
 * image/label value, a network name the engine would refuse, an env entry that is not NAME=VALUE, a rie
 * source missing or not fitting its kind, a code directory that is not absolute, or strings that are not
 * UTF-8 (the engine would mangle them, and a mangled label no longer matches our filters); -ERANGE for
 * limits the engine cannot represent.
 */
int docker_create_body(const DockerCreateParams *p, char **ret);

/* The option of a bridge network that drops traffic between its containers (inter-container
 * communication). */
#define DOCKER_BRIDGE_ICC_OPTION "com.docker.network.bridge.enable_icc"

/* The body of POST /networks/create for a bridge network labelled as the manager's, whose containers reach
 * the outside world and, unless icc, not each other (inter-container communication off). Its host
 * interface is the engine's to name: a fixed name would collide with another engine's on the same host
 * (Podman beside dockerd). deployment: the LABEL_NETWORK it gets (a network per function on --network), or
 * NULL. -EINVAL for a name the engine would refuse. */
int docker_bridge_network_body(const char *name, bool icc, const char *deployment, char **ret);
/* POST /networks/{id}/connect and disconnect: {"Container": container}, with "Force": true when force
 * (a disconnect that a stopped container takes too). -EINVAL for a name the engine would not take. */
int docker_network_connect_body(const char *container, bool force, char **ret);

/* What docker_parse_network_bridge() finds a network to be. */
enum {
        DOCKER_NETWORK_OTHER = 0,    /* not a bridge */
        DOCKER_BRIDGE_ISOLATING = 1, /* a bridge with ICC off */
        DOCKER_BRIDGE_OPEN = 2,      /* a bridge whose containers reach each other */
};

/* The answer to GET /networks/{name} -> one of the above. -EBADMSG when it is no network. */
int docker_parse_network_bridge(const char *json, size_t len);

/* A name the engine accepts for a container: [a-zA-Z0-9][a-zA-Z0-9_.-]{1,127}. */
bool docker_name_is_valid(const char *name);
/* A container id as the engine reports it: 12..64 lowercase hex. */
bool docker_id_is_valid(const char *id);

/*
 * The query value of filters= selecting a label: {"label":["KEY=VALUE"]}, or {"label":["KEY"]} when
 * value is NULL, percent-encoded. -EINVAL for an empty key or one containing '='.
 */
int docker_label_filter(const char *key, const char *value, char **ret);
/* The same for another kind of filter whose term is a name: {"network":["NAME-OR-ID"]},
 * {"type":["container"]}. -EINVAL for a kind or term the engine would not take as a name. */
int docker_filter(const char *kind, const char *term, char **ret);

/* The answer to POST /containers/create: the id of the new container, validated. */
int docker_parse_create(const char *json, size_t len, char **ret_id);

/*
 * An error body {"message":"..."} -> the message. Anything else falls back to the raw body. Either way
 * the result is cut to DOCKER_ERROR_MESSAGE_MAX bytes, valid UTF-8 and free of control characters, so
 * it can go into a log or a D-Bus error as is. Fails only with -ENOMEM.
 */
int docker_parse_error(const char *json, size_t len, char **ret_message);

/* POST /images/create (a pull) answers 200 and streams progress; returns 1 with the message when a
 * line reports an error, 0 when none does. */
int docker_parse_pull_result(const char *body, size_t len, char **ret_error);

typedef struct DockerContainer {
        char *id;
        char *function; /* LABEL_FUNCTION or NULL */
        char *lifetime; /* LABEL_LIFETIME or NULL */
        char *network;  /* LABEL_NETWORK or NULL */
        char *service;  /* LABEL_COMPOSE_SERVICE or NULL */
        bool managed;   /* LABEL_MANAGED_BY == LABEL_MANAGED_BY_VALUE */
        char *state;    /* "running", "exited", ... or NULL */
} DockerContainer;

void docker_container_done(DockerContainer *c);
void docker_container_array_free(DockerContainer *a, size_t n);

/*
 * The answer to GET /containers/json. An entry without a valid Id is skipped; a field of the wrong type
 * reads as absent, so an entry we cannot read is never mistaken for one of ours. -EBADMSG when the
 * document is not an array.
 */
int docker_parse_container_list(const char *json, size_t len, DockerContainer **ret, size_t *ret_n);

typedef struct DockerInspect {
        char *id;
        bool running;
        char *status; /* State.Status */
        int exit_code;
        char *ip_address;   /* NetworkSettings.IPAddress, NULL if empty */
        uint16_t host_port; /* NetworkSettings.Ports["8080/tcp"][0].HostPort, 0 if not published */
        char *host_ip;      /* ...HostIp, NULL if none */
        char *function;     /* Config.Labels[LABEL_FUNCTION] */
        char *lifetime;     /* Config.Labels[LABEL_LIFETIME] */
        char *spec;         /* Config.Labels[LABEL_SPEC] */
        char *network;      /* Config.Labels[LABEL_NETWORK] */
        char *project;      /* Config.Labels[LABEL_COMPOSE_PROJECT] */
        bool managed;       /* Config.Labels[LABEL_MANAGED_BY] is ours */
        char *image_id;     /* Image: the id of the image it was made from */
        char **networks;    /* the names of NetworkSettings.Networks, NULL if none */
        /* Config.Env's INSTANCE_SECRET_ENV when it is a valid secret, else NULL */
        char *instance_secret;
        /* Mounts: the Source of the bind mount at INSTANCE_SOCKET_MOUNT (an absolute path), else NULL */
        char *socket_dir;
} DockerInspect;

void docker_inspect_done(DockerInspect *i);

/*
 * The answer to GET /containers/{id}/json. Absent or null fields read as unset; present ones of the
 * wrong type, an invalid Id, an address that is not an IP literal or a port outside 1..65535 are
 * -EBADMSG.
 */
int docker_parse_inspect(const char *json, size_t len, DockerInspect *ret);

/*
 * The answer to GET /containers/{id}/json -> the name of the volume mounted at destination: 1 and the
 * name, 0 and NULL when no volume is mounted there. -EBADMSG for a malformed Mounts list or a volume
 * name the engine would not take back.
 */
int docker_parse_volume_at(const char *json, size_t len, const char *destination, char **ret_name);

typedef struct DockerImage {
        char *id;           /* Id, "sha256:..."; NULL if the engine did not say */
        char **entrypoint;  /* Config.Entrypoint, NULL if none */
        char **cmd;         /* Config.Cmd, NULL if none */
        char *working_dir;  /* Config.WorkingDir, NULL if none */
        char *architecture; /* "amd64", "arm64", ...; NULL if the engine did not say */
        char *os;           /* "linux", ...; NULL if the engine did not say */
        char *function;     /* Config.Labels[LABEL_FUNCTION], NULL if none */
} DockerImage;

void docker_image_done(DockerImage *i);

/*
 * The answer to GET /images/{name}/json: what the manager needs to run the image. Absent or null
 * fields read as unset; present ones of the wrong type, or arrays of more than 4096 strings, are
 * -EBADMSG.
 */
int docker_parse_image(const char *json, size_t len, DockerImage *ret);

/* The answer to GET /info -> the names of the OCI runtimes the engine knows (the keys of "Runtimes"),
 * NULL when it does not say (1 and the names when it does, 0 when not). -EBADMSG for a malformed
 * answer. */
int docker_parse_info_runtimes(const char *json, size_t len, char ***ret);

/* The answer to GET /version -> the engine's "Os" and "Arch" (Go's names: "linux", "amd64"). -EBADMSG
 * when either is missing. */
int docker_parse_version(const char *json, size_t len, char **ret_os, char **ret_arch);

/* How many of a container's last output lines go into an error message. */
#define DOCKER_LOG_TAIL_LINES 10

/*
 * The answer to GET /containers/{id}/logs of a container without a TTY: frames of an 8-byte header
 * (stream 0-2, three zero bytes, a big-endian length) and the payload. Returns the last
 * DOCKER_LOG_TAIL_LINES lines of stdout and stderr together, at most DOCKER_ERROR_MESSAGE_MAX bytes,
 * sanitized like docker_parse_error() but keeping the newlines between lines ("" when there was no
 * output). A body that is not such a stream (a TTY container's) is taken as plain text. Fails only
 * with -ENOMEM.
 */
int docker_parse_logs(const char *body, size_t len, char **ret);

typedef struct DockerEvent {
        char *type;   /* "container", "image", "network", ... */
        char *action; /* "die", "destroy", "remove" (podman), "oom", ... */
        char *id; /* Actor.ID: always a valid container id for "container" events, else NULL if not one */
        char *function; /* Actor.Attributes[LABEL_FUNCTION] */
        char *lifetime; /* Actor.Attributes[LABEL_LIFETIME] */
        char *project;  /* Actor.Attributes[LABEL_COMPOSE_PROJECT] */
        char *service;  /* Actor.Attributes[LABEL_COMPOSE_SERVICE] */
} DockerEvent;

void docker_event_done(DockerEvent *e);

/* One line of GET /events (newline-delimited JSON; the trailing newline may be included). */
int docker_parse_event(const char *line, size_t len, DockerEvent *ret);
