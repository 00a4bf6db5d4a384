# The same function with a layer (handler layer.lambda_handler): the layer's
# python/ folder is /opt/python in the function's container, on the module path.
# Needs examples/zip/layer-python.
import greeting


def lambda_handler(event, context):
    return {
        "message": "Hello from a zip-packaged Python function with a layer!",
        "greeting": greeting.greet("python"),
        "greetingPath": greeting.__file__,
        "functionName": context.function_name,
        "memoryLimitInMB": context.memory_limit_in_mb,
        "remainingTimeInMillis": context.get_remaining_time_in_millis(),
        "event": event,
    }
