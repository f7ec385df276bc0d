import Foundation
import TestSupport
import Testing

/// Fails in CI when the test server is missing, so that a broken harness can never look like a green run.
@Suite struct TestServerConfigurationTests {
    @Test func testServerIsConfiguredInCI() {
        if !TestServer.isAvailable {
            let message = "NO TEST SERVER: ROLLGATE_TEST_URI is unset, every integration test is SKIPPED. "
                + "Run scripts/test.sh."
            FileHandle.standardError.write(Data(("\n*** " + message + " ***\n\n").utf8))
            if TestServer.isCI { Issue.record(Comment(rawValue: message)) }
        }
    }

    @Test func accessAndTLSServersAreConfiguredInCI() {
        guard TestServer.isCI else { return }
        #expect(TestServer.authIsAvailable, "no SCRAM server: scripts/test.sh starts one with --auth")
        #expect(TestServer.accessIsAvailable, "no least-privilege users: scripts/test_server.py --auth creates them")
        #expect(TestServer.tlsIsAvailable, "no TLS server: scripts/test.sh starts one with --tls")
    }
}
