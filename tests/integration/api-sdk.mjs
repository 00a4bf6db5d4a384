// SPDX-License-Identifier: LGPL-2.1-or-later
//
// api-sdk.mjs FUNCTION ZIP ROLE ZIP2: the control-plane walk of test-api.sh with the AWS SDK for
// JavaScript v3: CreateFunctionCommand (the zip's bytes as ZipFile), waitUntilFunctionActiveV2,
// InvokeCommand, UpdateFunctionCodeCommand to ZIP2 and waitUntilFunctionUpdatedV2 (the invocation
// answers with the new code), GetFunctionCommand, PublishVersionCommand, CreateAliasCommand,
// InvokeCommand of the alias (ExecutedVersion), ZIP again published as version 2, UpdateAliasCommand
// at 90/10 across them and 200 invocations of it (how many ran version 2), PutProvisionedConcurrencyConfigCommand on version 1 and
// GetProvisionedConcurrencyConfigCommand until READY (60 s at most), PutFunctionConcurrencyCommand 0 (an invocation then throttled),
// DeleteFunctionConcurrencyCommand, GetFunctionEventInvokeConfigCommand, DeleteFunctionCommand, then GetFunctionCommand (not found). Environment: SDK (a folder with
// node_modules/@aws-sdk/client-lambda), URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY. Prints one
// JSON object of what each step saw; a step that throws records {"error": NAME}.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(process.env.SDK + "/package.json");
const sdk = require("@aws-sdk/client-lambda");

const [name, zipPath, role, zip2Path] = process.argv.slice(2);
const client = new sdk.LambdaClient({ endpoint: process.env.URL, region: "us-east-1", maxAttempts: 1 });
const seen = {};

async function updateCode(path) {
        await client.send(new sdk.UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: readFileSync(path) }));
        await sdk.waitUntilFunctionUpdatedV2({ client, maxWaitTime: 120, minDelay: 1 }, { FunctionName: name });
        const out = await client.send(new sdk.InvokeCommand({ FunctionName: name, Payload: Buffer.from("{}") }));
        return JSON.parse(Buffer.from(out.Payload).toString()).message;
}

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
await step("updated", async () => updateCode(zip2Path));
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
await step("updatedBack", async () => updateCode(zipPath));
await step("publish2", async () => (await client.send(new sdk.PublishVersionCommand({ FunctionName: name }))).Version);
await step("weights", async () => (await client.send(new sdk.UpdateAliasCommand({
        FunctionName: name, Name: "live", FunctionVersion: "1", RoutingConfig: { AdditionalVersionWeights: { 2: 0.1 } },
}))).RoutingConfig.AdditionalVersionWeights);
await step("split", async () => {
        const runs = { 1: 0, 2: 0 };
        for (let i = 0; i < 200; i++) {
                const out = await client.send(new sdk.InvokeCommand({ FunctionName: name, Qualifier: "live" }));
                runs[out.ExecutedVersion] = (runs[out.ExecutedVersion] || 0) + 1;
        }
        return runs;
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
await step("deleted", async () => (await client.send(new sdk.GetFunctionCommand({ FunctionName: name }))).Configuration.State);
console.log(JSON.stringify(seen));
