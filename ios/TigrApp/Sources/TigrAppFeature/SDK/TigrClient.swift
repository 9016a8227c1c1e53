import Foundation
import TigrSDK

/// The Tigr SDK calls the screens make, one to one with `TigrSDK` (see docs/mobile.md).
/// Every method but `minutesUntil` BLOCKS (vault, PIN derivation, network): call them through
/// ``TigrService``, which runs them off the main thread. The protocol is the seam for a fake in
/// previews/tests; it also holds the app's clock, which the SDK's texts and block times need.
public protocol TigrClient: AnyObject {
    var language: String { get }
    func accounts() throws -> [Account]
    func parseCode(text: String) throws -> ScannedCode
    func scan(text: String) throws -> ScanResult
    func enroll(payload: String, pin: String, pinConfirmation: String, deviceName: String) throws -> Account
    func approve(payload: String, tigrId: String?, pin: String) throws
    func deny(payload: String, tigrId: String?) throws
    func offlineCode(payload: String, tigrId: String?, pin: String) throws -> OfflineCode
    func removeAccount(serverOrigin: String, tigrId: String) throws
    func otpAccounts() throws -> [OtpAccount]
    func addOtpAccounts(text: String) throws -> [OtpAccount]
    /// The code of OTP account `id` at the app's clock (`now()`); the next one for HOTP.
    func otpCode(id: String) throws -> OtpCode
    func renameOtpAccount(id: String, issuer: String?, accountName: String) throws -> OtpAccount
    func removeOtpAccount(id: String) throws
    /// The app's clock, Unix seconds (no I/O): TOTP countdowns and the codes agree on it.
    func now() -> Int64
    /// The sentence to show for `error`, in `language`, counted with the app's clock.
    func errorMessage(_ error: TigrError) -> String
    /// Minutes until a temporary block's `blockedUntil`, by the app's clock (no I/O).
    func minutesUntil(_ blockedUntil: Int64) -> Int
}

/// The real SDK: one `Authenticator` over the vault folder, in the UI language. The
/// authenticator is opened on first use (off the main thread); if opening fails, the next call
/// tries again. `now` is the app's clock in Unix seconds.
final class AuthenticatorClient: TigrClient {
    let language: String
    private let storageDir: URL
    private let keyProtector: KeyProtector
    private let clock: () -> Int64
    private let lock = NSLock()
    private var opened: Authenticator?

    init(
        storageDir: URL,
        keyProtector: KeyProtector,
        language: String,
        now: @escaping () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.storageDir = storageDir
        self.keyProtector = keyProtector
        self.language = language
        self.clock = now
    }

    private func authenticator() throws -> Authenticator {
        lock.lock()
        defer { lock.unlock() }
        if let opened { return opened }
        let created = try Authenticator(
            storageDir: storageDir.path,
            keyProtector: keyProtector,
            language: language
        )
        opened = created
        return created
    }

    func accounts() throws -> [Account] { try authenticator().accounts() }

    func parseCode(text: String) throws -> ScannedCode { try TigrSDK.parseCode(text: text) }

    func scan(text: String) throws -> ScanResult { try authenticator().scan(text: text) }

    func enroll(payload: String, pin: String, pinConfirmation: String, deviceName: String) throws -> Account {
        try authenticator().enroll(payload: payload, pin: pin, pinConfirmation: pinConfirmation, deviceName: deviceName)
    }

    func approve(payload: String, tigrId: String?, pin: String) throws {
        try authenticator().approve(payload: payload, tigrId: tigrId, pin: pin)
    }

    func deny(payload: String, tigrId: String?) throws {
        try authenticator().deny(payload: payload, tigrId: tigrId)
    }

    func offlineCode(payload: String, tigrId: String?, pin: String) throws -> OfflineCode {
        try authenticator().offlineCode(payload: payload, tigrId: tigrId, pin: pin)
    }

    func removeAccount(serverOrigin: String, tigrId: String) throws {
        try authenticator().removeAccount(serverOrigin: serverOrigin, tigrId: tigrId)
    }

    func otpAccounts() throws -> [OtpAccount] { try authenticator().otpAccounts() }

    func addOtpAccounts(text: String) throws -> [OtpAccount] {
        try authenticator().addOtpAccounts(text: text)
    }

    func otpCode(id: String) throws -> OtpCode {
        try authenticator().otpCode(id: id, nowUnix: now())
    }

    func renameOtpAccount(id: String, issuer: String?, accountName: String) throws -> OtpAccount {
        try authenticator().renameOtpAccount(id: id, issuer: issuer, accountName: accountName)
    }

    func removeOtpAccount(id: String) throws { try authenticator().removeOtpAccount(id: id) }

    func now() -> Int64 { clock() }

    func errorMessage(_ error: TigrError) -> String {
        TigrSDK.errorMessage(error: error, language: language, nowUnix: now())
    }

    func minutesUntil(_ blockedUntil: Int64) -> Int {
        Int(TigrSDK.minutesUntil(until: blockedUntil, nowUnix: now()))
    }
}
