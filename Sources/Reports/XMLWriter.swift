internal import CLibXML2

/// A libxml2 text writer into memory, valid only inside `XMLWriter.document`.
///
/// Every name, attribute value and text passes through `replacingCharactersInvalidInXML` first: the writer escapes
/// `<&>"` but copies control characters raw.
struct XMLWriter {
    private let writer: OpaquePointer

    /// The indented UTF-8 document that `body` writes.
    static func document(_ body: (XMLWriter) throws -> Void) throws -> String {
        LibXML.initialize()
        guard let buffer = xmlBufferCreate() else { throw ReportError.xmlWriter(call: "xmlBufferCreate") }
        defer { xmlBufferFree(buffer) }
        guard let pointer = xmlNewTextWriterMemory(buffer, 0) else {
            throw ReportError.xmlWriter(call: "xmlNewTextWriterMemory")
        }
        let xml = XMLWriter(writer: pointer)
        let written = Result {
            try xml.check(xmlTextWriterSetIndent(pointer, 1), "xmlTextWriterSetIndent")
            try xml.check(xmlTextWriterSetIndentString(pointer, "  "), "xmlTextWriterSetIndentString")
            try xml.check(xmlTextWriterStartDocument(pointer, "1.0", "UTF-8", nil), "xmlTextWriterStartDocument")
            try body(xml)
            try xml.check(xmlTextWriterEndDocument(pointer), "xmlTextWriterEndDocument")
        }
        // Freeing the writer flushes it: only then does the buffer hold the whole document.
        xmlFreeTextWriter(pointer)
        try written.get()
        guard let content = xmlBufferContent(buffer) else { throw ReportError.xmlWriter(call: "xmlBufferContent") }
        return String(cString: content)
    }

    /// `<name attributes…>`, what `children` writes, then the end tag (`/>` when nothing was written).
    func element(_ name: String, _ attributes: [(name: String, value: String)] = [],
                 children: () throws -> Void = {}) throws {
        try check(xmlTextWriterStartElement(writer, name.replacingCharactersInvalidInXML), "xmlTextWriterStartElement")
        for attribute in attributes {
            try check(xmlTextWriterWriteAttribute(writer, attribute.name.replacingCharactersInvalidInXML,
                                                  attribute.value.replacingCharactersInvalidInXML),
                      "xmlTextWriterWriteAttribute")
        }
        try children()
        try check(xmlTextWriterEndElement(writer), "xmlTextWriterEndElement")
    }

    /// Character data, escaped by the writer.
    func text(_ value: String) throws {
        try check(xmlTextWriterWriteString(writer, value.replacingCharactersInvalidInXML), "xmlTextWriterWriteString")
    }

    private func check(_ status: Int32, _ call: String) throws {
        if status < 0 { throw ReportError.xmlWriter(call: call) }
    }
}
