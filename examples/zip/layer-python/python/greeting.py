# A module in a Lambda layer for Python: the layer's python/ folder is /opt/python
# in the function's container, on the runtime's module path.


def greet(who):
    return "Hello, %s, from the greeting layer!" % who
