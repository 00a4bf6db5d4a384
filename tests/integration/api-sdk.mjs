// SPDX-License-Identifier: LGPL-2.1-or-later
//
// api-sdk.mjs FUNCTION ZIP ROLE: the control-plane walk of test-api.sh with the AWS SDK for
// JavaScript v3: CreateFunctionCommand (the zip's bytes as ZipFile), waitUntilFunctionActiveV2,
// InvokeCommand, GetFunctionCommand, PublishVersionCommand, CreateAliasCommand, InvokeCommand of the
// alias (ExecutedVersion), PutProvisionedConcurrencyConfigCommand on version 1 and
// GetProvisionedConcurrencyConfigCommand until READY (60 s at most), PutFunctionConcurrencyCommand 0 (an invocation then throttled),
// DeleteFunctionConcurrencyCommand, GetFunctionEventInvokeConfigCommand, DeleteFunctionCommand. Environment: SDK (a folder with
// node_modules/@aws-sdk/client-lambda), URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY. Prints one
// JSON object of what each step saw; a step that throws records {"error": NAME}.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(process.env.SDK + "/package.json");
const sdk = require("@aws-sdk/client-lambda");

const [name, zipPath, role] = process.argv.slice(2);
const client = new sdk.LambdaClient({ endpoint: process.env.URL, region: "us-east-1", maxAttempts: 1 });
const seen = {};

async function step(key, fn) {
        try {
                seen[key] = await fn();
        } catch (e) {
                seen[key] = { error: e.name, message: String(e.message).slice(0, 300) };
        }
}

await step("create", async () => {
        const out = await client.send(new sdk.CreateFunctionCommand({
                FunctionName: name, Runtime: "python3.12", Role: role, Handler: "app.lambda_handler",
                Code: { ZipFile: readFileSync(zipPath) },
        }));
        return { FunctionName: out.FunctionName, PackageType: out.PackageType };
});
await step("wait", async () => (await sdk.waitUntilFunctionActiveV2({ client, maxWaitTime: 120, minDelay: 1 },
        { FunctionName: name })).state);
await step("invoke", async () => {
        const out = await client.send(new sdk.InvokeCommand({ FunctionName: name, Payload: Buffer.from('{"via":"js"}') }));
        return JSON.parse(Buffer.from(out.Payload).toString());
});
await step("get", async () => {
        const out = await client.send(new sdk.GetFunctionCommand({ FunctionName: name }));
        return { State: out.Configuration.State, RepositoryType: out.Code.RepositoryType };
});
await step("publish", async () => (await client.send(new sdk.PublishVersionCommand({ FunctionName: name }))).Version);
await step("alias", async () => (await client.send(new sdk.CreateAliasCommand({
        FunctionName: name, Name: "live", FunctionVersion: "1",
}))).FunctionVersion);
await step("invoke_alias", async () => {
        const out = await client.send(new sdk.InvokeCommand({ FunctionName: `${name}:live`, Payload: Buffer.from('{"via":"js"}') }));
        return { ExecutedVersion: out.ExecutedVersion, functionName: JSON.parse(Buffer.from(out.Payload).toString()).functionName };
});
await step("provisioned", async () => (await client.send(new sdk.PutProvisionedConcurrencyConfigCommand({
        FunctionName: name, Qualifier: "1", ProvisionedConcurrentExecutions: 1,
}))).$metadata.httpStatusCode);
await step("provisionedReady", async () => {
        for (let i = 0; ; i++) {
                const out = await client.send(new sdk.GetProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: "1" }));
                if (out.Status !== "IN_PROGRESS" || i >= 120)
                        return { Status: out.Status, Available: out.AvailableProvisionedConcurrentExecutions };
                await new Promise((resolve) => setTimeout(resolve, 500));
        }
});
await step("throttle", async () => (await client.send(new sdk.PutFunctionConcurrencyCommand({
        FunctionName: name, ReservedConcurrentExecutions: 0,
}))).ReservedConcurrentExecutions);
await step("throttled", async () => (await client.send(new sdk.InvokeCommand({ FunctionName: name }))).StatusCode);
await step("unthrottle", async () => (await client.send(new sdk.DeleteFunctionConcurrencyCommand({
        FunctionName: name,
}))).$metadata.httpStatusCode);
await step("unthrottled", async () => (await client.send(new sdk.InvokeCommand({ FunctionName: name }))).StatusCode);
await step("eventInvokeConfig", async () => (await client.send(new sdk.GetFunctionEventInvokeConfigCommand({
        FunctionName: name,
}))).FunctionArn);
await step("delete", async () => (await client.send(new sdk.DeleteFunctionCommand({ FunctionName: name }))).$metadata.httpStatusCode);
console.log(JSON.stringify(seen));
