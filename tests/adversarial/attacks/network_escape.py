# target: 04_collate
# base: solution
# stopped-at: contained
"""Tries the network: TCP to 1.1.1.1:53, a DNS lookup, UDP to 8.8.8.8, and the grader's
own listening sockets (a TCP port on 127.0.0.1 and a Unix socket the tests open).

Each success sends the marker and is listed in an error raised at import,
which the judge puts into feedback. Sandboxes have no network and see no
socket file: the tests' listeners receive nothing and no result mentions
an escape. (On a machine with no route out the first three fail anyway;
the local listeners are the real test.)
"""
import socket

_GOT = []


def _try(what, connect):
    try:
        connect()
    except OSError:
        return
    _GOT.append(what)


def _tcp(host, port):
    with socket.create_connection((host, port), timeout=1) as connection:
        connection.sendall(b"@MARKER@")


def _unix(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(1)
        connection.connect(path)
        connection.sendall(b"@MARKER@")


def _udp():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagram:
        datagram.settimeout(1)
        datagram.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01",
                        ("8.8.8.8", 53))
        datagram.recv(512)


_try("tcp 1.1.1.1:53", lambda: _tcp("1.1.1.1", 53))
_try("dns", lambda: socket.getaddrinfo("pypi.org", 443))
_try("udp 8.8.8.8:53", _udp)
_try("tcp 127.0.0.1:@PORT@", lambda: _tcp("127.0.0.1", int("@PORT@")))
_try("unix @UNIX@", lambda: _unix("@UNIX@"))
if _GOT:
    raise RuntimeError(f"@MARKER@:escaped: network reached: {', '.join(_GOT)}")
