from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class EnrollRequest(_message.Message):
    __slots__ = ("token", "code", "ca_csr_pem", "tls_csr_pem", "seal_ca_csr_pem")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    CA_CSR_PEM_FIELD_NUMBER: _ClassVar[int]
    TLS_CSR_PEM_FIELD_NUMBER: _ClassVar[int]
    SEAL_CA_CSR_PEM_FIELD_NUMBER: _ClassVar[int]
    token: str
    code: str
    ca_csr_pem: bytes
    tls_csr_pem: bytes
    seal_ca_csr_pem: bytes
    def __init__(self, token: _Optional[str] = ..., code: _Optional[str] = ..., ca_csr_pem: _Optional[bytes] = ..., tls_csr_pem: _Optional[bytes] = ..., seal_ca_csr_pem: _Optional[bytes] = ...) -> None: ...

class EnrollResponse(_message.Message):
    __slots__ = ("ca_certificate_pem", "tls_certificate_pem", "chain_pem", "root_pem", "crl_pem", "seal_ca_certificate_pem", "seal_chain_pem")
    CA_CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    TLS_CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    CHAIN_PEM_FIELD_NUMBER: _ClassVar[int]
    ROOT_PEM_FIELD_NUMBER: _ClassVar[int]
    CRL_PEM_FIELD_NUMBER: _ClassVar[int]
    SEAL_CA_CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    SEAL_CHAIN_PEM_FIELD_NUMBER: _ClassVar[int]
    ca_certificate_pem: bytes
    tls_certificate_pem: bytes
    chain_pem: bytes
    root_pem: bytes
    crl_pem: _containers.RepeatedScalarFieldContainer[bytes]
    seal_ca_certificate_pem: bytes
    seal_chain_pem: bytes
    def __init__(self, ca_certificate_pem: _Optional[bytes] = ..., tls_certificate_pem: _Optional[bytes] = ..., chain_pem: _Optional[bytes] = ..., root_pem: _Optional[bytes] = ..., crl_pem: _Optional[_Iterable[bytes]] = ..., seal_ca_certificate_pem: _Optional[bytes] = ..., seal_chain_pem: _Optional[bytes] = ...) -> None: ...

class CertifySealRequest(_message.Message):
    __slots__ = ("csr_pem", "seal_id", "seal_name", "valid_from", "valid_to", "picture")
    CSR_PEM_FIELD_NUMBER: _ClassVar[int]
    SEAL_ID_FIELD_NUMBER: _ClassVar[int]
    SEAL_NAME_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    PICTURE_FIELD_NUMBER: _ClassVar[int]
    csr_pem: bytes
    seal_id: str
    seal_name: str
    valid_from: str
    valid_to: str
    picture: bytes
    def __init__(self, csr_pem: _Optional[bytes] = ..., seal_id: _Optional[str] = ..., seal_name: _Optional[str] = ..., valid_from: _Optional[str] = ..., valid_to: _Optional[str] = ..., picture: _Optional[bytes] = ...) -> None: ...

class CertifySealResponse(_message.Message):
    __slots__ = ("certificate_pem", "chain_pem", "ses_seal")
    CERTIFICATE_PEM_FIELD_NUMBER: _ClassVar[int]
    CHAIN_PEM_FIELD_NUMBER: _ClassVar[int]
    SES_SEAL_FIELD_NUMBER: _ClassVar[int]
    certificate_pem: bytes
    chain_pem: bytes
    ses_seal: bytes
    def __init__(self, certificate_pem: _Optional[bytes] = ..., chain_pem: _Optional[bytes] = ..., ses_seal: _Optional[bytes] = ...) -> None: ...

class TimestampRequest(_message.Message):
    __slots__ = ("imprint", "nonce")
    IMPRINT_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    imprint: bytes
    nonce: int
    def __init__(self, imprint: _Optional[bytes] = ..., nonce: _Optional[int] = ...) -> None: ...

class TimestampResponse(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: bytes
    def __init__(self, token: _Optional[bytes] = ...) -> None: ...
