/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "docker-json.h"
#include "strv.h"

#define ID  "3604bc6113d5f543ec0980b44b587eafc0902a4a87601cacce64fbac7edf75e2"
#define ID2 "e2819479e801626a9bc287a00f6b7e5d2729a4733b49e040f2096e67c86140e6"
#define LT  "0123456789abcdef0123456789abcdef"

/* Answers captured from Docker 20.10.24 (API 1.41), trimmed of fields nobody reads. */
static const char create_answer[] = "{\"Id\":\"" ID "\",\"Warnings\":[]}\n";

#define IMAGE_ID "7cc173d15b461c2b09a3e1f7a9c1f4d0d8e2b6f5a4c3b2a19080706050403020"

static const char inspect_running[] =
        "{\"Id\":\"" ID "\",\"Image\":\"sha256:" IMAGE_ID
        "\",\"Created\":\"2026-11-29T04:03:55.029774443Z\",\"Path\":\"/bin/busybox\","
        "\"Args\":[\"sleep\",\"30\"],\"State\":{\"Status\":\"running\",\"Running\":true,\"Paused\":false,"
        "\"Restarting\":false,\"OOMKilled\":false,\"Dead\":false,\"Pid\":12593,\"ExitCode\":0,\"Error\":"
        "\"\","
        "\"StartedAt\":\"2026-11-29T04:03:55.268333105Z\",\"FinishedAt\":\"0001-01-01T00:00:00Z\"},"
        "\"Name\":\"/lambdad-djtest-a1a088b1\",\"HostConfig\":{\"NetworkMode\":\"default\",\"PortBindings\":"
        "{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]},\"ReadonlyRootfs\":true},"
        "\"Config\":{\"Hostname\":\"3604bc6113d5\",\"ExposedPorts\":{\"8080/tcp\":{}},"
        "\"Env\":[\"FOO=bar \\\"q\\\" \xc3\xbc\"],\"Cmd\":[\"/bin/busybox\",\"sleep\",\"30\"],"
        "\"Image\":\"lambdad-djtest-img\",\"Volumes\":null,\"Entrypoint\":null,\"Labels\":{"
        "\"org.lambdad.function\":\"dj-test\",\"org.lambdad.lifetime\":\"" LT "\","
        "\"org.lambdad.spec\":\"0123abcd\","
        "\"org.lambdad.managed-by\":\"lambda-manager\"}},\"NetworkSettings\":{\"Bridge\":\"\","
        "\"SandboxID\":\"a6af588da25c0227870c9431b17a9da377a2e65bc8233ad9879492f46cafd22c\","
        "\"Ports\":{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"32801\"}]},"
        "\"SandboxKey\":\"/var/run/docker/netns/a6af588da25c\",\"SecondaryIPAddresses\":null,"
        "\"Gateway\":\"172.17.0.1\",\"GlobalIPv6Address\":\"\",\"IPAddress\":\"172.17.0.2\",\"IPPrefixLen\":"
        "16,"
        "\"Networks\":{\"bridge\":{\"IPAMConfig\":null,\"Gateway\":\"172.17.0.1\",\"IPAddress\":\"172.17.0."
        "2\","
        "\"IPPrefixLen\":16,\"MacAddress\":\"02:42:ac:11:00:02\",\"DriverOpts\":null}}}}\n";

/* The same container after SIGKILL: Ports is an empty object, addresses are empty strings. */
static const char inspect_exited[] =
        "{\"Id\":\"" ID "\",\"State\":{\"Status\":\"exited\",\"Running\":false,\"Paused\":false,"
        "\"Restarting\":false,\"OOMKilled\":false,\"Dead\":false,\"Pid\":0,\"ExitCode\":137,\"Error\":\"\"},"
        "\"Config\":{\"Labels\":{\"org.lambdad.function\":\"dj-test\",\"org.lambdad.lifetime\":\"" LT "\","
        "\"org.lambdad.managed-by\":\"lambda-manager\"}},\"NetworkSettings\":{\"Bridge\":\"\",\"Ports\":{},"
        "\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"Networks\":{\"bridge\":{\"IPAMConfig\":"
        "null,"
        "\"NetworkID\":\"05d99fc2476d148f0267dfa4c198b25e09c4d7726e843536c03e7ad8e28c8312\",\"Gateway\":"
        "\"\","
        "\"IPAddress\":\"\",\"IPPrefixLen\":0}}}}\n";

/* Exposed but not published: the port maps to null. */
static const char inspect_unpublished[] =
        "{\"Id\":\"" ID2 "\",\"State\":{\"Status\":\"running\",\"Running\":true,\"ExitCode\":0},"
        "\"Config\":{\"Labels\":{\"org.lambdad.function\":\"dj-test\"}},\"NetworkSettings\":{"
        "\"Ports\":{\"8080/tcp\":null},\"IPAddress\":\"172.17.0.2\"}}\n";

static const char list_mixed[] =
        "[{\"Id\":\"faa4b14c3b8c097a25aafb20c95efc3fd2fb78a55cf70e2dc6917ed2518f9750\","
        "\"Names\":[\"/lambdad-djtest-a1a088b1-3\"],\"Image\":\"lambdad-djtest-img\",\"Command\":"
        "\"/bin/busybox sleep 30\",\"Created\":1795925045,\"Ports\":[],\"Labels\":{\"org.lambdad.function\":"
        "\"dj-test\"},\"State\":\"created\",\"Status\":\"Created\",\"HostConfig\":{\"NetworkMode\":"
        "\"default\"},"
        "\"Mounts\":[]},{\"Id\":\"" ID "\",\"Names\":[\"/lambdad-djtest-a1a088b1\"],\"Image\":"
        "\"lambdad-djtest-img\",\"Ports\":[{\"IP\":\"127.0.0.1\",\"PrivatePort\":8080,\"PublicPort\":32801,"
        "\"Type\":\"tcp\"}],\"Labels\":{\"org.lambdad.function\":\"dj-test\",\"org.lambdad.lifetime\":\"" LT
        "\","
        "\"org.lambdad.managed-by\":\"lambda-manager\"},\"State\":\"running\",\"Status\":\"Up 1 "
        "second\"}]\n";

static const char image_labelled[] =
        "{\"Id\":\"sha256:f4aab9a398e85e2ba52312764c157b75d8cd26a57c581f95329c07f49aeb13aa\","
        "\"RepoTags\":[\"lambdad-djtest-img:latest\"],\"RepoDigests\":[],\"ContainerConfig\":{\"Labels\":"
        "{\"org.lambdad.function\":\"not-this-one\"}},\"DockerVersion\":\"20.10.24+dfsg1\",\"Config\":{"
        "\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":"
        "[\"/bin/"
        "busybox\",\"sleep\",\"30\"],\"Volumes\":null,\"Labels\":{\"org.lambdad.function\":\"dj-test\"}},"
        "\"Architecture\":\"amd64\",\"Os\":\"linux\",\"Size\":1982256}\n";

static const char event_die[] =
        "{\"status\":\"die\",\"id\":\"" ID "\",\"from\":\"lambdad-djtest-img\",\"Type\":\"container\","
        "\"Action\":\"die\",\"Actor\":{\"ID\":\"" ID "\",\"Attributes\":{\"exitCode\":\"137\",\"image\":"
        "\"lambdad-djtest-img\",\"name\":\"lambdad-djtest-a1a088b1\",\"org.lambdad.function\":\"dj-test\","
        "\"org.lambdad.lifetime\":\"" LT
        "\",\"org.lambdad.managed-by\":\"lambda-manager\"}},\"scope\":\"local\","
        "\"time\":1795925035,\"timeNano\":1795925035389381429}\n";

static const char event_network[] =
        "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":"
        "\"05d99fc2476d148f0267dfa4c198b25e09c4d7726e843536c03e7ad8e28c8312\",\"Attributes\":{\"container\":"
        "\"" ID "\",\"name\":\"bridge\",\"type\":\"bridge\"}},\"scope\":\"local\",\"time\":1795925035,"
        "\"timeNano\":1795925035067000826}\n";

