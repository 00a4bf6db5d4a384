// A streaming Node.js handler (awslambda.streamifyResponse, as on AWS), run by AWS's runtime interface
// client: it writes its answer in chunks with pauses in between, so that a client sees the first
// long before the last. The event chooses: {"chunks": N (5), "pause_ms": MS (200), "fail": true
// (throw after "fail_after" chunks, 2 by default: the error ends the stream)}. Through a function
// URL (a payload format 2.0 event) the query string chooses the same (?chunks=&pause_ms=&fail=1),
// and the answer starts with the HTTP prelude (awslambda.HttpResponseStream: status 203, a header
// and a cookie) unless ?prelude=0.
const options = (event) => {
        const q = event.requestContext?.http ? (event.queryStringParameters ?? {}) : null;
        if (!q) return event;
        const number = (v) => (v === undefined ? undefined : Number(v));
        return { chunks: number(q.chunks), pause_ms: number(q.pause_ms), fail: q.fail === "1",
                 fail_after: number(q.fail_after), prelude: q.prelude !== "0" };
};

export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
        const o = options(event);
        const chunks = o.chunks ?? 5;
        const pause = o.pause_ms ?? 200;
        const failAfter = o.fail ? (o.fail_after ?? 2) : -1;

        if (o.prelude)
                responseStream = awslambda.HttpResponseStream.from(responseStream, {
                        statusCode: 203,
                        headers: { "Content-Type": "text/plain", "X-Streamed": "yes" },
                        cookies: ["s=1; Path=/"],
                });
        else
                responseStream.setContentType("text/plain");
        for (let i = 0; i < chunks; i++) {
                if (i > 0) await new Promise((resolve) => setTimeout(resolve, pause));
                if (i === failAfter) throw new Error(`failed mid-stream after ${i} chunks`);
                responseStream.write(`chunk ${i}\n`);
        }
        responseStream.end();
});
