internal import CLibXML2

/// One-time set-up of libxml2, which must precede concurrent use.
enum LibXML {
    private static let initialized: Void = xmlInitParser()

    static func initialize() {
        _ = initialized
    }
}
