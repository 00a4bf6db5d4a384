// A Node.js handler run by aws-lambda-ric as the image's entry point
// (CMD ["index.handler"]); the client loads it from its working directory.
export const handler = async (event) => ({ message: "Hello from aws-lambda-ric!", cwd: process.cwd(), event });
