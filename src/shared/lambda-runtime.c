/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "lambda-runtime.h"
#include "macro.h"

/* In the order of the API's enum (botocore's model), which the gateway's error message lists. The base
 * images are those of the runtimes AWS has not deprecated for creating functions
 * (public.ecr.aws/lambda/...); older ones still run when the operator maps them to an image. */
const LambdaRuntime lambda_runtimes[] = {
        { "nodejs", NULL },
        { "nodejs4.3", NULL },
        { "nodejs6.10", NULL },
        { "nodejs8.10", NULL },
        { "nodejs10.x", NULL },
        { "nodejs12.x", NULL },
        { "nodejs14.x", NULL },
        { "nodejs16.x", NULL },
        { "java8", NULL },
        { "java8.al2", "public.ecr.aws/lambda/java:8.al2" },
        { "java11", "public.ecr.aws/lambda/java:11" },
        { "python2.7", NULL },
        { "python3.6", NULL },
        { "python3.7", NULL },
        { "python3.8", NULL },
        { "python3.9", NULL },
        { "dotnetcore1.0", NULL },
        { "dotnetcore2.0", NULL },
        { "dotnetcore2.1", NULL },
        { "dotnetcore3.1", NULL },
        { "dotnet6", NULL },
        { "dotnet8", "public.ecr.aws/lambda/dotnet:8" },
        { "nodejs4.3-edge", NULL },
        { "go1.x", NULL },
        { "ruby2.5", NULL },
        { "ruby2.7", NULL },
        { "provided", NULL },
        { "provided.al2", "public.ecr.aws/lambda/provided:al2" },
        { "nodejs18.x", NULL },
        { "python3.10", "public.ecr.aws/lambda/python:3.10" },
        { "java17", "public.ecr.aws/lambda/java:17" },
        { "ruby3.2", NULL },
        { "ruby3.3", "public.ecr.aws/lambda/ruby:3.3" },
        { "ruby3.4", "public.ecr.aws/lambda/ruby:3.4" },
        { "python3.11", "public.ecr.aws/lambda/python:3.11" },
        { "nodejs20.x", "public.ecr.aws/lambda/nodejs:20" },
        { "provided.al2023", "public.ecr.aws/lambda/provided:al2023" },
        { "python3.12", "public.ecr.aws/lambda/python:3.12" },
        { "java21", "public.ecr.aws/lambda/java:21" },
        { "python3.13", "public.ecr.aws/lambda/python:3.13" },
        { "nodejs22.x", "public.ecr.aws/lambda/nodejs:22" },
        { "nodejs24.x", "public.ecr.aws/lambda/nodejs:24" },
        { "python3.14", "public.ecr.aws/lambda/python:3.14" },
        { "java25", "public.ecr.aws/lambda/java:25" },
        { "dotnet10", "public.ecr.aws/lambda/dotnet:10" },
        { "ruby4.0", NULL },
};

const size_t lambda_runtimes_count = ELEMENTSOF(lambda_runtimes);

const LambdaRuntime *lambda_runtime_find(const char *id)
{
        for (size_t i = 0; id && i < ELEMENTSOF(lambda_runtimes); i++)
                if (strcmp(lambda_runtimes[i].id, id) == 0)
                        return &lambda_runtimes[i];
        return NULL;
}
