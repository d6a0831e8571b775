"""gRPC plumbing under the links: channels, server ports, and the Federation servicer.

Channel and server credentials come from `Credentials`, the one seam where mTLS plugs in; this
module knows nothing of cases or catalogues.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import DecodeError, Message
from google.protobuf.message_factory import GetMessageClass

from sync.auth import PeerAuthenticator, require_peer
from sync.link import FrameQueue, LinkProtocolError, OutgoingFrame, serialize_frame
from sync.registry import LinkRefused, LinkRegistry, LinksElsewhere
from wuji.v1 import link_pb2, link_pb2_grpc

log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Credentials:
    """A node's TLS material: mTLS for links and the desk, server-only TLS for enrollment.

    All None gives plaintext, which only the link-layer's own tests use.
    """

    server: grpc.ServerCredentials | None = None
    channel: grpc.ChannelCredentials | None = None
    bootstrap_server: grpc.ServerCredentials | None = None


@dataclass(frozen=True)
class TransportSettings:
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    keepalive_seconds: float = 10.0
    credentials: Credentials = Credentials()

    def channel_options(self) -> list[tuple[str, int]]:
        return [
            ("grpc.max_send_message_length", self.max_message_bytes),
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.keepalive_time_ms", int(self.keepalive_seconds * 1000)),
            ("grpc.keepalive_timeout_ms", 5000),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.max_pings_without_data", 0),
        ]

    def server_options(self) -> list[tuple[str, int]]:
        return [
            ("grpc.max_send_message_length", self.max_message_bytes),
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.http2.min_ping_interval_without_data_ms", 5000),
            ("grpc.keepalive_permit_without_calls", 1),
            # never share a port: a second process of the same node must fail to bind, not split the
            # connections with the first (gRPC sets SO_REUSEPORT by default)
            ("grpc.so_reuseport", 0),
        ]


def open_channel(address: str, settings: TransportSettings, peer_code: str = "") -> grpc.Channel:
    """A channel to the node at address; with peer_code, TLS accepts only that node's certificate."""
    credentials = settings.credentials.channel
    if credentials is None:
        return grpc.insecure_channel(address, options=settings.channel_options())
    options: list[tuple[str, int | str]] = list(settings.channel_options())
    if peer_code:
        options.append(("grpc.ssl_target_name_override", tls_server_name(peer_code)))
    return grpc.secure_channel(address, credentials, options=options)


def tls_server_name(code: str) -> str:
    """The DNS name in every TLS certificate of node `code`; dialers ask for it by name."""
    return f"n{code}.wuji"


def add_port(
    server: grpc.Server, address: str, settings: TransportSettings, *, bootstrap: bool = False
) -> int:
    """Bind the server to address; returns the port (useful when the address asks for port 0)."""
    credentials = settings.credentials.bootstrap_server if bootstrap else settings.credentials.server
    which = _which(bootstrap)
    require_listenable(address, bootstrap=bootstrap)  # first: gRPC's C core prints a line of its own
    try:
        if credentials is None:
            return server.add_insecure_port(address)
        return server.add_secure_port(address, credentials)
    except RuntimeError as error:  # grpcio raises this when bind() fails
        raise OSError(
            f"无法在 {address}{which} 上监听：地址已被另一个程序或节点占用，或这台电脑没有这个地址 "
            f"(cannot listen on {address}: the address is in use or not available)"
        ) from error


def _which(bootstrap: bool) -> str:
    return "（这是证书申请端口：listen 的端口加 1，或 enroll_listen）" if bootstrap else ""


def require_listenable(address: str, *, bootstrap: bool = False) -> None:
    """OSError, in words, where address is taken by another program or is not this machine's; a
    node checks before it makes anything (a new database) that a start which cannot listen leaves."""
    which = _which(bootstrap)
    trouble = _bind_trouble(address)
    if trouble is not None and trouble.errno == errno.EADDRINUSE:
        raise OSError(
            f"{address}{which} 已被占用：另一个程序或另一个节点（也可能是本节点已在运行）正在这个地址上监听；"
            f"请停掉它，或在 node.toml 中换一个端口 (cannot listen on {address}: the address is in use)"
        )
    if trouble is not None:
        raise OSError(
            f"无法在 {address}{which} 上监听：这台电脑没有这个地址，或这个端口不让用（{trouble.strerror}）"
            f"(cannot listen on {address}: not available)"
        )