static json_object *member(json_object *o, const char *key)
{
        json_object *v = NULL;

        assert_true(json_object_object_get_ex(o, key, &v));
        return v;
}

static const char *member_string(json_object *o, const char *key)
{
        json_object *v = member(o, key);

        assert_true(json_object_is_type(v, json_type_string));
        return json_object_get_string(v);
}

static void assert_member_int(json_object *o, const char *key, int64_t value)
{
        json_object *v = member(o, key);

        assert_true(json_object_is_type(v, json_type_int));
        assert_true(json_object_get_int64(v) == value);
}

static void assert_member_bool(json_object *o, const char *key, bool value)
{
        json_object *v = member(o, key);

        assert_true(json_object_is_type(v, json_type_boolean));
        assert_int_equal(json_object_get_boolean(v), value);
}

static void assert_single_string_array(json_object *o, const char *key, const char *value)
{
        json_object *v = member(o, key);

        assert_true(json_object_is_type(v, json_type_array));
        assert_int_equal(json_object_array_length(v), 1);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), value);
}

static void test_create_body_roundtrip(void **state)
{
        char *env[] = { "QUOTES=a \"b\" 'c' \\d",
                        "UNICODE=h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x90\xb3",
                        "CTRL=line1\nline2\ttab",
                        "EMPTY=",
                        "EQ=a=b",
                        NULL };
        DockerCreateParams p = {
                .image = "registry.local:5000/fn/img@sha256:abc",
                .function = "f\"n\xc3\xbc",
                .lifetime = LT,
                .env = env,
                .memory_bytes = UINT64_C(128) << 20,
                .nano_cpus = 500000000,
                .publish_loopback = true,
        };
        json_object *o, *v, *hc, *b;
        char *body = NULL;

        assert_int_equal(docker_create_body(&p, &body), 0);
        o = json_tokener_parse(body);
        assert_non_null(o);
        assert_int_equal(json_object_object_length(o), 5);

        assert_string_equal(member_string(o, "Image"), p.image);

        v = member(o, "Env");
        assert_int_equal(json_object_array_length(v), 5);
        for (size_t i = 0; i < 5; i++)
                assert_string_equal(json_object_get_string(json_object_array_get_idx(v, i)), env[i]);

        v = member(o, "Labels");
        assert_int_equal(json_object_object_length(v), 3);
        assert_string_equal(member_string(v, LABEL_MANAGED_BY), "lambda-manager");
        assert_string_equal(member_string(v, LABEL_FUNCTION), "f\"n\xc3\xbc");
        assert_string_equal(member_string(v, LABEL_LIFETIME), LT);

        v = member(o, "ExposedPorts");
        assert_int_equal(json_object_object_length(v), 1);
        v = member(v, "8080/tcp");
        assert_true(json_object_is_type(v, json_type_object));
        assert_int_equal(json_object_object_length(v), 0);

        hc = member(o, "HostConfig");
        assert_int_equal(json_object_object_length(hc), 12);
        assert_member_int(hc, "Memory", 134217728);
        assert_member_int(hc, "MemorySwap", 134217728);
        assert_member_int(hc, "NanoCpus", 500000000);
        v = member(member(hc, "PortBindings"), "8080/tcp");
        assert_int_equal(json_object_array_length(v), 1);
        b = json_object_array_get_idx(v, 0);
        assert_int_equal(json_object_object_length(b), 2);
        assert_string_equal(member_string(b, "HostIp"), "127.0.0.1");
        assert_string_equal(member_string(b, "HostPort"), "");
        assert_single_string_array(hc, "CapDrop", "ALL");
        assert_single_string_array(hc, "SecurityOpt", "no-new-privileges");
        assert_member_int(hc, "PidsLimit", 1024);
        assert_member_bool(hc, "ReadonlyRootfs", true);
        v = member(hc, "Tmpfs");
        assert_int_equal(json_object_object_length(v), 1);
        assert_string_equal(member_string(v, "/tmp"), "rw,nosuid,nodev,size=512m");
        assert_member_bool(hc, "Privileged", false);
        assert_member_bool(hc, "AutoRemove", false);
        assert_member_bool(hc, "Init", false);

        /* Non-ASCII goes out as UTF-8 or \u escapes, never as mangled bytes; slashes stay readable. */
        assert_non_null(strstr(body, "\"/tmp\""));
        json_object_put(o);
        free(body);
}

/* p's create body has HostConfig[key] = value, and the network label network (NULL: none). */
static void assert_body_says(const DockerCreateParams *p, const char *key, const char *value,
                             const char *network)
{
        json_object *o, *labels;
        char *body = NULL;

        assert_int_equal(docker_create_body(p, &body), 0);
        o = json_tokener_parse(body);
        assert_non_null(o);
        assert_string_equal(member_string(member(o, "HostConfig"), key), value);
        labels = member(o, "Labels");
        if (network)
                assert_string_equal(member_string(labels, LABEL_NETWORK), network);
        else
                assert_false(json_object_object_get_ex(labels, LABEL_NETWORK, NULL));
        json_object_put(o);
        free(body);
}

