import Foundation
import Findings
import Testing

struct PersonalDataTests {
    @Test(arguments: [
        ("mail ravi.kumar@example.com now", "mail [email] now"),
        ("<a.b+tag@mail.example.co.in>", "<[email]>"),
        ("two: x@y.io, z_1@earlybird.in.", "two: [email], [email]."),
    ])
    func emails(_ text: String, _ masked: String) {
        #expect(PersonalData.mask(text) == masked)
    }

    @Test(arguments: [
        ("from 49.36.12.7", "from [ip]"),
        ("host 10.0.0.5:27017.", "host [ip]:27017."),
        ("255.255.255.255 and 0.0.0.0", "[ip] and [ip]"),
        ("999.1.1.1 stays", "999.1.1.1 stays"),
        ("1.2.3.4.5 stays", "1.2.3.4.5 stays"),
        ("version 2.4.1 stays", "version 2.4.1 stays"),
    ])
    func ipv4Addresses(_ text: String, _ masked: String) {
        #expect(PersonalData.mask(text) == masked)
    }

    @Test(arguments: [
        ("call +91 98765 43210", "call [phone]"),
        ("call +919876543210.", "call [phone]."),
        ("call +91 9876543210", "call [phone]"),
        ("call +91-98765-43210", "call [phone]"),
        ("short +91 98765", "short +91 98765"),
        ("eleven digits +91 987654321012 stay", "eleven digits +91 987654321012 stay"),
        ("no country code 9876543210", "no country code 9876543210"),
    ])
    func indianPhoneNumbers(_ text: String, _ masked: String) {
        #expect(PersonalData.mask(text) == masked)
    }

    @Test(arguments: [
        "Mozilla/5.0 (Linux; Android 13; SM-A145F) Chrome/119.0",
        "EarlyBird-Android/2.4.1 (Redmi Note 12)",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Safari/604.1",
        "EarlyBird-iOS/2.4.0 (iPhone14,5)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0",
        "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
            + "Mobile Safari/537.36",
        "EarlyBird-Android/3.0",
        // Apps nobody listed: any product token with a dotted version is a device string.
        "Dalvik/2.1.0 (Linux; U; Android 11; Pixel 5 Build/RQ3A.211001.001)",
        "okhttp/4.9.0",
        "Milkman-Android/1.2 (Galaxy M14)",
    ])
    func deviceStrings(_ device: String) {
        #expect(PersonalData.mask("via \(device), today") == "via [device], today")
        #expect(PersonalData.mask(device) == "[device]")
    }

    @Test func leavesOrdinaryTextAlone() {
        let text = "orders.billed: 9,996 of 10,000 carry it (99.96 %); index customer_id_1 at 2026-02-01T10:00:00Z"
        #expect(PersonalData.mask(text) == text)
        #expect(PersonalData.mask("") == "")
        // Paths and ranges are not product tokens: no dotted version, or a path before the slash.
        for plain in ["reports/2026-12-03/report.md", "checks/step-23.yaml", "backups/rollback_backup_23", "a/1.5",
                      "file:///tmp/x/2.0.1", "20-23/2"] {
            #expect(PersonalData.mask(plain) == plain)
        }
    }

    @Test func masksEveryClassInOneText() {
        #expect(PersonalData.mask(Fixtures.piiText) == "confirmed by [email] from [ip] on [device], call [phone]")
    }
}

struct PersonalDataCostTests {
    /// Every pattern stays linear: a long run of address-like characters once took minutes. The limit is on this
    /// thread's CPU time, not the wall clock, so a loaded machine (or a test waiting for a thread) cannot fail it:
    /// about 0.2 s here, and a quadratic pattern would take minutes.
    @Test func longTextIsMaskedWithoutHanging() {
        let text = String(repeating: "ab1.", count: 50_000) + " " + String(repeating: "9", count: 200_000)
            + " " + String(repeating: "1.2.", count: 50_000) + " a@b.in"
        let start = Self.threadCPUSeconds()
        #expect(PersonalData.mask(text).hasSuffix("[email]"))
        let spent = Self.threadCPUSeconds() - start
        #expect(spent < 20, "masking 400,000 characters took \(spent) s of CPU")
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
