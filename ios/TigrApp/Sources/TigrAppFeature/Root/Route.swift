import TigrSDK

/// Navigation destinations, one per flow. A flow receives the scanned payload and calls the
/// SDK itself, so a flow opened by the scanner and one opened by a Universal Link behave alike.
enum Route: Hashable {
    case scan
    case enroll(payload: String)
    case login(payload: String)
    case offline(payload: String, tigrId: String?, reason: String?)

    /// The flow of a scanned Tigr code. An OTP code has none: it holds a secret, which never
    /// goes into a route (the navigation path can be saved); the scanner adds it itself.
    static func forCode(_ code: ScannedCode) -> Route? {
        switch code {
        case .invitation(let code): return .enroll(payload: code.payload)
        case .login(let code): return .login(payload: code.payload)
        case .otpAccounts: return nil
        }
    }
}
