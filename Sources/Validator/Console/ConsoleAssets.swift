import Crypto
import Foundation

/// The web console's files (specs/console.md), compiled into the binary from
/// `Sources/Validator/Console/Assets/` (SwiftPM `embedInCode`): a `mesh-validator` executable
/// serves its console wherever it is copied, with no resource bundle to find at run time.
enum ConsoleAssets {
    struct Asset: Sendable {
        var name: String
        var contentType: String
        var bytes: [UInt8]
        /// A strong validator of the bytes: `"` + the first 16 bytes of SHA-256 in hex + `"`.
        var etag: String

        init(_ name: String, _ contentType: String, _ bytes: [UInt8]) {
            self.name = name
            self.contentType = contentType
            self.bytes = bytes
            etag =
                "\"" + SHA256.hash(data: bytes).prefix(16).map { String(format: "%02x", $0) }.joined() + "\""
        }
    }

    /// Every file, by the name it is served under (`/console/<name>`; `index.html` also at `/`).
    /// `ConsoleTests` checks this list against the Assets directory.
    static let all: [String: Asset] = Dictionary(
        uniqueKeysWithValues: [
            Asset("index.html", "text/html; charset=utf-8", PackageResources.index_html),
            Asset("app.js", "text/javascript; charset=utf-8", PackageResources.app_js),
            Asset("verify.js", "text/javascript; charset=utf-8", PackageResources.verify_js),
            Asset("charts.js", "text/javascript; charset=utf-8", PackageResources.charts_js),
            Asset("style.css", "text/css; charset=utf-8", PackageResources.style_css),
            Asset("favicon.svg", "image/svg+xml", PackageResources.favicon_svg),
        ].map { ($0.name, $0) })

    /// The Content-Security-Policy of every console response: only this origin's scripts,
    /// styles, images and fetches; no inline script or style, no plugins, no framing.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}
