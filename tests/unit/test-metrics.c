/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "macro.h"
#include "metrics.h"

/*
 * A checker for the Prometheus text format 0.0.4, independent of the renderer: every line is a
 * comment or "name{labels} value", label values use only the three escapes, each family is one
 * contiguous block whose TYPE comes first, no series appears twice, and every histogram has
 * increasing "le" bounds ending in +Inf, non-decreasing cumulative counts, the +Inf bucket equal to
 * _count, and a _sum. The parsed samples are kept for the tests to look up.
 */

#define MAX_SAMPLES  40000
#define MAX_FAMILIES 32

typedef struct Sample {
        char name[64];
        char labels[256]; /* unescaped, "k=v,k=v" in the order given; le last for buckets */
        char le[16];      /* buckets only */
        char base[256];   /* the labels without le: which histogram a bucket belongs to */
        double value;
} Sample;

typedef struct Exposition {
        Sample *samples;
        Sample **sorted; /* by name and labels, for lookups */
        size_t n_samples;
        struct {
                char name[64];
                char type[16];
                bool closed;
        } families[MAX_FAMILIES];
        size_t n_families;
} Exposition;

static bool is_name_char(char c, bool first)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
               (!first && c >= '0' && c <= '9');
}

/* Reads a metric or label name; returns its length, 0 if there is none. */
static size_t parse_name(const char *p)
{
        size_t n = 0;

        while (is_name_char(p[n], n == 0))
                n++;
        return n;
}

static bool parse_value(const char *s, double *ret)
{
        char *end;

        if (strcmp(s, "+Inf") == 0)
                *ret = INFINITY;
        else if (strcmp(s, "-Inf") == 0)
                *ret = -INFINITY;
        else if (strcmp(s, "NaN") == 0)
                *ret = NAN;
        else {
                if (!*s || strchr(s, ' '))
                        return false;
                *ret = strtod(s, &end);
                return *end == 0;
        }
        return true;
}

static int family_find(Exposition *e, const char *name)
{
        for (size_t i = 0; i < e->n_families; i++)
                if (strcmp(e->families[i].name, name) == 0)
                        return (int) i;
        return -1;
}

/* The family a sample belongs to: its own name, or a histogram's whose suffix it carries. */
static int family_of(Exposition *e, const char *name)
{
        static const char *const suffixes[] = { "_bucket", "_sum", "_count" };
        int f = family_find(e, name);

        if (f >= 0)
                return f;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                size_t n = strlen(name), s = strlen(suffixes[i]);
                char base[64];

                if (n <= s || strcmp(name + n - s, suffixes[i]) != 0)
                        continue;
                snprintf(base, sizeof(base), "%.*s", (int) (n - s), name);
                f = family_find(e, base);
                if (f >= 0 && strcmp(e->families[f].type, "histogram") == 0)
                        return f;
        }
        return -1;
}

static void parse_comment(Exposition *e, const char *line, int *current)
{
        char name[64], type[16];
        int f;

        if (strncmp(line, "# HELP ", 7) == 0) {
                /* HELP text may hold anything but a raw newline; only "\\" and "\n" are escapes. */
                for (const char *p = line + 7; *p; p++)
                        if (*p == '\\') {
                                p++;
                                assert_true(*p == '\\' || *p == 'n');
                        }
                return;
        }
        if (strncmp(line, "# TYPE ", 7) != 0)
                return;

        assert_int_equal(sscanf(line, "# TYPE %63s %15s", name, type), 2);
        assert_int_equal(parse_name(name), strlen(name));
        assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
                    strcmp(type, "histogram") == 0 || strcmp(type, "summary") == 0 ||
                    strcmp(type, "untyped") == 0);
        /* One TYPE per family, before its samples. */
        assert_int_equal(family_find(e, name), -1);
        assert_true(e->n_families < MAX_FAMILIES);
        f = (int) e->n_families++;
        strcpy(e->families[f].name, name);
        strcpy(e->families[f].type, type);
        if (*current >= 0)
                e->families[*current].closed = true;
        *current = f;
}

