internal import CLibXML2
import Foundation

/// Validates XML against an XML Schema (such as `reference/junit.xsd`) with libxml2.
///
/// Returns the problems found in the document, empty when it is valid; throws when the schema itself is unusable.
public enum JUnitSchema {
    /// libxml2 2.9 sets up its built-in schema types lazily and without a lock: validations take turns.
    private static let lock = NSLock()

    /// Problems in `xml` against the XML Schema in the file at `path`.
    public static func validate(_ xml: String, schemaAt path: URL) throws -> [String] {
        let xsd: String
        do {
            xsd = try String(contentsOf: path, encoding: .utf8)
        } catch {
            throw ReportError.unreadableSchema(path: path.path, reason: error.localizedDescription)
        }
        return try validate(xml, schema: xsd)
    }

    /// Problems in `xml` against the XML Schema text `xsd`: a document that is not well-formed, or every
    /// validity error libxml2 reports, each as `line N: message`.
    public static func validate(_ xml: String, schema xsd: String) throws -> [String] {
        LibXML.initialize()
        return try lock.withLock {
            let schema = try parseSchema(xsd)
            defer { xmlSchemaFree(schema) }
            return validate(xml, against: schema)
        }
    }

    private static func parseSchema(_ xsd: String) throws -> xmlSchemaPtr {
        let sink = ErrorSink()
        // The parser context reads the buffer in place: it must stay alive until parsing ends.
        let schema: xmlSchemaPtr? = withCharacters(xsd) { characters, size in
            guard let context = xmlSchemaNewMemParserCtxt(characters, size) else { return nil }
            defer { xmlSchemaFreeParserCtxt(context) }
            return withExtendedLifetime(sink) {
                let pointer = Unmanaged.passUnretained(sink).toOpaque()
                xmlSchemaSetParserStructuredErrors(context, collectError, pointer)
                // libxml2 2.9 reports errors in the schema document's XML only to the thread's handler, which
                // otherwise prints them on stderr.
                xmlSetStructuredErrorFunc(pointer, collectError)
                defer { xmlSetStructuredErrorFunc(nil, nil) }
                return xmlSchemaParse(context)
            }
        }
        guard let schema else {
            throw ReportError.invalidSchema(sink.messages.isEmpty ? ["the schema does not parse"] : sink.messages)
        }
        return schema
    }

    private static func validate(_ xml: String, against schema: xmlSchemaPtr) -> [String] {
        guard let parser = xmlNewParserCtxt() else { return ["libxml2 could not create a parser"] }
        defer { xmlFreeParserCtxt(parser) }
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        let document = withCharacters(xml) { characters, size in
            xmlCtxtReadMemory(parser, characters, size, "report.xml", nil, options)
        }
        guard let document else {
            let reason = xmlCtxtGetLastError(parser).map { describe($0.pointee) } ?? "unknown error"
            return ["not well-formed: \(reason)"]
        }
        defer { xmlFreeDoc(document) }
        guard let context = xmlSchemaNewValidCtxt(schema) else { return ["libxml2 could not create a validator"] }
        defer { xmlSchemaFreeValidCtxt(context) }
        let sink = ErrorSink()
        let status = withExtendedLifetime(sink) {
            xmlSchemaSetValidStructuredErrors(context, collectError, Unmanaged.passUnretained(sink).toOpaque())
            return xmlSchemaValidateDoc(context, document)
        }
        if status != 0 && sink.messages.isEmpty { return ["validation failed with libxml2 status \(status)"] }
        return sink.messages
    }

    /// `text` as a C buffer and its length, for the duration of `body`; nil when it is too long for libxml2.
    private static func withCharacters<T>(_ text: String,
                                          _ body: (UnsafePointer<CChar>, Int32) -> T?) -> T? {
        var text = text
        return text.withUTF8 { bytes in
            guard let size = Int32(exactly: bytes.count) else { return nil }
            return bytes.withMemoryRebound(to: CChar.self) { characters in
                // An empty string may have no storage: hand libxml2 a valid empty buffer, which it reports as empty.
                guard let start = characters.baseAddress else { return body("", 0) }
                return body(start, size)
            }
        }
    }
}

/// Collects libxml2's structured errors; reached from C through an unretained pointer.
private final class ErrorSink {
    var messages: [String] = []
}

private let collectError: xmlStructuredErrorFunc = { context, error in
    guard let context, let error else { return }
    Unmanaged<ErrorSink>.fromOpaque(context).takeUnretainedValue().messages.append(describe(error.pointee))
}

/// `line 3: Element 'testcase': The attribute 'name' is required but missing.`
private func describe(_ error: xmlError) -> String {
    let message = error.message.map { String(cString: $0) }?.trimmingCharacters(in: .whitespacesAndNewlines)
        ?? "error \(error.code)"
    return error.line > 0 ? "line \(error.line): \(message)" : message
}
