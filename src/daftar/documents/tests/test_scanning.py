"""Virus scanning: the EICAR simulator, and the clamd client against a fake daemon on a real socket."""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from daftar.core.errors import DomainError
from daftar.documents.scanning import (
    CHUNK_SIZE,
    EICAR,
    ClamdScanner,
    ScannerUnavailable,
    SignatureScanner,
    get_scanner,
)


def test_simulator_flags_the_eicar_test_file_like_clamav() -> None:
    result = SignatureScanner().scan(EICAR)
    assert not result.clean
    assert result.signature == "Eicar-Test-Signature"


def test_simulator_finds_eicar_inside_a_larger_file() -> None:
    assert not SignatureScanner().scan(b"%PDF-1.4\n%" + EICAR + b"\n%%EOF").clean


def test_simulator_passes_ordinary_content() -> None:
    result = SignatureScanner().scan(b"%PDF-1.4 a perfectly ordinary deed %%EOF")
    assert result.clean
    assert result.signature == ""


# --- a fake clamd speaking the real INSTREAM protocol ----------------------------------------------


class FakeClamd(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, reply: bytes | None = None) -> None:
        super().__init__(("127.0.0.1", 0), ClamdHandler)
        self.fixed_reply = reply  # None: scan for EICAR like clamd would
        self.commands: list[bytes] = []
        self.chunk_sizes: list[int] = []
        self.received = b""


class ClamdHandler(socketserver.StreamRequestHandler):
    server: FakeClamd

    def handle(self) -> None:
        command = b""
        while not command.endswith(b"\0"):
            command += self.rfile.read(1)
        self.server.commands.append(command)
        if command != b"zINSTREAM\0":
            self.wfile.write(b"UNKNOWN COMMAND\0")
            return
        stream = b""
        while True:
            (size,) = struct.unpack("!I", self.rfile.read(4))
            self.server.chunk_sizes.append(size)
            if size == 0:
                break
            stream += self.rfile.read(size)
        self.server.received = stream
        if self.server.fixed_reply is not None:
            self.wfile.write(self.server.fixed_reply)
        elif EICAR in stream:
            self.wfile.write(b"stream: Eicar-Test-Signature FOUND\0")
        else:
            self.wfile.write(b"stream: OK\0")


def _serve(server: FakeClamd) -> Iterator[FakeClamd]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def clamd() -> Iterator[FakeClamd]:
    yield from _serve(FakeClamd())


def _scanner(server: FakeClamd, timeout: float = 5.0) -> ClamdScanner:
    host, port = server.server_address[:2]
    return ClamdScanner(host=str(host), port=int(port), timeout=timeout)


def test_clamd_clean_stream_is_reported_clean(clamd: FakeClamd) -> None:
    result = _scanner(clamd).scan(b"%PDF-1.4 ordinary %%EOF")
    assert result.clean
    assert result.signature == ""
    assert clamd.commands == [b"zINSTREAM\0"]


def test_clamd_found_names_the_signature(clamd: FakeClamd) -> None:
    result = _scanner(clamd).scan(b"prefix " + EICAR)
    assert not result.clean
    assert result.signature == "Eicar-Test-Signature"


def test_clamd_receives_the_whole_file_in_length_prefixed_chunks(clamd: FakeClamd) -> None:
    data = bytes(range(256)) * (CHUNK_SIZE // 128 + 3)  # a little over two chunks
    assert _scanner(clamd).scan(data).clean
    assert clamd.received == data
    assert clamd.chunk_sizes[-1] == 0
    assert max(clamd.chunk_sizes) <= CHUNK_SIZE
    assert len(clamd.chunk_sizes) == 4


def test_clamd_error_reply_fails_closed() -> None:
    for server in _serve(FakeClamd(reply=b"INSTREAM size limit exceeded. ERROR\0")):
        with pytest.raises(ScannerUnavailable):
            _scanner(server).scan(b"data")


def test_clamd_connection_refused_fails_closed_with_503() -> None:
    with socket.socket() as probe:  # a port nobody listens on once this socket is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ScannerUnavailable) as raised:
        ClamdScanner(host="127.0.0.1", port=port, timeout=2).scan(b"data")
    error = raised.value
    assert isinstance(error, DomainError)
    assert error.status == 503
    assert error.code == "document.scanning_unavailable"
    assert str(port) in error.detail


def test_clamd_that_never_answers_fails_closed_after_the_timeout() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the connection (backlog) but never reads or replies
        port = silent.getsockname()[1]
        with pytest.raises(ScannerUnavailable):
            ClamdScanner(host="127.0.0.1", port=port, timeout=0.3).scan(b"data")


def test_settings_choose_the_scanner(settings: Settings) -> None:
    settings.DAFTAR_VIRUS_SCANNER = "signature"
    assert isinstance(get_scanner(), SignatureScanner)
    settings.DAFTAR_VIRUS_SCANNER = "clamd"
    settings.DAFTAR_CLAMD_HOST = "clamav.internal"
    settings.DAFTAR_CLAMD_PORT = 3311
    scanner = get_scanner()
    assert isinstance(scanner, ClamdScanner)
    assert (scanner.host, scanner.port) == ("clamav.internal", 3311)


def test_unknown_scanner_setting_is_a_configuration_error(settings: Settings) -> None:
    settings.DAFTAR_VIRUS_SCANNER = "none"
    with pytest.raises(ImproperlyConfigured):
        get_scanner()
