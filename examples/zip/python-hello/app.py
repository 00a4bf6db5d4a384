# A zip-packaged Python function (runtime python3.12, handler app.lambda_handler),
# run by the runtime image's bootstrap.py. It says what the context tells it, so
# that a test can see the declaration reach the function.


def lambda_handler(event, context):
    if isinstance(event, dict) and event.get("fail"):
        raise RuntimeError("failed on request")
    return {
        "message": "Hello from a zip-packaged Python function!",
        "functionName": context.function_name,
        "memoryLimitInMB": context.memory_limit_in_mb,
        "remainingTimeInMillis": context.get_remaining_time_in_millis(),
        "event": event,
    }