def _bind_trouble(address: str) -> OSError | None:
    """Why address cannot be listened on, found by binding a socket to it for a moment (as gRPC
    does, SO_REUSEADDR and no SO_REUSEPORT); None where it looks free or cannot be told, and gRPC
    tries. An address in use anywhere it resolves to is in use; another error counts only where
    every resolved address fails (localhost on a machine without IPv6 still binds 127.0.0.1)."""
    host, _, port = address.rpartition(":")
    if not port.isdigit() or int(port) == 0:
        return None
    try:
        found = socket.getaddrinfo(
            host.strip("[]") or None, int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except OSError:
        return None
    failures: list[OSError] = []
    for family, kind, protocol, _, where in found:
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(where)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    return error
                failures.append(error)
    return failures[0] if found and len(failures) == len(found) else None


class MalformedMessage:
    """What a request that does not parse becomes, so the service can answer INVALID_ARGUMENT."""

    def __init__(self, type_name: str, error: Exception) -> None:
        self.reason = f"malformed {type_name}: {error or 'cannot be parsed'}"


def _lenient_parser(message_class: type[Message]) -> Callable[[bytes], Message | MalformedMessage]:
    def parse(data: bytes) -> Message | MalformedMessage:
        try:
            return message_class.FromString(data)
        except DecodeError as error:  # bad wire format or invalid UTF-8 in a string field
            return MalformedMessage(message_class.DESCRIPTOR.full_name, error)

    return parse


def register_service(server: grpc.Server, service: ServiceDescriptor, servicer: object) -> None:
    """Serve servicer's methods for service, answering unparsable requests with INVALID_ARGUMENT.

    (The stubs' own add_*_to_server would answer them with a bare INTERNAL error.)
    """
    handlers: dict[str, grpc.RpcMethodHandler] = {}
    for method in service.methods:
        parse = _lenient_parser(GetMessageClass(method.input_type))
        serialize = _serializer(GetMessageClass(method.output_type))
        behaviour = getattr(servicer, method.name)
        if method.client_streaming and method.server_streaming:
            handlers[method.name] = grpc.stream_stream_rpc_method_handler(
                behaviour, request_deserializer=parse, response_serializer=serialize
            )
        elif not method.client_streaming and not method.server_streaming:
            handlers[method.name] = grpc.unary_unary_rpc_method_handler(
                _refusing_malformed(behaviour), request_deserializer=parse, response_serializer=serialize
            )
        else:
            raise NotImplementedError(f"{method.full_name}: only unary and bidirectional RPCs are used")
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service.full_name, handlers),))


def _serializer(message_class: type[Message]) -> Callable[[Any], bytes]:
    """A link's outgoing frames may also be stored envelopes (sync.link.OutgoingFrame)."""
    if message_class is link_pb2.LinkFrame:
        return serialize_frame
    return message_class.SerializeToString


def _refusing_malformed(behaviour: Callable[[Any, grpc.ServicerContext], Any]) -> Callable[..., Any]:
    def handle(request: Any, context: grpc.ServicerContext) -> Any:
        if isinstance(request, MalformedMessage):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.reason)
        return behaviour(request, context)

    return handle


class FederationServicer(link_pb2_grpc.FederationServicer):
    """Answers links dialled by neighbours (children, later peer provinces)."""

    def __init__(self, registry: LinkRegistry, authenticator: PeerAuthenticator) -> None:
        self._registry = registry
        self._authenticator = authenticator

    def Link(
        self, request_iterator: Iterator[link_pb2.LinkFrame], context: grpc.ServicerContext
    ) -> Iterator[OutgoingFrame]:
        peer = require_peer(self._authenticator, context)
        first = next(request_iterator, None)
        if isinstance(first, MalformedMessage) or first is None or not first.HasField("hello"):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the first frame of a link must be Hello")
        if first.hello.node_code != peer.value:
            context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"Hello names {first.hello.node_code} but the certificate is for {peer}",
            )
        try:
            link = self._registry.accept(peer.value)
        except LinkRefused as refused:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, str(refused))
        except LinksElsewhere as standby:
            context.abort(grpc.StatusCode.UNAVAILABLE, str(standby))
        outgoing = FrameQueue()
        outgoing.put(link_pb2.LinkFrame(hello=link.hello()))
        try:
            session = link.open_session(first.hello, _checked(request_iterator), outgoing)
        except LinkProtocolError as error:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(error))
        context.add_callback(lambda: session.close("stream ended"))
        yield from outgoing
        if session.close_reason.startswith(_MALFORMED):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, session.close_reason)


_MALFORMED = "receive failed: malformed"


def _checked(frames: Iterator[Any]) -> Iterator[link_pb2.LinkFrame]:
    """Frames of a stream; a frame that does not parse ends the stream with its reason."""
    for frame in frames:
        if isinstance(frame, MalformedMessage):
            raise LinkProtocolError(frame.reason)
        yield frame
