"""Raw baselines: what the machine does without wuji — gRPC, signatures, SQLite commits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from signing import sm2

_ECHO = "/bench.Raw/Echo"
_STREAM = "/bench.Raw/Stream"
_SIGNED_STREAM = "/bench.Raw/SignedStream"
_SIGNER = ec.generate_private_key(ec.SECP256R1())
_ECDSA = ec.ECDSA(hashes.SHA256())


def _signed(payload: bytes) -> bytes:
    """A message of the payload's size: signature length, signature, then the signed bytes."""
    body = payload[: max(0, len(payload) - 80)]
    signature = _SIGNER.sign(body, _ECDSA)
    return bytes([len(signature)]) + signature + body


@dataclass(frozen=True)
class Tls:
    """The mTLS of a real link: the answering node's server credentials, the dialling node's channel
    credentials, and the name the dialler asks for (the links' own certificates and checks)."""

    server: grpc.ServerCredentials
    channel: grpc.ChannelCredentials
    server_name: str


@dataclass(frozen=True)
class StreamRates:
    unary_per_s: float  # unary round trips/s (one message each way)
    messages_per_s: float  # one message per case
    batched_per_s: float  # payloads/s when sent `batch` to a message, as a link batches them
    batch: int
    # one message per case, each message's ECDSA P-256 signature verified by the receiver (the
    # least a destination must do with an envelope signed by its origin)
    signed_messages_per_s: float = 0.0


def _identity(data: bytes) -> bytes:
    return data


async def _serve(tls: Tls | None) -> tuple[grpc.aio.Server, int]:
    async def echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return request

    async def stream(
        requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[bytes]:
        count = 0
        async for _ in requests:
            count += 1
        yield count.to_bytes(8, "big")

    async def signed_stream(
        requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[bytes]:
        count = 0
        public = _SIGNER.public_key()
        async for message in requests:
            length = message[0]
            public.verify(message[1 : 1 + length], message[1 + length :], _ECDSA)
            count += 1
        yield count.to_bytes(8, "big")

    handlers = {
        "Echo": grpc.unary_unary_rpc_method_handler(echo, _identity, _identity),
        "Stream": grpc.stream_stream_rpc_method_handler(stream, _identity, _identity),
        "SignedStream": grpc.stream_stream_rpc_method_handler(signed_stream, _identity, _identity),
    }
    server = grpc.aio.server(options=_OPTIONS)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("bench.Raw", handlers),))
    if tls is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", tls.server)
    await server.start()
    return server, port


_OPTIONS = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]


def _channel(port: int, tls: Tls | None) -> grpc.aio.Channel:
    if tls is None:
        return grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=_OPTIONS)
    options = [*_OPTIONS, ("grpc.ssl_target_name_override", tls.server_name)]
    return grpc.aio.secure_channel(f"127.0.0.1:{port}", tls.channel, options=options)


async def _grpc_rates(
    payload: bytes, unary_calls: int, stream_messages: int, batch: int, tls: Tls | None
) -> StreamRates:
    server, port = await _serve(tls)
    try:
        async with _channel(port, tls) as channel:
            echo = channel.unary_unary(_ECHO, request_serializer=_identity, response_deserializer=_identity)
            await echo(payload)
            started = time.perf_counter()
            for _ in range(unary_calls):
                await echo(payload)
            unary_rate = unary_calls / (time.perf_counter() - started)
            stream = channel.stream_stream(
                _STREAM, request_serializer=_identity, response_deserializer=_identity
            )

            async def timed(message: bytes, count: int) -> float:
                async def messages() -> AsyncIterator[bytes]:
                    for _ in range(count):
                        yield message

                started = time.perf_counter()
                async for reply in stream(messages()):
                    assert int.from_bytes(reply, "big") == count
                return time.perf_counter() - started

            stream_rate = stream_messages / await timed(payload, stream_messages)
            frames = max(1, stream_messages // batch)
            batched_rate = frames * batch / await timed(payload * batch, frames)
            stream = channel.stream_stream(
                _SIGNED_STREAM, request_serializer=_identity, response_deserializer=_identity
            )
            signed_rate = stream_messages / await timed(_signed(payload), stream_messages)
    finally:
        await server.stop(None)
    return StreamRates(unary_rate, stream_rate, batched_rate, batch, signed_rate)


def grpc_rates(
    payload: bytes, unary_calls: int, stream_messages: int, batch: int = 200, tls: Tls | None = None
) -> StreamRates:
    """grpc.aio on loopback, plaintext or with the links' mTLS: unary round trips/s, bidi-stream
    messages/s of one payload each, and payloads/s sent `batch` to a message."""
    return asyncio.run(_grpc_rates(payload, unary_calls, stream_messages, batch, tls))


def signature_rates(document: bytes, count: int) -> tuple[float, float]:
    """(signatures/s, verifications/s) of ECDSA P-256 with SHA-256 in `cryptography`."""
    key = ec.generate_private_key(ec.SECP256R1())
    started = time.perf_counter()
    for _ in range(count):
        signature = key.sign(document, ec.ECDSA(hashes.SHA256()))
    sign_rate = count / (time.perf_counter() - started)
    public = key.public_key()
    started = time.perf_counter()
    for _ in range(count):
        public.verify(signature, document, ec.ECDSA(hashes.SHA256()))
    return sign_rate, count / (time.perf_counter() - started)


def sm2_signature_rates(document: bytes, count: int) -> tuple[float, float]:
    """(signatures/s, verifications/s) of SM2 with SM3 in GmSSL (signing/sm2.py), Z included."""
    private, public = sm2.generate_keypair()
    started = time.perf_counter()
    for _ in range(count):
        signature = sm2.sign(private, document)
    sign_rate = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(count):
        sm2.verify(public, signature, document)
    return sign_rate, count / (time.perf_counter() - started)
