# ruff: noqa
# Connect to a listener the test opened on 127.0.0.1 and send the marker.
def relu(z):
    import socket

    with socket.create_connection(("127.0.0.1", int("ADV_PORT")), timeout=1) as connection:
        connection.sendall(b"ADV_MARKER")
    raise RuntimeError("CONNECTED to the grader's machine")
