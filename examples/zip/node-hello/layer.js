// The same function with a layer (handler layer.handler): CommonJS, as a layer's
// modules in /opt/nodejs/node_modules are found through NODE_PATH, which only
// require() reads (an ES module's import does not). Needs examples/zip/layer-node.
const greeting = require("greeting");

exports.handler = async (event, context) => ({
        message: "Hello from a zip-packaged Node.js function with a layer!",
        greeting: greeting.greet("node"),
        greetingPath: require.resolve("greeting"),
        functionName: context.functionName,
        memoryLimitInMB: context.memoryLimitInMB,
        remainingTimeInMillis: context.getRemainingTimeInMillis(),
        event,
});
