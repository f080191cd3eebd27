import Foundation
import Testing

@testable import Validator

#if canImport(Glibc)
    import Glibc
#endif

/// The demo's and the tests' HTTP client: a server that stops answering fails a request at the
/// client's timeout, and a connection the client gave up is never closed a second time.
@Suite struct LoopbackHTTPClientTests {
    /// A socket listening on a free port of 127.0.0.1 that accepts nothing: connections complete
    /// in the kernel's backlog and no byte ever comes back.
    final class SilentListener {
        let fd: Int32
        let port: Int

        init() throws {
            let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            fd = sock
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(sock, $0, length) == 0 && listen(sock, 8) == 0 && getsockname(sock, $0, &length) == 0
                }
            }
            try #require(ok, "listen: errno \(errno)")
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        /// Accepts one connection, reads one request head and answers it with `Connection:
        /// close`, then closes the connection and stops listening.
        func answerOnceAndClose() {
            let listener = fd
            Thread {
                let connection = accept(listener, nil, nil)
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                let answer = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".utf8)
                _ = answer.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, 0) }
                close(connection)
                close(listener)
            }.start()
        }
    }

    @Test func aServerThatSendsNothingFailsTheRequestAtTheTimeout() throws {
        let server = try SilentListener()
        defer { close(server.fd) }
        let client = try LoopbackHTTPClient(port: server.port, timeout: 0.3)
        let start = ContinuousClock.now
        #expect {
            try client.get("/v1/status")
        } throws: { error in
            guard case LoopbackHTTPClient.ClientError.timedOut(let what) = error else { return false }
            return what.contains("sent no byte for 0.3 s")
        }
        // Bounded, not measured: a missing timeout blocks for ever, not for a few seconds.
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    /// After `Connection: close` the client reconnects; when that fails it must forget the old
    /// descriptor, or releasing the client closes whatever the process opened under that number
    /// since — which is how other tests' sockets were being closed under them.
    @Test func aConnectionGivenUpIsNotClosedTwice() throws {
        for _ in 0..<10 {
            let server = try SilentListener()
            server.answerOnceAndClose()
            var client: LoopbackHTTPClient? = try LoopbackHTTPClient(port: server.port, timeout: 5)
            #expect(try client?.get("/").text == "ok")
            // The client's old descriptor is closed and its reconnection refused: the lowest
            // free numbers are now the ones it had.
            var fds: [Int32] = [0, 0]
            #expect(pipe(&fds) == 0)
            client = nil
            for fd in fds { #expect(fcntl(fd, F_GETFD) != -1, "descriptor \(fd) was closed by the client") }
            for fd in fds { close(fd) }
        }
    }
}
