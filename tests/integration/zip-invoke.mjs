// SPDX-License-Identifier: LGPL-2.1-or-later
//
// zip-invoke.mjs FUNCTION PAYLOAD: one Invoke with the AWS SDK for JavaScript v3, for
// test-zip.sh. Environment: SDK (a folder with node_modules/@aws-sdk/client-lambda), URL (the
// gateway), AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Prints one JSON object, as
// zip-invoke.py does: {"status", "functionError", "payload"} for an answer, or
// {"serviceError", "message", "status"} for a service error.
import { createRequire } from "node:module";

const require = createRequire(process.env.SDK + "/package.json");
const { LambdaClient, InvokeCommand } = require("@aws-sdk/client-lambda");

const [fn, payload] = process.argv.slice(2);
const client = new LambdaClient({ endpoint: process.env.URL, region: "us-east-1", maxAttempts: 1 });
try {
        const out = await client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(payload) }));
        console.log(JSON.stringify({
                status: out.StatusCode,
                functionError: out.FunctionError ?? null,
                payload: Buffer.from(out.Payload ?? []).toString(),
        }));
} catch (e) {
        console.log(JSON.stringify({ serviceError: e.name, message: e.message, status: e.$metadata?.httpStatusCode ?? null }));
}