static void parse_sample(Exposition *e, const char *line, int *current)
{
        Sample *s;
        const char *p = line;
        size_t n;
        int f;

        assert_true(e->n_samples < MAX_SAMPLES);
        s = &e->samples[e->n_samples++];
        *s = (Sample){};

        n = parse_name(p);
        assert_true(n > 0 && n < sizeof(s->name));
        memcpy(s->name, p, n);
        p += n;

        if (*p == '{') {
                size_t l = 0, b = 0;

                p++;
                while (*p != '}') {
                        char key[64];
                        char value[256];
                        size_t v = 0;

                        n = parse_name(p);
                        assert_true(n > 0 && n < sizeof(key));
                        memcpy(key, p, n);
                        key[n] = 0;
                        p += n;
                        assert_int_equal(*p++, '=');
                        assert_int_equal(*p++, '"');
                        while (*p != '"') {
                                char c = *p++;

                                assert_true(c != 0 && c != '\n');
                                if (c == '\\') {
                                        c = *p++;
                                        assert_true(c == '\\' || c == '"' || c == 'n');
                                        if (c == 'n')
                                                c = '\n';
                                }
                                assert_true(v + 1 < sizeof(value));
                                value[v++] = c;
                        }
                        value[v] = 0;
                        p++;

                        if (strcmp(key, "le") == 0) {
                                assert_true(strlen(value) < sizeof(s->le));
                                strcpy(s->le, value);
                        } else
                                b += (size_t) snprintf(s->base + b, sizeof(s->base) - b, "%s%s=%s",
                                                       b ? "," : "", key, value);
                        l += (size_t) snprintf(s->labels + l, sizeof(s->labels) - l, "%s%s=%s", l ? "," : "",
                                               key, value);
                        assert_true(l < sizeof(s->labels) && b < sizeof(s->base));

                        if (*p == ',')
                                p++;
                        else
                                assert_int_equal(*p, '}');
                }
                p++;
        }

        assert_int_equal(*p++, ' ');
        assert_true(parse_value(p, &s->value));

        /* Samples of a family are contiguous and come after its TYPE. */
        f = family_of(e, s->name);
        assert_true(f >= 0);
        assert_false(e->families[f].closed);
        if (f != *current) {
                if (*current >= 0)
                        e->families[*current].closed = true;
                *current = f;
        }
        /* A histogram's samples all carry a suffix; a bucket has an le, nothing else has. */
        if (strcmp(e->families[f].type, "histogram") == 0)
                assert_string_not_equal(s->name, e->families[f].name);
        else
                assert_string_equal(s->name, e->families[f].name);
        assert_true((s->le[0] != 0) ==
                    (strlen(s->name) > 7 && strcmp(s->name + strlen(s->name) - 7, "_bucket") == 0));
}

static int sample_compare(const void *a, const void *b)
{
        const Sample *x = *(const Sample *const *) a, *y = *(const Sample *const *) b;
        int c = strcmp(x->name, y->name);

        return c != 0 ? c : strcmp(x->labels, y->labels);
}

/* Buckets by series, and within one series in the order they were written. */
static int bucket_compare(const void *a, const void *b)
{
        const Sample *x = *(const Sample *const *) a, *y = *(const Sample *const *) b;
        int c = strcmp(x->base, y->base);

        return c != 0 ? c : (x > y) - (x < y);
}

static const Sample *lookup(const Exposition *e, const char *name, const char *labels)
{
        Sample key = {}, *k = &key, **found;

        snprintf(key.name, sizeof(key.name), "%s", name);
        snprintf(key.labels, sizeof(key.labels), "%s", labels);
        found = bsearch(&k, e->sorted, e->n_samples, sizeof(Sample *), sample_compare);
        return found ? *found : NULL;
}

/* No series twice: checked on a sorted index, as expositions hold tens of thousands of samples. */
static void check_unique(Exposition *e)
{
        e->sorted = malloc((e->n_samples + 1) * sizeof(Sample *));
        assert_non_null(e->sorted);
        for (size_t i = 0; i < e->n_samples; i++)
                e->sorted[i] = &e->samples[i];
        qsort(e->sorted, e->n_samples, sizeof(Sample *), sample_compare);
        for (size_t i = 1; i < e->n_samples; i++)
                if (sample_compare(&e->sorted[i - 1], &e->sorted[i]) == 0)
                        fail_msg("duplicate series %s{%s}", e->sorted[i]->name, e->sorted[i]->labels);
}