static void test_create_body_minimal(void **state)
{
        DockerCreateParams p = { .image = "img", .function = "fn", .lifetime = LT };
        json_object *o, *hc;
        char *body = NULL;

        assert_int_equal(docker_create_body(&p, &body), 0);
        o = json_tokener_parse(body);
        assert_non_null(o);
        assert_int_equal(json_object_array_length(member(o, "Env")), 0);
        hc = member(o, "HostConfig");
        assert_member_int(hc, "Memory", 0);
        assert_member_int(hc, "MemorySwap", 0);
        assert_member_int(hc, "NanoCpus", 0);
        assert_false(json_object_object_get_ex(hc, "PortBindings", NULL));
        assert_false(json_object_object_get_ex(hc, "NetworkMode", NULL));
        assert_false(json_object_object_get_ex(member(o, "Labels"), LABEL_NETWORK, NULL));
        json_object_put(o);
        free(body);

        /* On a network: NetworkMode, and the label the manager's cleanup selects by. */
        p.network = "proj_default";
        assert_body_says(&p, "NetworkMode", "proj_default", "proj_default");
        p.network = "x y";
        assert_int_equal(docker_create_body(&p, &body), -EINVAL);
        p.network = NULL;

        /* An OCI runtime of the engine's (gVisor, Kata): HostConfig.Runtime; none by default (above). */
        p.runtime = "runsc";
        assert_body_says(&p, "Runtime", "runsc", NULL);
        p.runtime = "run sc";
        assert_int_equal(docker_create_body(&p, &body), -EINVAL);
        p.runtime = NULL;

        /* An isolated function's own bridge: NetworkMode, but not the label that scopes the cleanup. */
        p.network_mode = "lambdad-isolated";
        assert_body_says(&p, "NetworkMode", "lambdad-isolated", NULL);
        p.network_mode = "x y";
        assert_int_equal(docker_create_body(&p, &body), -EINVAL);

        /* No network: the socket's directory bound read-write, nothing published. */
        p.network_mode = "none";
        p.publish_loopback = true;
        p.socket_dir = "/run/lambdad-manager/instances/0123";
        assert_int_equal(docker_create_body(&p, &body), 0);
        o = json_tokener_parse(body);
        hc = member(o, "HostConfig");
        assert_false(json_object_object_get_ex(hc, "PortBindings", NULL));
        assert_string_equal(
                json_object_to_json_string_ext(member(hc, "Mounts"),
                                               JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                "[{\"Type\":\"bind\",\"Source\":\"/run/lambdad-manager/instances/0123\","
                "\"Target\":\"/run/lambdad-rie\",\"ReadOnly\":false}]");
        json_object_put(o);
        free(body);
        p.socket_dir = "run/x";
        assert_int_equal(docker_create_body(&p, &body), -EINVAL);
}

static void test_isolated_network(void **state)
{
        static const char isolating[] =
                "{\"Name\":\"lambdad-isolated\",\"Id\":\"abc\",\"Driver\":\"bridge\",\"Internal\":false,"
                "\"Options\":{\"com.docker.network.bridge.enable_icc\":\"false\","
                "\"com.docker.network.bridge.name\":\"lambdad0\"}}";
        static const char open_bridge[] = "{\"Name\":\"x\",\"Driver\":\"bridge\",\"Options\":{}}";
        /* The engine's default bridge of a dockerd run with --icc=false. */
        static const char default_closed[] =
                "{\"Name\":\"bridge\",\"Driver\":\"bridge\",\"Options\":{\"com.docker.network.bridge."
                "default_bridge\":\"true\",\"com.docker.network.bridge.enable_icc\":\"false\"}}";
        static const char default_open[] =
                "{\"Name\":\"bridge\",\"Driver\":\"bridge\",\"Options\":{\"com.docker.network.bridge."
                "default_bridge\":\"true\",\"com.docker.network.bridge.enable_icc\":\"true\"}}";
        static const char overlay[] = "{\"Name\":\"x\",\"Driver\":\"overlay\",\"Options\":{\"com.docker."
                                      "network.bridge.enable_icc\":"
                                      "\"false\"}}";
        json_object *o, *v;
        char *body = NULL;

        assert_int_equal(docker_bridge_network_body("lambdad-isolated", false, NULL, &body), 0);
        o = json_tokener_parse(body);
        assert_non_null(o);
        assert_string_equal(member_string(o, "Name"), "lambdad-isolated");
        assert_string_equal(member_string(o, "Driver"), "bridge");
        assert_member_bool(o, "Internal", false);
        v = member(o, "Options");
        assert_string_equal(member_string(v, "com.docker.network.bridge.enable_icc"), "false");
        /* The engine names the host interface: a fixed name would collide with another engine's. */
        assert_false(json_object_object_get_ex(v, "com.docker.network.bridge.name", NULL));
        assert_string_equal(member_string(member(o, "Labels"), LABEL_MANAGED_BY), "lambda-manager");
        /* What it makes is what the check takes for an isolating network. */
        assert_int_equal(docker_parse_network_bridge(body, strlen(body)), DOCKER_BRIDGE_ISOLATING);
        json_object_put(o);
        free(body);
        assert_int_equal(docker_bridge_network_body("bad name", false, NULL, &body), -EINVAL);

        /* Shared functions' bridge, where the default one isolates: ICC on, said so. */
        assert_int_equal(docker_bridge_network_body("lambdad-shared", true, NULL, &body), 0);
        o = json_tokener_parse(body);
        assert_non_null(o);
        assert_string_equal(member_string(member(o, "Options"), "com.docker.network.bridge.enable_icc"),
                            "true");
        assert_member_bool(o, "Internal", false);
        assert_int_equal(docker_parse_network_bridge(body, strlen(body)), DOCKER_BRIDGE_OPEN);
        assert_false(json_object_object_get_ex(member(o, "Labels"), LABEL_NETWORK, NULL));
        json_object_put(o);
        free(body);

        /* An isolated function's own network on --network: labelled with the deployment's network. */
        assert_int_equal(docker_bridge_network_body("proj_default-fn-hello", true, "proj_default", &body),
                         0);
        o = json_tokener_parse(body);
        assert_non_null(o);
        assert_string_equal(member_string(member(o, "Labels"), LABEL_NETWORK), "proj_default");
        assert_string_equal(member_string(member(o, "Labels"), LABEL_MANAGED_BY), "lambda-manager");
        assert_int_equal(docker_parse_network_bridge(body, strlen(body)), DOCKER_BRIDGE_OPEN);
        json_object_put(o);
        free(body);

        /* Joining and leaving a network. */
        assert_int_equal(docker_network_connect_body("proj-gateway-1", false, &body), 0);
        assert_string_equal(body, "{\"Container\":\"proj-gateway-1\"}");
        free(body);
        assert_int_equal(docker_network_connect_body("proj-gateway-1", true, &body), 0);
        assert_string_equal(body, "{\"Container\":\"proj-gateway-1\",\"Force\":true}");
        free(body);
        body = NULL;
        assert_int_equal(docker_network_connect_body("a b", false, &body), -EINVAL);
        assert_int_equal(docker_network_connect_body(NULL, true, &body), -EINVAL);
        assert_null(body);

        assert_int_equal(docker_parse_network_bridge(isolating, strlen(isolating)), DOCKER_BRIDGE_ISOLATING);
        assert_int_equal(docker_parse_network_bridge(open_bridge, strlen(open_bridge)), DOCKER_BRIDGE_OPEN);
        assert_int_equal(docker_parse_network_bridge(overlay, strlen(overlay)), DOCKER_NETWORK_OTHER);
        assert_int_equal(docker_parse_network_bridge(default_closed, strlen(default_closed)),
                         DOCKER_BRIDGE_ISOLATING);
        assert_int_equal(docker_parse_network_bridge(default_open, strlen(default_open)),
                         DOCKER_BRIDGE_OPEN);
        assert_int_equal(docker_parse_network_bridge("{\"Name\":\"x\"}", 12), -EBADMSG);
        assert_int_equal(docker_parse_network_bridge("{\"Driver\":1}", 12), -EBADMSG);
        assert_int_equal(docker_parse_network_bridge("[]", 2), -EBADMSG);
}

static void test_parse_info_runtimes(void **state)
{
        static const char info[] =
                "{\"ID\":\"X\",\"Containers\":3,\"Runtimes\":{\"io.containerd.runc.v2\":{\"path\":\"runc\"},"
                "\"runc\":{\"path\":\"runc\"},\"runsc\":{\"path\":\"/usr/bin/runsc\",\"runtimeArgs\":[]},"
                "\"bad name!\":{}},\"DefaultRuntime\":\"runc\"}";
        char **runtimes = NULL;

        assert_int_equal(docker_parse_info_runtimes(info, strlen(info), &runtimes), 1);
        assert_int_equal(strv_length(runtimes), 3);
        assert_true(strv_contains(runtimes, "runsc"));
        assert_true(strv_contains(runtimes, "io.containerd.runc.v2"));
        assert_false(strv_contains(runtimes, "bad name!"));
        runtimes = strv_free(runtimes);
        /* Empty: the engine says it has none. */
        assert_int_equal(docker_parse_info_runtimes("{\"Runtimes\":{}}", 15, &runtimes), 1);
        assert_int_equal(strv_length(runtimes), 0);
        runtimes = strv_free(runtimes);
        /* Absent (an engine that does not say): NULL. */
        assert_int_equal(docker_parse_info_runtimes("{\"ID\":\"X\"}", 10, &runtimes), 0);
        assert_null(runtimes);
        assert_int_equal(docker_parse_info_runtimes("{\"Runtimes\":[]}", 15, &runtimes), -EBADMSG);
        assert_int_equal(docker_parse_info_runtimes("[]", 2, &runtimes), -EBADMSG);
}

static void test_create_body_invalid(void **state)
{
        char *bad_env1[] = { "NOEQUALS", NULL }, *bad_env2[] = { "1A=b", NULL },
             *bad_env3[] = { "=b", NULL }, *bad_env4[] = { "A=\xff", NULL };
        DockerCreateParams ok = { .image = "img", .function = "fn", .lifetime = LT }, p;
        char *body = (char *) 0x1;

        p = ok;
        p.image = NULL;
        assert_int_equal(docker_create_body(&p, &body), -EINVAL);
        p = ok;
        p.image = "";
        assert_int_equal(docker_create_body(&p, &body), -EINVAL);
        p = ok;
        p.function = "";
        assert_int_equal(docker_create_body(&p, &body), -EINVAL);
        p = ok;
        p.lifetime = NULL;
        assert_int_equal(docker_create_body(&p, &body), -EINVAL);
        p = ok;
        p.function = "bad\xc3";
        assert_int_equal(docker_create_body(&p, &body), -EINVAL);
        p = ok;
        p.function = "overlong\xc0\xaf";
        assert_int_equal(docker_create_body(&p, &body), -EINVAL);
        p = ok;
        p.function = "surrogate\xed\xa0\x80";
        assert_int_equal(docker_create_body(&p, &body), -EINVAL);

        char **envs[] = { bad_env1, bad_env2, bad_env3, bad_env4 };
        for (size_t i = 0; i < ELEMENTSOF(envs); i++) {
                p = ok;
                p.env = envs[i];
                assert_int_equal(docker_create_body(&p, &body), -EINVAL);
        }

        p = ok;
        p.memory_bytes = UINT64_MAX;
        assert_int_equal(docker_create_body(&p, &body), -ERANGE);
        p = ok;
        p.nano_cpus = (uint64_t) INT64_MAX + 1;
        assert_int_equal(docker_create_body(&p, &body), -ERANGE);

        assert_ptr_equal(body, (char *) 0x1);
}

static void test_name_is_valid(void **state)
{
        char longest[129], too_long[130];

        memset(longest, 'a', 128);
        longest[128] = 0;
        memset(too_long, 'a', 129);
        too_long[129] = 0;

        assert_true(docker_name_is_valid("lambdad-hello-1"));
        assert_true(docker_name_is_valid("A.b_c-9"));
        assert_true(docker_name_is_valid("ab"));
        assert_true(docker_name_is_valid(longest));
        /* The engine refuses one-character names ("Invalid container name (a)"). */
        assert_false(docker_name_is_valid("a"));
        assert_false(docker_name_is_valid(too_long));
        assert_false(docker_name_is_valid(""));
        assert_false(docker_name_is_valid(NULL));
        assert_false(docker_name_is_valid("_ab"));
        assert_false(docker_name_is_valid("-ab"));
        assert_false(docker_name_is_valid(".ab"));
        assert_false(docker_name_is_valid("a/b"));
        assert_false(docker_name_is_valid("a b"));
        assert_false(docker_name_is_valid("a?b"));
        assert_false(docker_name_is_valid("h\xc3\xa9llo"));
}

static void test_id_is_valid(void **state)
{
        assert_true(docker_id_is_valid(ID));
        assert_true(docker_id_is_valid("3604bc6113d5"));
        assert_false(docker_id_is_valid("3604bc6113d"));
        assert_false(docker_id_is_valid(ID "0"));
        assert_false(docker_id_is_valid("3604BC6113D5"));
        assert_false(docker_id_is_valid("3604bc6113dg"));
        assert_false(docker_id_is_valid("sha256:3604bc6113d5"));
        assert_false(docker_id_is_valid("../../etc/passwd"));
        assert_false(docker_id_is_valid(""));
        assert_false(docker_id_is_valid(NULL));
}

static char *percent_decode(const char *s)
{
        char *d = malloc(strlen(s) + 1), *o = d;

        assert_non_null(d);
        for (; *s; s++) {
                if (*s == '%') {
                        assert_non_null(strchr("0123456789ABCDEF", s[1]));
                        assert_non_null(strchr("0123456789ABCDEF", s[2]));
                        *o++ = (char) strtoul((char[]){ s[1], s[2], 0 }, NULL, 16);
                        s += 2;
                } else {
                        assert_non_null(strchr(
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", *s));
                        *o++ = *s;
                }
        }
        *o = 0;
        return d;
}

static void check_filter(const char *key, const char *value, const char *term)
{
        json_object *o, *labels;
        char *f = NULL, *d;

        assert_int_equal(docker_label_filter(key, value, &f), 0);
        d = percent_decode(f);
        o = json_tokener_parse(d);
        assert_non_null(o);
        assert_int_equal(json_object_object_length(o), 1);
        labels = member(o, "label");
        assert_int_equal(json_object_array_length(labels), 1);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(labels, 0)), term);
        json_object_put(o);
        free(d);
        free(f);
}

static void test_label_filter(void **state)
{
        char *f = (char *) 0x1;

        assert_int_equal(docker_label_filter(LABEL_MANAGED_BY, "lambda-manager", &f), 0);
        assert_string_equal(f, "%7B%22label%22%3A%5B%22org.lambdad.managed-by%3Dlambda-manager%22%5D%7D");
        free(f);

        assert_int_equal(docker_label_filter(LABEL_FUNCTION, NULL, &f), 0);
        assert_string_equal(f, "%7B%22label%22%3A%5B%22org.lambdad.function%22%5D%7D");
        free(f);

        check_filter(LABEL_FUNCTION, "a \"b\" & c=d #e +f %20 \\ /",
                     "org.lambdad.function=a \"b\" & c=d #e +f %20 \\ /");
        check_filter(LABEL_FUNCTION, "h\xc3\xa9llo \xf0\x9f\x90\xb3",
                     "org.lambdad.function=h\xc3\xa9llo \xf0\x9f\x90\xb3");
        check_filter(LABEL_FUNCTION, "", "org.lambdad.function=");
        check_filter(LABEL_LIFETIME, NULL, LABEL_LIFETIME);

        f = (char *) 0x1;
        assert_int_equal(docker_label_filter("", "x", &f), -EINVAL);
        assert_int_equal(docker_label_filter(NULL, "x", &f), -EINVAL);
        assert_int_equal(docker_label_filter("a=b", "x", &f), -EINVAL);
        assert_int_equal(docker_label_filter("a", "\xff", &f), -EINVAL);
        assert_ptr_equal(f, (char *) 0x1);

        /* The containers on a network. */
        assert_int_equal(docker_filter("network", "proj_default-fn-hello", &f), 0);
        assert_string_equal(f, "%7B%22network%22%3A%5B%22proj_default-fn-hello%22%5D%7D");
        free(f);
        f = (char *) 0x1;
        assert_int_equal(docker_filter("network", "a&b", &f), -EINVAL);
        assert_ptr_equal(f, (char *) 0x1);
}

/* Common malformed inputs every parser must refuse the same way. */
static void check_malformed(int (*parse)(const char *, size_t))
{
        static const char nested[] = "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]";
        char *huge;

        assert_int_equal(parse("", 0), -EBADMSG);
        assert_int_equal(parse(NULL, 0), -EBADMSG);
        assert_int_equal(parse("   ", 3), -EBADMSG);
        assert_int_equal(parse("{", 1), -EBADMSG);
        assert_int_equal(parse("{\"Id\":", 6), -EBADMSG);
        assert_int_equal(parse("{} {}", 5), -EBADMSG);
        assert_int_equal(parse("{}x", 3), -EBADMSG);
        assert_int_equal(parse("{}\0", 3), -EBADMSG);
        assert_int_equal(parse("{\"a\":\"b\0c\"}", 11), -EBADMSG);
        assert_int_equal(parse("{a:1}", 5), -EBADMSG);
        assert_int_equal(parse("{\"a\":1,}", 8), -EBADMSG);
        assert_int_equal(parse("{\"a\":\"\xff\"}", 9), -EBADMSG);
        assert_int_equal(parse("42", 2), -EBADMSG);
        assert_int_equal(parse("\"str\"", 5), -EBADMSG);
        assert_int_equal(parse("null", 4), -EBADMSG);
        assert_int_equal(parse(nested, strlen(nested)), -EBADMSG);

        /* The size check comes first: an oversized document is refused without being looked at. */
        huge = malloc(DOCKER_JSON_MAX + 1);
        assert_non_null(huge);
        memset(huge, ' ', DOCKER_JSON_MAX + 1);
        huge[0] = '{';
        huge[DOCKER_JSON_MAX] = '}';
        assert_int_equal(parse(huge, DOCKER_JSON_MAX + 1), -EMSGSIZE);
        free(huge);
}

/* Every strict prefix of a valid document is refused. */
static void check_truncations(int (*parse)(const char *, size_t), const char *doc)
{
        size_t n = strlen(doc);

        /* Trailing whitespace is not part of the document. */
        while (n > 0 && strchr(" \n", doc[n - 1]))
                n--;
        assert_int_equal(parse(doc, n), 0);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(parse(doc, i), -EBADMSG);
}

static int parse_create(const char *json, size_t len)
{
        char *id = NULL;
        int r;

        r = docker_parse_create(json, len, &id);
        free(id);
        return r;
}

static void test_parse_create(void **state)
{
        char *id = (char *) 0x1;

        assert_int_equal(docker_parse_create(create_answer, strlen(create_answer), &id), 0);
        assert_string_equal(id, ID);
        free(id);

        /* Podman answers without a trailing newline and sometimes with Warnings null. */
        assert_int_equal(parse_create("{\"Id\":\"" ID "\",\"Warnings\":null}",
                                      strlen("{\"Id\":\"" ID "\",\"Warnings\":null}")),
                         0);
        assert_int_equal(parse_create("{\"Id\":\"" ID "\"}\r\n", strlen("{\"Id\":\"" ID "\"}\r\n")), 0);

#define BAD_CREATE(s) assert_int_equal(parse_create(s, strlen(s)), -EBADMSG)
        BAD_CREATE("{}");
        BAD_CREATE("{\"Id\":null}");
        BAD_CREATE("{\"Id\":42}");
        BAD_CREATE("{\"Id\":[\"" ID "\"]}");
        BAD_CREATE("{\"Id\":\"\"}");
        BAD_CREATE("{\"Id\":\"3604BC6113D5F543\"}");
        BAD_CREATE("{\"Id\":\"abc\"}");
        BAD_CREATE("{\"Id\":\"" ID "00\"}");
        BAD_CREATE("{\"Id\":\"../../images/x\"}");
        BAD_CREATE("{\"Id\":\"3604bc6113d5\\u0000\"}");
        BAD_CREATE("[{\"Id\":\"" ID "\"}]");
        BAD_CREATE("{\"message\":\"conflict\"}");
#undef BAD_CREATE

        check_malformed(parse_create);
        check_truncations(parse_create, create_answer);

        id = (char *) 0x1;
        assert_int_equal(docker_parse_create("{}", 2, &id), -EBADMSG);
        assert_ptr_equal(id, (char *) 0x1);
}

static void check_error_len(const char *body, size_t len, const char *expected)
{
        char *m = NULL;

        assert_int_equal(docker_parse_error(body, len, &m), 0);
        assert_string_equal(m, expected);
        free(m);
}

static void check_error(const char *body, const char *expected)
{
        check_error_len(body, body ? strlen(body) : 0, expected);
}

static void test_parse_error(void **state)
{
        char big[2048], *m = NULL;

        check_error("{\"message\":\"Minimum memory limit allowed is 6MB\"}\n",
                    "Minimum memory limit allowed is 6MB");
        check_error("{\"message\":\"No such container: abc\"}", "No such container: abc");
        check_error("{\"message\":\"line1\\nline2\\u0000\\u001b[31m\"}", "line1 line2  [31m");
        check_error("404 page not found\n", "404 page not found");
        check_error("bad\x01gateway\r\n", "bad gateway");
        check_error("bad \xff\xfe utf8 \xc3", "bad ?? utf8 ?");
        check_error_len("nul\0inside", 10, "nul inside");
        check_error("", "");
        check_error(NULL, "");
        /* Not an error object: the raw text is what the caller gets. */
        check_error("{\"message\":42}", "{\"message\":42}");
        check_error("{\"message\":\"\"}", "{\"message\":\"\"}");
        check_error("[\"message\"]", "[\"message\"]");
        check_error("{\"message\":\"x\"", "{\"message\":\"x\"");
        /* C1 controls (U+0080..U+009F) are control characters too. */
        check_error("a\xc2\x85z", "a z");

        /* Long messages are cut on a character boundary. */
        memset(big, 0, sizeof(big));
        for (size_t i = 0; i + 2 < sizeof(big); i += 2) {
                big[i] = '\xc3';
                big[i + 1] = '\xa9';
        }
        assert_int_equal(docker_parse_error(big, strlen(big), &m), 0);
        assert_int_equal(strlen(m), DOCKER_ERROR_MESSAGE_MAX);
        free(m);
        big[1] = 'x'; /* an odd start: the cut must not split a two-byte character */
        assert_int_equal(docker_parse_error(big + 1, strlen(big + 1), &m), 0);
        assert_int_equal(strlen(m), DOCKER_ERROR_MESSAGE_MAX - 1);
        free(m);

        memset(big, 'x', sizeof(big) - 1);
        memcpy(big, "{\"message\":\"", 12);
        memcpy(big + sizeof(big) - 3, "\"}", 3);
        assert_int_equal(docker_parse_error(big, strlen(big), &m), 0);
        assert_int_equal(strlen(m), DOCKER_ERROR_MESSAGE_MAX);
        assert_int_equal(m[0], 'x');
        free(m);
}

static int parse_list(const char *json, size_t len)
{
        DockerContainer *a = NULL;
        size_t n = 0;
        int r;

        r = docker_parse_container_list(json, len, &a, &n);
        docker_container_array_free(a, n);
        return r;
}

static void test_parse_container_list(void **state)
{
        static const char odd[] =
                "[42,null,\"x\",[],{},{\"Id\":null},{\"Id\":\"ABCDEF123456\"},{\"Id\":7},"
                "{\"Id\":\"aaaaaaaaaaaa\",\"Labels\":[\"org.lambdad.managed-by=lambda-manager\"],\"State\":"
                "7},"
                "{\"Id\":\"bbbbbbbbbbbb\",\"Labels\":{\"org.lambdad.managed-by\":\"someone-else\","
                "\"org.lambdad.function\":{\"x\":1}},\"State\":\"exited\"},"
                "{\"Id\":\"cccccccccccc\",\"Labels\":null,\"State\":null},"
                "{\"Id\":\"dddddddddddd\",\"Labels\":{\"org.lambdad.managed-by\":\"lambda-manager\","
                "\"org.lambdad.function\":\"f\",\"org.lambdad.lifetime\":\"l\"},\"State\":\"dead\"}]";
        DockerContainer *a = (DockerContainer *) 0x1;
        size_t n = 42;

        assert_int_equal(docker_parse_container_list(list_mixed, strlen(list_mixed), &a, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(a[0].id, "faa4b14c3b8c097a25aafb20c95efc3fd2fb78a55cf70e2dc6917ed2518f9750");
        assert_string_equal(a[0].function, "dj-test");
        assert_null(a[0].lifetime);
        assert_false(a[0].managed);
        assert_string_equal(a[0].state, "created");
        assert_string_equal(a[1].id, ID);
        assert_string_equal(a[1].function, "dj-test");
        assert_string_equal(a[1].lifetime, LT);
        assert_true(a[1].managed);
        assert_string_equal(a[1].state, "running");
        docker_container_array_free(a, n);

        assert_int_equal(docker_parse_container_list("[]\n", 3, &a, &n), 0);
        assert_int_equal(n, 0);
        assert_null(a);

        assert_int_equal(docker_parse_container_list(odd, strlen(odd), &a, &n), 0);
        assert_int_equal(n, 4);
        assert_string_equal(a[0].id, "aaaaaaaaaaaa");
        assert_false(a[0].managed);
        assert_null(a[0].function);
        assert_null(a[0].state);
        assert_string_equal(a[1].id, "bbbbbbbbbbbb");
        /* One unreadable label makes the whole set unreadable: never half-trust an entry. */
        assert_false(a[1].managed);
        assert_null(a[1].function);
        assert_string_equal(a[1].state, "exited");
        assert_string_equal(a[2].id, "cccccccccccc");
        assert_null(a[2].state);
        assert_string_equal(a[3].id, "dddddddddddd");
        assert_true(a[3].managed);
        assert_string_equal(a[3].function, "f");
        assert_string_equal(a[3].lifetime, "l");
        docker_container_array_free(a, n);

        a = (DockerContainer *) 0x1;
        n = 42;
        assert_int_equal(docker_parse_container_list("{}", 2, &a, &n), -EBADMSG);
        assert_int_equal(docker_parse_container_list("{\"message\":\"x\"}", 15, &a, &n), -EBADMSG);
        assert_ptr_equal(a, (DockerContainer *) 0x1);
        assert_int_equal(n, 42);

        /* Nesting up to the tokener's depth is fine (and skipped); one level more is refused. */
        {
                char deep[66];

                memset(deep, '[', 32);
                memset(deep + 32, ']', 32);
                assert_int_equal(parse_list(deep, 64), 0);
                memset(deep, '[', 33);
                memset(deep + 33, ']', 33);
                assert_int_equal(parse_list(deep, 66), -EBADMSG);
        }

        check_malformed(parse_list);
        check_truncations(parse_list, list_mixed);

        docker_container_array_free(NULL, 3);
        docker_container_done(NULL);
}

static int parse_inspect(const char *json, size_t len)
{
        DockerInspect i = {};
        int r;

        r = docker_parse_inspect(json, len, &i);
        docker_inspect_done(&i);
        return r;
}

static void test_parse_volume_at(void **state)
{
        static const char doc[] =
                "{\"Id\":\"" ID "\",\"Mounts\":["
                "{\"Type\":\"bind\",\"Source\":\"/run/docker.sock\",\"Destination\":\"/run/docker.sock\"},"
                "{\"Type\":\"volume\",\"Name\":\"proj_bus\",\"Destination\":\"/run/lambdad-bus\"},"
                "{\"Type\":\"volume\",\"Name\":\"proj_rie\",\"Destination\":\"/var/lambdad\"}]}";
        char *name = NULL;

        assert_int_equal(docker_parse_volume_at(doc, strlen(doc), "/var/lambdad", &name), 1);
        assert_string_equal(name, "proj_rie");
        free(name);
        /* A bind mount there is no volume; nothing there at all is no error either. */
        assert_int_equal(docker_parse_volume_at(doc, strlen(doc), "/run/docker.sock", &name), 0);
        assert_null(name);
        assert_int_equal(docker_parse_volume_at(doc, strlen(doc), "/nowhere", &name), 0);
        assert_int_equal(docker_parse_volume_at("{}", 2, "/var/lambdad", &name), 0);

#define BAD(s) assert_int_equal(docker_parse_volume_at(s, strlen(s), "/v", &name), -EBADMSG)
        BAD("[]");
        BAD("{\"Mounts\":{}}");
        BAD("{\"Mounts\":[1]}");
        BAD("{\"Mounts\":[{\"Type\":\"volume\",\"Destination\":\"/v\",\"Name\":\"a b\"}]}");
        BAD("{\"Mounts\":[{\"Type\":\"volume\",\"Destination\":\"/v\"}]}");
#undef BAD
}

static void test_parse_inspect(void **state)
{
        DockerInspect i = {};

        assert_int_equal(docker_parse_inspect(inspect_running, strlen(inspect_running), &i), 0);
        assert_string_equal(i.id, ID);
        assert_true(i.running);
        assert_string_equal(i.status, "running");
        assert_int_equal(i.exit_code, 0);
        assert_string_equal(i.ip_address, "172.17.0.2");
        assert_int_equal(i.host_port, 32801);
        assert_string_equal(i.host_ip, "127.0.0.1");
        assert_string_equal(i.function, "dj-test");
        assert_string_equal(i.lifetime, LT);
        assert_string_equal(i.spec, "0123abcd");
        assert_string_equal(i.image_id, "sha256:" IMAGE_ID);
        assert_true(i.managed);
        assert_null(i.network);
        docker_inspect_done(&i);
        assert_null(i.id);
        docker_inspect_done(&i);
        docker_inspect_done(NULL);

        assert_int_equal(docker_parse_inspect(inspect_exited, strlen(inspect_exited), &i), 0);
        assert_false(i.running);
        assert_string_equal(i.status, "exited");
        assert_int_equal(i.exit_code, 137);
        assert_null(i.ip_address);
        assert_int_equal(i.host_port, 0);
        assert_null(i.host_ip);
        docker_inspect_done(&i);

        assert_int_equal(docker_parse_inspect(inspect_unpublished, strlen(inspect_unpublished), &i), 0);
        assert_string_equal(i.id, ID2);
        assert_string_equal(i.ip_address, "172.17.0.2");
        assert_int_equal(i.host_port, 0);
        assert_null(i.host_ip);
        assert_string_equal(i.function, "dj-test");
        assert_null(i.lifetime);
        docker_inspect_done(&i);

#define INSPECT(s) docker_parse_inspect(s, strlen(s), &i)
        /* An instance without a network: the directory of its socket, from its mounts. */
        assert_int_equal(
                INSPECT("{\"Id\":\"" ID "\",\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/x/lambda-rie\","
                        "\"Destination\":\"/var/lambdad/lambda-rie\"},{\"Type\":\"bind\",\"Source\":"
                        "\"/run/lm/instances/ab\",\"Destination\":\"/run/lambdad-rie\"}]}"),
                0);
        assert_string_equal(i.socket_dir, "/run/lm/instances/ab");
        docker_inspect_done(&i);
        assert_int_equal(INSPECT("{\"Id\":\"" ID "\",\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"v\","
                                 "\"Destination\":\"/run/lambdad-rie\"}]}"),
                         0);
        assert_null(i.socket_dir);
        docker_inspect_done(&i);
        assert_int_equal(INSPECT("{\"Id\":\"" ID "\",\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"rel\","
                                 "\"Destination\":\"/run/lambdad-rie\"}]}"),
                         -EBADMSG);
        assert_int_equal(INSPECT("{\"Id\":\"" ID "\",\"Mounts\":[{\"Type\":\"bind\",\"Source\":7,"
                                 "\"Destination\":\"/run/lambdad-rie\"}]}"),
                         -EBADMSG);
        assert_int_equal(INSPECT("{\"Id\":\"" ID "\",\"Mounts\":{}}"), -EBADMSG);
        /* The bare minimum, and a user-defined network where only Networks.* has the address. */
        assert_int_equal(INSPECT("{\"Id\":\"" ID "\"}"), 0);
        assert_false(i.running);
        assert_null(i.status);
        assert_null(i.function);
        docker_inspect_done(&i);
        assert_int_equal(INSPECT("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"IPAddress\":\"\",\"Networks\":{"
                                 "\"a\":{\"IPAddress\":\"\"},\"lambdad\":{\"IPAddress\":\"fd00::2\"}}}}"),
                         0);
        assert_string_equal(i.ip_address, "fd00::2");
        /* Network names the engine would not take back ("a" is too short) are left out. */
        assert_non_null(i.networks);
        assert_string_equal(i.networks[0], "lambdad");
        assert_null(i.networks[1]);
        docker_inspect_done(&i);
        assert_int_equal(INSPECT("{\"Id\":\"" ID "\",\"State\":null,\"Config\":null,\"NetworkSettings\":{"
                                 "\"Ports\":{\"8080/tcp\":[]}}}"),
                         0);
        assert_int_equal(i.host_port, 0);
        docker_inspect_done(&i);
        assert_int_equal(INSPECT("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"Ports\":{\"8080/tcp\":["
                                 "{\"HostIp\":\"::1\",\"HostPort\":\"65535\"},{\"HostIp\":\"x\"}]}}}"),
                         0);
        assert_int_equal(i.host_port, 65535);
        assert_string_equal(i.host_ip, "::1");
        docker_inspect_done(&i);
        /* A negative exit code is what the engine reports for a container that never ran. */
        assert_int_equal(INSPECT("{\"Id\":\"" ID "\",\"State\":{\"ExitCode\":-1}}"), 0);
        assert_int_equal(i.exit_code, -1);
        docker_inspect_done(&i);
#undef INSPECT

#define BAD(s) assert_int_equal(parse_inspect(s, strlen(s)), -EBADMSG)
        BAD("[]");
        BAD("{}");
        BAD("{\"Id\":\"nope\"}");
        BAD("{\"Id\":\"" ID "\",\"State\":\"running\"}");
        BAD("{\"Id\":\"" ID "\",\"State\":{\"Running\":\"true\"}}");
        BAD("{\"Id\":\"" ID "\",\"State\":{\"Running\":1}}");
        BAD("{\"Id\":\"" ID "\",\"State\":{\"Status\":5}}");
        BAD("{\"Id\":\"" ID "\",\"State\":{\"ExitCode\":\"0\"}}");
        BAD("{\"Id\":\"" ID "\",\"State\":{\"ExitCode\":1.5}}");
        BAD("{\"Id\":\"" ID "\",\"State\":{\"ExitCode\":4294967296}}");
        BAD("{\"Id\":\"" ID "\",\"State\":{\"ExitCode\":99999999999999999999999}}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":[]}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"IPAddress\":\"evil.example.com\"}}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"IPAddress\":\"172.17.0.2 \"}}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"IPAddress\":7}}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"Networks\":{\"a\":{\"IPAddress\":\"localhost\"}}}}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"Networks\":{\"a\":7}}}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"Ports\":[]}}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"Ports\":{\"8080/tcp\":{}}}}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"Ports\":{\"8080/tcp\":[7]}}}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"Ports\":{\"8080/tcp\":[{\"HostPort\":32801}]}}}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"Ports\":{\"8080/tcp\":[{\"HostPort\":\"0\"}]}}}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"Ports\":{\"8080/tcp\":[{\"HostPort\":\"65536\"}]}}}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"Ports\":{\"8080/tcp\":[{\"HostPort\":\"-1\"}]}}}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"Ports\":{\"8080/tcp\":[{\"HostPort\":\"80a\"}]}}}");
        BAD("{\"Id\":\"" ID
            "\",\"NetworkSettings\":{\"Ports\":{\"8080/tcp\":[{\"HostPort\":\"123456\"}]}}}");
        BAD("{\"Id\":\"" ID "\",\"NetworkSettings\":{\"Ports\":{\"8080/tcp\":[{\"HostPort\":\"80\","
            "\"HostIp\":\"host.docker.internal\"}]}}}");
        BAD("{\"Id\":\"" ID "\",\"Config\":[]}");
        BAD("{\"Id\":\"" ID "\",\"Config\":{\"Labels\":[]}}");
        BAD("{\"Id\":\"" ID "\",\"Config\":{\"Labels\":{\"org.lambdad.function\":true}}}");
        BAD("{\"Id\":\"" ID "\",\"Config\":{\"Labels\":{\"org.lambdad.lifetime\":\"a\\u0000b\"}}}");
#undef BAD

        /* A label value past the per-field cap is refused, not copied. */
        {
                static const char head[] =
                        "{\"Id\":\"" ID "\",\"Config\":{\"Labels\":{\"org.lambdad.function\":\"";
                enum { n = 8192 };
                static char doc[sizeof(head) + n + 8];

                memcpy(doc, head, STRLEN(head));
                memset(doc + STRLEN(head), 'x', n);
                strcpy(doc + STRLEN(head) + n, "\"}}}");
                assert_int_equal(parse_inspect(doc, strlen(doc)), -EBADMSG);
                /* ... while one under it is fine. */
                memmove(doc + STRLEN(head) + 4000, doc + STRLEN(head) + n, 5);
                assert_int_equal(parse_inspect(doc, strlen(doc)), 0);
        }

        i.id = (char *) 0x1;
        assert_int_equal(docker_parse_inspect("{\"Id\":\"x\"}", 10, &i), -EBADMSG);
        assert_ptr_equal(i.id, (char *) 0x1);
        i = (DockerInspect){};

        check_malformed(parse_inspect);
        check_truncations(parse_inspect, inspect_running);
}

static int parse_image(const char *json, size_t len)
{
        DockerImage i = {};
        int r;

        r = docker_parse_image(json, len, &i);
        docker_image_done(&i);
        return r < 0 ? r : 0;
}

/* An image in the layout of AWS's base images, as Docker 20.10 describes it. */
static const char image_awsbase[] =
        "{\"Id\":\"sha256:5a3f9c0d2b1e8f7a6c4d3b2a1908f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5\",\"Config\":{"
        "\"User\":\"\",\"Env\":[\"LAMBDA_TASK_ROOT=/var/task\",\"LAMBDA_RUNTIME_DIR=/var/runtime\"],"
        "\"Cmd\":[\"app.handler\"],\"WorkingDir\":\"/var/task\",\"Entrypoint\":[\"/lambda-entrypoint.sh\"],"
        "\"OnBuild\":null,\"Labels\":null},\"Architecture\":\"arm64\",\"Variant\":\"v8\",\"Os\":\"linux\"}"
        "\n";

static void test_parse_image(void **state)
{
        DockerImage i = {};

#define IMAGE(s) docker_parse_image(s, strlen(s), &i)
        assert_int_equal(IMAGE(image_labelled), 0);
        assert_string_equal(i.function, "dj-test");
        assert_null(i.entrypoint);
        assert_int_equal(strv_length(i.cmd), 3);
        assert_string_equal(i.cmd[0], "/bin/busybox");
        assert_string_equal(i.cmd[2], "30");
        assert_null(i.working_dir);
        assert_string_equal(i.architecture, "amd64");
        assert_string_equal(i.os, "linux");
        docker_image_done(&i);

        assert_int_equal(IMAGE(image_awsbase), 0);
        assert_int_equal(strv_length(i.entrypoint), 1);
        assert_string_equal(i.entrypoint[0], "/lambda-entrypoint.sh");
        assert_int_equal(strv_length(i.cmd), 1);
        assert_string_equal(i.cmd[0], "app.handler");
        assert_string_equal(i.working_dir, "/var/task");
        assert_string_equal(i.architecture, "arm64");
        assert_null(i.function);
        assert_string_equal(i.id, "sha256:5a3f9c0d2b1e8f7a6c4d3b2a1908f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5");
        docker_image_done(&i);

        /* Absent, null and empty all read as "none". */
        assert_int_equal(IMAGE("{\"Config\":{\"Entrypoint\":null,\"Cmd\":[],\"WorkingDir\":\"\"}}"), 0);
        assert_null(i.entrypoint);
        assert_null(i.cmd);
        assert_null(i.working_dir);
        assert_null(i.architecture);
        docker_image_done(&i);
        assert_int_equal(IMAGE("{\"Id\":\"sha256:f4\",\"Config\":null}"), 0);
        assert_string_equal(i.id, "sha256:f4");
        docker_image_done(&i);
        assert_int_equal(IMAGE("{}"), 0);
        assert_int_equal(IMAGE("{\"Config\":{\"Labels\":{\"org.lambdad.function\":\"\"}}}"), 0);
        assert_string_equal(i.function, "");
        docker_image_done(&i);
        /* json-c turns a lone surrogate into U+FFFD, so what we hand on is still UTF-8. */
        assert_int_equal(IMAGE("{\"Config\":{\"Labels\":{\"org.lambdad.function\":\"\\udc00\"}}}"), 0);
        assert_string_equal(i.function, "\xef\xbf\xbd");
        docker_image_done(&i);

        assert_int_equal(IMAGE("[]"), -EBADMSG);
        assert_int_equal(IMAGE("{\"Config\":\"x\"}"), -EBADMSG);
        assert_int_equal(IMAGE("{\"Config\":{\"Labels\":\"org.lambdad.function=x\"}}"), -EBADMSG);
        assert_int_equal(IMAGE("{\"Config\":{\"Labels\":{\"org.lambdad.function\":[\"x\"]}}}"), -EBADMSG);
        assert_int_equal(IMAGE("{\"Config\":{\"Entrypoint\":\"/bin/sh -c x\"}}"), -EBADMSG);
        assert_int_equal(IMAGE("{\"Config\":{\"Cmd\":[\"a\",1]}}"), -EBADMSG);
        assert_int_equal(IMAGE("{\"Config\":{\"Cmd\":[\"a\\u0000b\"]}}"), -EBADMSG);
        assert_int_equal(IMAGE("{\"Architecture\":7}"), -EBADMSG);
        assert_null(i.function);
#undef IMAGE

        check_malformed(parse_image);
        check_truncations(parse_image, image_labelled);
        check_truncations(parse_image, image_awsbase);
}

static void test_parse_version(void **state)
{
        char *os = NULL, *arch = NULL;
        static const char version[] =
                "{\"Platform\":{\"Name\":\"\"},\"Version\":\"20.10.24+dfsg1\",\"ApiVersion\":\"1.41\","
                "\"MinAPIVersion\":\"1.12\",\"Os\":\"linux\",\"Arch\":\"amd64\",\"KernelVersion\":\"6.1.0\"}"
                "\n";

        assert_int_equal(docker_parse_version(version, strlen(version), &os, &arch), 0);
        assert_string_equal(os, "linux");
        assert_string_equal(arch, "amd64");
        free(os);
        free(arch);
        os = arch = NULL;
        assert_int_equal(docker_parse_version("{\"Os\":\"linux\"}", 15, &os, &arch), -EBADMSG);
        assert_int_equal(docker_parse_version("{\"Os\":\"linux\",\"Arch\":\"\"}", 25, &os, &arch), -EBADMSG);
        assert_int_equal(docker_parse_version("{\"Os\":1,\"Arch\":\"x\"}", 19, &os, &arch), -EBADMSG);
        assert_int_equal(docker_parse_version("[]", 2, &os, &arch), -EBADMSG);
        assert_null(os);
        assert_null(arch);
}

static void check_logs(const char *body, size_t len, const char *expected)
{
        char *out = NULL;

        assert_int_equal(docker_parse_logs(body, len, &out), 0);
        assert_string_equal(out, expected);
        free(out);
}

static void test_parse_logs(void **state)
{
        /* Two frames, stderr then stdout, as the engine multiplexes a container without a TTY. */
        static const char framed[] = "\x02\0\0\0\0\0\0\x0b"
                                     "first line\n"
                                     "\x01\0\0\0\0\0\0\x12"
                                     "second\x1b[31m line\r\n";
        char many[4096] = "", *out = NULL;
        size_t n = 0;

        check_logs(framed, sizeof(framed) - 1, "first line\nsecond [31m line");
        check_logs("", 0, "");
        check_logs(NULL, 0, "");
        check_logs("\x01\0\0\0\0\0\0\0", 8, "");
        /* Not a stream of frames (a TTY container's, or a frame cut short): plain text. */
        check_logs("plain\ntext\n", 11, "plain\ntext");
        check_logs("\x01\0\0\0\0\0\0\x10short", 13, "        short");
        check_logs("\x03\0\0\0\0\0\0\x01x", 9, "        x");

        /* Only the last DOCKER_LOG_TAIL_LINES lines. */
        for (unsigned k = 1; k <= 15; k++)
                n += (size_t) snprintf(many + n, sizeof(many) - n, "line %u\n", k);
        assert_int_equal(docker_parse_logs(many, n, &out), 0);
        assert_true(strncmp(out, "line 6\n", 7) == 0);
        assert_non_null(strstr(out, "line 15"));
        assert_null(strstr(out, "line 5\n"));
        free(out);

        /* A long line keeps its end, cut to the message size on a character boundary. */
        n = 0;
        for (unsigned k = 0; k < 700; k++)
                n += (size_t) snprintf(many + n, sizeof(many) - n, "\xc3\xa9");
        n += (size_t) snprintf(many + n, sizeof(many) - n, "END");
        assert_int_equal(docker_parse_logs(many, n, &out), 0);
        assert_true(strlen(out) <= DOCKER_ERROR_MESSAGE_MAX);
        assert_true(strlen(out) > DOCKER_ERROR_MESSAGE_MAX - 4);
        assert_string_equal(out + strlen(out) - 3, "END");
        assert_true(((unsigned char) out[0] & 0xc0) != 0x80);
        free(out);
}

static int parse_event(const char *json, size_t len)
{
        DockerEvent e = {};
        int r;

        r = docker_parse_event(json, len, &e);
        docker_event_done(&e);
        return r;
}

static void test_parse_event(void **state)
{
        DockerEvent e = {};

        assert_int_equal(docker_parse_event(event_die, strlen(event_die), &e), 0);
        assert_string_equal(e.type, "container");
        assert_string_equal(e.action, "die");
        assert_string_equal(e.id, ID);
        assert_string_equal(e.function, "dj-test");
        assert_string_equal(e.lifetime, LT);
        docker_event_done(&e);
        docker_event_done(NULL);

        /* Other object types keep their id only when it looks like one; labels are container-only. */
        assert_int_equal(docker_parse_event(event_network, strlen(event_network), &e), 0);
        assert_string_equal(e.type, "network");
        assert_string_equal(e.action, "connect");
        assert_string_equal(e.id, "05d99fc2476d148f0267dfa4c198b25e09c4d7726e843536c03e7ad8e28c8312");
        assert_null(e.function);
        docker_event_done(&e);

#define EVENT(s) docker_parse_event(s, strlen(s), &e)
        assert_int_equal(
                EVENT("{\"Type\":\"image\",\"Action\":\"pull\",\"Actor\":{\"ID\":\"busybox:latest\"}}"), 0);
        assert_null(e.id);
        docker_event_done(&e);
        assert_int_equal(
                EVENT("{\"Type\":\"container\",\"Action\":\"exec_start: /bin/sh -c true\",\"Actor\":{"
                      "\"ID\":\"" ID "\",\"Attributes\":null}}\r\n"),
                0);
        assert_string_equal(e.action, "exec_start: /bin/sh -c true");
        assert_null(e.function);
        docker_event_done(&e);
#undef EVENT

#define BAD(s) assert_int_equal(parse_event(s, strlen(s)), -EBADMSG)
        BAD("[]");
        BAD("{\"status\":\"die\",\"id\":\"" ID "\"}");
        BAD("{\"Type\":\"container\",\"Actor\":{\"ID\":\"" ID "\"}}");
        BAD("{\"Action\":\"die\",\"Actor\":{\"ID\":\"" ID "\"}}");
        BAD("{\"Type\":\"\",\"Action\":\"die\",\"Actor\":{\"ID\":\"" ID "\"}}");
        BAD("{\"Type\":\"container\",\"Action\":7,\"Actor\":{\"ID\":\"" ID "\"}}");
        BAD("{\"Type\":\"container\",\"Action\":\"die\"}");
        BAD("{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"../x\"}}");
        BAD("{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":[]}");
        BAD("{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"" ID "\",\"Attributes\":[]}}");
        BAD("{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"" ID "\",\"Attributes\":{"
            "\"org.lambdad.function\":1}}}");
        /* Two events on one line are a framing error, not one event. */
        BAD("{\"Type\":\"network\",\"Action\":\"connect\"}\n{\"Type\":\"network\",\"Action\":\"connect\"}"
            "\n");
#undef BAD

        e.id = (char *) 0x1;
        assert_int_equal(docker_parse_event("{}", 2, &e), -EBADMSG);
        assert_ptr_equal(e.id, (char *) 0x1);
        e = (DockerEvent){};

        check_malformed(parse_event);
        check_truncations(parse_event, event_die);
}

static void test_pull_result(void **state)
{
        static const char ok[] = "{\"status\":\"Pulling from x\"}\n{\"status\":\"Done\"}\n";
        static const char failed[] = "{\"status\":\"a\"}\n{\"error\":\"denied\\nhere\"}\n";
        char *e = NULL;

        assert_int_equal(docker_parse_pull_result(ok, strlen(ok), &e), 0);
        assert_null(e);
        assert_int_equal(docker_parse_pull_result(failed, strlen(failed), &e), 1);
        assert_string_equal(e, "denied here");
        free(e);
        assert_int_equal(docker_parse_pull_result("garbage\n\n", 9, &e), 0);
        assert_int_equal(docker_parse_pull_result(NULL, 0, &e), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pull_result),         cmocka_unit_test(test_create_body_roundtrip),
                cmocka_unit_test(test_create_body_minimal), cmocka_unit_test(test_create_body_invalid),
                cmocka_unit_test(test_name_is_valid),       cmocka_unit_test(test_id_is_valid),
                cmocka_unit_test(test_label_filter),        cmocka_unit_test(test_parse_create),
                cmocka_unit_test(test_parse_error),         cmocka_unit_test(test_parse_container_list),
                cmocka_unit_test(test_parse_inspect),       cmocka_unit_test(test_parse_volume_at),
                cmocka_unit_test(test_parse_image),         cmocka_unit_test(test_parse_version),
                cmocka_unit_test(test_parse_info_runtimes), cmocka_unit_test(test_isolated_network),
                cmocka_unit_test(test_parse_logs),          cmocka_unit_test(test_parse_event),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
