import Foundation
import TigrSDK

/// The outcome of one SDK call, as the screen models see it.
enum SdkResult<T> {
    case success(T)
    /// `error` is a `TigrError` for every failure the SDK describes (models switch on it);
    /// `message` is the sentence to show, in the UI language.
    case failure(Error, message: String)
}

/// Runs SDK calls on a background queue and turns errors into ``SdkResult``. One per process.
final class TigrService: @unchecked Sendable {
    static let shared = TigrService()

    private let queue = DispatchQueue(label: "fr.tigr.sdk", qos: .userInitiated, attributes: .concurrent)
    private let lock = NSLock()
    private var client: TigrClient?
    private let makeClient: (String) -> TigrClient

    /// - Parameter makeClient: builds a client for a language (tests pass a fake).
    init(makeClient: ((String) -> TigrClient)? = nil) {
        self.makeClient = makeClient ?? { language in
            AuthenticatorClient(
                storageDir: TigrService.vaultDirectory(),
                keyProtector: SecureEnclaveKeyProtector(),
                language: language
            )
        }
    }

    /// The client for the current UI language (re-created if the language changed).
    private func currentClient() -> TigrClient {
        lock.lock()
        defer { lock.unlock() }
        let language = sdkLanguage()
        if let client, client.language == language { return client }
        let created = makeClient(language)
        client = created
        return created
    }

    func call<T>(_ body: @escaping (TigrClient) throws -> T) async -> SdkResult<T> {
        await withCheckedContinuation { continuation in
            queue.async {
                let client = self.currentClient()
                do {
                    continuation.resume(returning: .success(try body(client)))
                } catch let error as TigrError {
                    continuation.resume(returning: .failure(error, message: client.errorMessage(error)))
                } catch {
                    continuation.resume(returning: .failure(error, message: L("error.unexpected")))
                }
            }
        }
    }

    /// Minutes until a temporary block ends (`TigrError.AccountBlocked`'s `blockedUntil`), by the
    /// app's clock. Pure arithmetic: safe on the main thread.
    func minutesUntil(_ blockedUntil: Int64) -> Int {
        currentClient().minutesUntil(blockedUntil)
    }

    /// The app's clock, Unix seconds (what TOTP countdowns count with). No I/O.
    func now() -> Int64 { currentClient().now() }

    /// Application Support/tigr: never backed up, encrypted while the phone is locked.
    static func vaultDirectory() -> URL {
        let base = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
        var dir = base.appendingPathComponent("tigr", isDirectory: true)
        try? FileManager.default.createDirectory(
            at: dir,
            withIntermediateDirectories: true,
            attributes: [.protectionKey: FileProtectionType.complete]
        )
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try? dir.setResourceValues(values)
        return dir
    }
}