static double value_of(const Exposition *e, const char *name, const char *labels)
{
        const Sample *s = lookup(e, name, labels);

        if (!s)
                fail_msg("no sample %s{%s}", name, labels);
        return s->value;
}

static void check_histograms(const Exposition *e)
{
        const Sample **buckets = malloc((e->n_samples + 1) * sizeof(Sample *));

        assert_non_null(buckets);
        for (size_t f = 0; f < e->n_families; f++) {
                char bucket[80], sum[80], count[80];
                size_t n = 0, n_series = 0, n_counts = 0;

                if (strcmp(e->families[f].type, "histogram") != 0)
                        continue;
                snprintf(bucket, sizeof(bucket), "%s_bucket", e->families[f].name);
                snprintf(sum, sizeof(sum), "%s_sum", e->families[f].name);
                snprintf(count, sizeof(count), "%s_count", e->families[f].name);

                for (size_t i = 0; i < e->n_samples; i++) {
                        if (strcmp(e->samples[i].name, bucket) == 0)
                                buckets[n++] = &e->samples[i];
                        else if (strcmp(e->samples[i].name, count) == 0)
                                n_counts++;
                }
                qsort(buckets, n, sizeof(Sample *), bucket_compare);

                for (size_t i = 0; i < n;) {
                        double last_le = -INFINITY, last_value = 0, le;
                        const Sample *c;
                        size_t j = i;

                        /* One series: le strictly increasing up to +Inf, counts never decreasing. */
                        for (; j < n && strcmp(buckets[j]->base, buckets[i]->base) == 0; j++) {
                                assert_true(parse_value(buckets[j]->le, &le));
                                assert_false(isinf(last_le) && last_le > 0);
                                assert_true(le > last_le);
                                assert_true(buckets[j]->value >= last_value);
                                last_le = le;
                                last_value = buckets[j]->value;
                        }
                        assert_true(isinf(last_le) && last_le > 0);

                        c = lookup(e, count, buckets[i]->base);
                        assert_non_null(c);
                        assert_true(c->value == last_value);
                        assert_non_null(lookup(e, sum, buckets[i]->base));
                        n_series++;
                        i = j;
                }
                /* And no count without buckets. */
                assert_int_equal(n_series, n_counts);
        }
        free(buckets);
}

static void exposition_parse(Exposition *e, const char *text)
{
        int current = -1;

        *e = (Exposition){};
        e->samples = calloc(MAX_SAMPLES, sizeof(Sample));
        assert_non_null(e->samples);

        assert_true(*text);
        assert_int_equal(text[strlen(text) - 1], '\n');
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                char line[1024];

                assert_non_null(nl);
                assert_true((size_t) (nl - p) < sizeof(line));
                memcpy(line, p, (size_t) (nl - p));
                line[nl - p] = 0;
                p = nl + 1;

                assert_true(line[0] != 0 && line[0] != ' ');
                if (line[0] == '#')
                        parse_comment(e, line, &current);
                else
                        parse_sample(e, line, &current);
        }
        check_unique(e);
        check_histograms(e);
}

static void exposition_done(Exposition *e)
{
        free(e->sorted);
        free(e->samples);
}

static void render_and_parse(const Metrics *m, Exposition *e)
{
        Buf out = {};

        assert_int_equal(metrics_render(m, &out), 0);
        exposition_parse(e, out.data);
        buf_done(&out);
}

static void test_empty(void **state)
{
        Metrics m = {};
        Exposition e;

        render_and_parse(&m, &e);
        assert_true(value_of(&e, "lambdad_requests_total", "code=2xx") == 0);
        assert_true(value_of(&e, "lambdad_in_flight_requests", "") == 0);
        assert_true(value_of(&e, "lambdad_manager_errors_total", "") == 0);
        assert_true(value_of(&e, "lambdad_connections_total", "") == 0);
        assert_true(value_of(&e, "lambdad_connections_evicted_total", "") == 0);
        assert_int_equal(e.n_families, 17);
        assert_string_equal(e.families[family_find(&e, "lambdad_request_duration_seconds")].type,
                            "histogram");
        assert_string_equal(e.families[family_find(&e, "lambdad_in_flight_requests")].type, "gauge");
        exposition_done(&e);
        metrics_done(&m);
}

