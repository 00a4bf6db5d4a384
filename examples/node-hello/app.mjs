// A plain Node.js Lambda handler, run by AWS's runtime interface client
// (npm package aws-lambda-ric) with _HANDLER=app.handler.
export const handler = async (event) => ({ message: "Hello from node!", event });
