import Mongo
import Testing

@Suite struct RedactorTests {
    @Test(arguments: [
        ("mongodb://admin:hunter2@db.example:27017/earlybird", "hunter2"),
        ("mongodb://admin:p%40ss%3Aword@db.example/?authSource=admin", "p%40ss%3Aword"),
        ("mongodb://admin:pa:ss@db.example", "pa:ss"),
        ("mongodb://admin:p@ss@db.example/x", "p@ss"),
        ("mongodb+srv://ops:S3cret!@cluster0.example.net/?retryWrites=true", "S3cret!"),
    ])
    func passwordIsFoundAndMasked(uri: String, password: String) {
        #expect(Redactor.password(inURI: uri) == password)
        let shown = Redactor.displayURI(uri)
        #expect(!shown.contains(password), "\(shown)")
        #expect(shown.contains(Redactor.mask))
        #expect(shown.contains("db.example") || shown.contains("cluster0"))
    }

    @Test func piecesOfAPasswordSplitByAParserAreMaskedToo() {
        let uri = "mongodb://admin:open@sesame@db.example"
        // libmongoc would complain about host "sesame@db.example": the tail of the password.
        let message = Redactor.redact("Failed to resolve 'sesame@db.example'", secrets: Redactor.secrets(inURI: uri))
        #expect(!message.contains("sesame"))
    }

    @Test func tlsKeyPassphraseIsMaskedLikeAPassword() {
        let uri = "mongodb://db.example/?tls=true&tlsCertificateKeyFile=/k.pem&tlsCertificateKeyFilePassword=k3y%21pass"
        let shown = Redactor.displayURI(uri)
        #expect(!shown.contains("k3y%21pass") && shown.contains("tlsCertificateKeyFile=/k.pem"), "\(shown)")
        let message = Redactor.redact("could not decrypt key with k3y!pass", secrets: Redactor.secrets(inURI: uri))
        #expect(!message.contains("k3y!pass"), "\(message)")
    }

    @Test func uriWithoutPasswordIsUnchanged() {
        #expect(Redactor.displayURI("mongodb://127.0.0.1:27017/earlybird") == "mongodb://127.0.0.1:27017/earlybird")
        #expect(Redactor.password(inURI: "mongodb://user@host") == nil)
    }

    @Test func credentialsInFreeTextAreMasked() {
        let text = Redactor.redact("could not use mongodb://u:topsecret@h:1/db")
        #expect(!text.contains("topsecret"))
    }
}