/* The queue of Event invocations: its gauge, its counters, and the deliveries by kind and condition. */
static void test_queue(void **state)
{
        Metrics m = { .events_queued = 3, .event_retries = 2, .events_expired = 1, .events_failed = 4 };
        Exposition e;

        m.destination_deliveries[DESTINATION_KIND_DIRECTORY][DESTINATION_RETRIES_EXHAUSTED] = 5;
        render_and_parse(&m, &e);
        assert_true(value_of(&e, "lambdad_events_queued", "") == 3);
        assert_string_equal(e.families[family_find(&e, "lambdad_events_queued")].type, "gauge");
        assert_true(value_of(&e, "lambdad_event_retries_total", "") == 2);
        assert_true(value_of(&e, "lambdad_events_expired_total", "") == 1);
        assert_true(value_of(&e, "lambdad_events_failed_total", "") == 4);
        assert_true(value_of(&e, "lambdad_event_destination_deliveries_total",
                             "kind=directory,condition=RetriesExhausted") == 5);
        assert_true(value_of(&e, "lambdad_event_destination_deliveries_total",
                             "kind=function,condition=Success") == 0);
        exposition_done(&e);
        metrics_done(&m);
}

static void test_observe(void **state)
{
        Metrics m = {};
        Exposition e;

        metrics_observe(&m, "hello", 200, false, true, 0.003);
        metrics_observe(&m, "hello", 200, true, false, 0.2);
        metrics_observe(&m, "hello", 502, false, false, 1.0);
        metrics_observe(&m, "hello", 429, false, false, 0.0001);
        metrics_observe(&m, "other", 202, false, false, 30);
        metrics_observe(&m, NULL, 404, false, false, 0.0001);
        metrics_observe(&m, NULL, 200, false, false, 0.0001);
        /* Not statuses: dropped. */
        metrics_observe(&m, "hello", 99, false, false, 1);
        metrics_observe(&m, "hello", 600, false, false, 1);
        metrics_observe(&m, NULL, -1, false, false, 1);
        metrics_thawed(&m, "hello");
        metrics_thawed(&m, "hello");
        m.in_flight = 3;
        m.manager_errors = 2;
        m.connections_total = 12345678901234ULL;

        render_and_parse(&m, &e);
        assert_true(value_of(&e, "lambdad_requests_total", "function=hello,code=2xx") == 2);
        assert_true(value_of(&e, "lambdad_requests_total", "function=hello,code=4xx") == 1);
        assert_true(value_of(&e, "lambdad_requests_total", "function=hello,code=5xx") == 1);
        assert_true(value_of(&e, "lambdad_requests_total", "function=hello,code=1xx") == 0);
        assert_true(value_of(&e, "lambdad_requests_total", "function=other,code=2xx") == 1);
        assert_true(value_of(&e, "lambdad_requests_total", "code=4xx") == 1);
        assert_true(value_of(&e, "lambdad_requests_total", "code=2xx") == 1);
        assert_true(value_of(&e, "lambdad_function_errors_total", "function=hello") == 1);
        assert_true(value_of(&e, "lambdad_function_errors_total", "function=other") == 0);
        assert_true(value_of(&e, "lambdad_cold_starts_total", "function=hello") == 1);
        assert_true(value_of(&e, "lambdad_thaws_total", "function=hello") == 2);
        assert_true(value_of(&e, "lambdad_thaws_total", "function=other") == 0);

        /* Cumulative buckets: 0.0001 and 0.003 by 0.005; 0.2 by 0.25; 1.0 by 1 (le is inclusive). */
        assert_true(value_of(&e, "lambdad_request_duration_seconds_bucket", "function=hello,le=0.001") == 1);
        assert_true(value_of(&e, "lambdad_request_duration_seconds_bucket", "function=hello,le=0.0025") ==
                    1);
        assert_true(value_of(&e, "lambdad_request_duration_seconds_bucket", "function=hello,le=0.005") == 2);
        assert_true(value_of(&e, "lambdad_request_duration_seconds_bucket", "function=hello,le=0.1") == 2);
        assert_true(value_of(&e, "lambdad_request_duration_seconds_bucket", "function=hello,le=0.25") == 3);
        assert_true(value_of(&e, "lambdad_request_duration_seconds_bucket", "function=hello,le=0.5") == 3);
        assert_true(value_of(&e, "lambdad_request_duration_seconds_bucket", "function=hello,le=1") == 4);
        assert_true(value_of(&e, "lambdad_request_duration_seconds_bucket", "function=hello,le=+Inf") == 4);
        assert_true(value_of(&e, "lambdad_request_duration_seconds_count", "function=hello") == 4);
        assert_true(fabs(value_of(&e, "lambdad_request_duration_seconds_sum", "function=hello") - 1.2031) <
                    1e-12);
        /* 30 s is past every bound but +Inf. */
        assert_true(value_of(&e, "lambdad_request_duration_seconds_bucket", "function=other,le=5") == 0);
        assert_true(value_of(&e, "lambdad_request_duration_seconds_bucket", "function=other,le=+Inf") == 1);
        assert_true(value_of(&e, "lambdad_request_duration_seconds_sum", "function=other") == 30);

        assert_true(value_of(&e, "lambdad_in_flight_requests", "") == 3);
        assert_true(value_of(&e, "lambdad_manager_errors_total", "") == 2);
        assert_true(value_of(&e, "lambdad_connections_total", "") == 12345678901234.0);
        exposition_done(&e);

        assert_int_equal(m.n_functions, 2);
        assert_int_equal(m.functions[0].latency_count, 4);
        metrics_done(&m);
}

