// A zip-packaged Node.js function (runtime nodejs22.x, handler index.handler): an ES
// module in /var/task, run by the runtime image's aws-lambda-ric. It says what the
// context tells it, so that a test can see the declaration reach the function.
export const handler = async (event, context) => {
        if (event && event.fail) {
                throw new Error("failed on request");
        }
        return {
                message: "Hello from a zip-packaged Node.js function!",
                functionName: context.functionName,
                memoryLimitInMB: context.memoryLimitInMB,
                remainingTimeInMillis: context.getRemainingTimeInMillis(),
                event,
        };
};
