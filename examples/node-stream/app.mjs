// A streaming Node.js handler (awslambda.streamifyResponse, as on AWS), run by AWS's runtime interface
// client: it writes its answer in chunks with pauses in between, so that a client sees the first
// long before the last. The event chooses: {"chunks": N (5), "pause_ms": MS (200), "fail": true
// (throw after "fail_after" chunks, 2 by default: the error ends the stream)}.
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
        const chunks = event.chunks ?? 5;
        const pause = event.pause_ms ?? 200;
        const failAfter = event.fail ? (event.fail_after ?? 2) : -1;

        responseStream.setContentType("text/plain");
        for (let i = 0; i < chunks; i++) {
                if (i > 0) await new Promise((resolve) => setTimeout(resolve, pause));
                if (i === failAfter) throw new Error(`failed mid-stream after ${i} chunks`);
                responseStream.write(`chunk ${i}\n`);
        }
        responseStream.end();
});