static void test_bucket_bounds(void **state)
{
        static const double bounds[] = { .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5 };
        FunctionMetrics *f;
        Metrics m = {};

        for (size_t i = 0; i < ELEMENTSOF(bounds); i++) {
                /* On the bound: in that bucket. Just above: in the next one. */
                metrics_observe(&m, "f", 200, false, false, bounds[i]);
                metrics_observe(&m, "f", 200, false, false, nextafter(bounds[i], INFINITY));
        }
        f = metrics_function(&m, "f");
        assert_non_null(f);
        assert_int_equal(f->latency_buckets[0], 1);
        for (size_t i = 1; i < METRICS_LATENCY_BUCKETS; i++)
                assert_int_equal(f->latency_buckets[i], 2);
        assert_int_equal(f->latency_buckets[METRICS_LATENCY_BUCKETS], 1);
        assert_int_equal(f->latency_count, 24);

        /* Nonsense latencies count as 0 and leave the sum finite. */
        metrics_observe(&m, "g", 200, false, false, NAN);
        metrics_observe(&m, "g", 200, false, false, -1);
        metrics_observe(&m, "g", 200, false, false, INFINITY);
        f = metrics_function(&m, "g");
        assert_int_equal(f->latency_buckets[0], 3);
        assert_true(f->latency_sum == 0);
        metrics_done(&m);
}

static void test_sorted_and_bounded(void **state)
{
        char name[32], long_name[80];
        Metrics m = {};
        Exposition e;
        FunctionMetrics *f;

        assert_non_null(metrics_function(&m, "b"));
        assert_non_null(metrics_function(&m, "c"));
        assert_non_null(metrics_function(&m, "a"));
        assert_ptr_equal(metrics_function(&m, "b"), &m.functions[1]);
        assert_int_equal(m.n_functions, 3);
        assert_string_equal(m.functions[0].name, "a");
        assert_string_equal(m.functions[2].name, "c");

        /* Names no function can have are not truncated into someone else's. */
        memset(long_name, 'x', 65);
        long_name[65] = 0;
        assert_string_equal(metrics_function(&m, long_name)->name, METRICS_OTHER);
        assert_string_equal(metrics_function(&m, "")->name, METRICS_OTHER);
        long_name[64] = 0;
        assert_string_equal(metrics_function(&m, long_name)->name, long_name);
        assert_int_equal(m.n_functions, 5);
        metrics_done(&m);

        for (unsigned i = 0; i < 3000; i++) {
                snprintf(name, sizeof(name), "fn-%u", (i * 7919) % 3000);
                metrics_observe(&m, name, 200, false, false, 0.01);
        }
        assert_int_equal(m.n_functions, METRICS_FUNCTIONS_MAX + 1);
        assert_true(m.cap <= METRICS_FUNCTIONS_MAX + 1);
        for (size_t i = 1; i < m.n_functions; i++)
                assert_true(strcmp(m.functions[i - 1].name, m.functions[i].name) < 0);
        f = metrics_function(&m, METRICS_OTHER);
        assert_int_equal(f->requests_by_class[2], 3000 - METRICS_FUNCTIONS_MAX);
        /* Known functions keep their own entries past the bound. */
        snprintf(name, sizeof(name), "fn-%u", 0);
        f = metrics_function(&m, name);
        assert_string_equal(f->name, name);
        assert_int_equal(f->requests_by_class[2], 1);
        assert_string_equal(metrics_function(&m, "never-seen")->name, METRICS_OTHER);
        assert_int_equal(m.n_functions, METRICS_FUNCTIONS_MAX + 1);

        render_and_parse(&m, &e);
        assert_true(value_of(&e, "lambdad_requests_total", "function=_other,code=2xx") == 3000 - 1024);
        assert_true(value_of(&e, "lambdad_request_duration_seconds_count", "function=_other") ==
                    3000 - 1024);
        exposition_done(&e);
        metrics_done(&m);
        /* Done twice is fine. */
        metrics_done(&m);
        metrics_done(NULL);
}

static void test_label_escaping(void **state)
{
        Metrics m = {};
        Exposition e;
        Buf out = {};

        /* The gateway only passes valid names, but the renderer must not trust that. */
        metrics_observe(&m, "a\"b\\c\nd}e,f=g", 200, false, false, 0.1);
        metrics_observe(&m, "x\\", 200, false, false, 0.1);
        metrics_observe(&m, "\"", 200, false, false, 0.1);
        assert_int_equal(metrics_render(&m, &out), 0);
        assert_non_null(strstr(out.data, "{function=\"a\\\"b\\\\c\\nd}e,f=g\",code=\"2xx\"} 1\n"));
        assert_non_null(strstr(out.data, "{function=\"x\\\\\"} 1\n"));
        assert_non_null(strstr(out.data, "{function=\"\\\"\"} 1\n"));

        exposition_parse(&e, out.data);
        assert_true(value_of(&e, "lambdad_requests_total", "function=a\"b\\c\nd}e,f=g,code=2xx") == 1);
        assert_true(value_of(&e, "lambdad_request_duration_seconds_count", "function=x\\") == 1);
        assert_true(value_of(&e, "lambdad_cold_starts_total", "function=\"") == 0);
        exposition_done(&e);
        buf_done(&out);
        metrics_done(&m);
}

static void test_sum_precision(void **state)
{
        Metrics m = {};
        Exposition e;

        metrics_observe(&m, "f", 200, false, false, 0.1);
        metrics_observe(&m, "f", 200, false, false, 0.2);
        metrics_observe(&m, "g", 200, false, false, 0.25);
        render_and_parse(&m, &e);
        /* The sum reads back as exactly the double it is. */
        assert_true(value_of(&e, "lambdad_request_duration_seconds_sum", "function=f") == 0.1 + 0.2);
        assert_true(value_of(&e, "lambdad_request_duration_seconds_sum", "function=g") == 0.25);
        exposition_done(&e);
        metrics_done(&m);
}

static void test_render_appends_and_fails(void **state)
{
        Metrics m = {};
        Buf out = {}, small = BUF_INIT_MAX(256);

        metrics_observe(&m, "f", 200, false, false, 0.1);
        assert_int_equal(buf_append_str(&out, "prefix\n"), 0);
        assert_int_equal(metrics_render(&m, &out), 0);
        assert_memory_equal(out.data, "prefix\n# HELP ", 14);
        assert_int_equal(metrics_render(&m, &small), -ENOBUFS);
        buf_done(&small);
        buf_done(&out);
        metrics_done(&m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_queue),
                cmocka_unit_test(test_observe),
                cmocka_unit_test(test_bucket_bounds),
                cmocka_unit_test(test_sorted_and_bounded),
                cmocka_unit_test(test_label_escaping),
                cmocka_unit_test(test_sum_precision),
                cmocka_unit_test(test_render_appends_and_fails),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
