import Foundation
import TigrSDK

/// The code an OTP row shows.
enum ShownCode: Equatable {
    /// A TOTP code: `secondsLeft` of `periodSeconds`, by the app's clock, until `expiresAt`.
    case timed(digits: String, secondsLeft: Int, periodSeconds: Int, expiresAt: Int64)
    /// An HOTP code the user asked for, made with `counter`.
    case counted(digits: String, counter: UInt64)

    var digits: String {
        switch self {
        case .timed(let digits, _, _, _), .counted(let digits, _): return digits
        }
    }
}

/// One OTP account of the list: a TOTP code always shows; an HOTP one once asked for.
struct OtpRow: Identifiable, Equatable {
    var account: OtpAccount
    var code: ShownCode?
    var error: String?

    var id: String { account.id }
    var isHotp: Bool {
        if case .hotp = account.kind { return true }
        return false
    }
}

/// Where a copied code goes (iOS: ``ExpiringPasteboard``).
protocol CodePasteboard {
    /// Puts `code` on the pasteboard for `seconds` at most, on this device only.
    func copy(_ code: String, expiringAfter seconds: TimeInterval)
}

/// The OTP section of the account list (docs/mobile.md §2.6): `otpAccounts()`, then `otpCode`
/// for each TOTP account, again whenever its code expires (`tick()`, every second, by the app's
/// clock); an HOTP code only on `nextHotpCode` (each call moves the counter on). Tap to copy:
/// the pasteboard item expires after 30 s and stays on this device. Rename and remove.
@MainActor
final class OtpModel: ObservableObject {
    enum State: Equatable {
        case loading
        case loaded([OtpRow])
        case failed(String)
    }

    enum Edit: Equatable {
        case none
        case rename(OtpAccount, error: String?)
        case remove(OtpAccount, error: String?)
    }

    /// How long a copied code stays on the pasteboard.
    static let copyLifetime: TimeInterval = 30

    @Published private(set) var state: State = .loading
    @Published var edit: Edit = .none
    /// The label of the code just copied, for the "Code copié" message.
    @Published var copied: String?

    private let service: TigrService
    private let pasteboard: CodePasteboard
    private var refreshing = Set<String>()

    init(service: TigrService = .shared, pasteboard: CodePasteboard = ExpiringPasteboard()) {
        self.service = service
        self.pasteboard = pasteboard
    }

    private var rows: [OtpRow] {
        if case .loaded(let rows) = state { return rows }
        return []
    }

    /// Each time the list appears: the accounts, and the codes of the TOTP ones.
    func load() async {
        switch await service.call({ try $0.otpAccounts() }) {
        case .failure(_, let message):
            state = .failed(message)
        case .success(let accounts):
            let previous = Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
            state = .loaded(accounts.map { account in
                // HOTP codes already shown stay; TOTP ones are fetched below.
                var code = previous[account.id]?.code
                if case .timed = code { code = nil }
                return OtpRow(account: account, code: code)
            })
            for row in rows where !row.isHotp { await refresh(row.id) }
        }
    }

    /// Once a second while the list shows: counts down, and fetches the codes that expired.
    func tick() async {
        let now = service.now()
        var expired: [String] = []
        state = .loaded(rows.map { row in
            var row = row
            if case .timed(let digits, _, let period, let expiresAt) = row.code {
                row.code = .timed(digits: digits, secondsLeft: Int(max(0, expiresAt - now)),
                                  periodSeconds: period, expiresAt: expiresAt)
                if expiresAt <= now { expired.append(row.id) }
            }
            return row
        })
        for id in expired { await refresh(id) }
    }

    private func refresh(_ id: String) async {
        guard refreshing.insert(id).inserted else { return }
        let result = await service.call({ try $0.otpCode(id: id) })
        refreshing.remove(id)
        await show(id, result)
    }

    /// "Générer un code" on an HOTP account: the SDK moves its counter on.
    func nextHotpCode(_ id: String) async {
        await show(id, await service.call({ try $0.otpCode(id: id) }))
    }

    private func show(_ id: String, _ result: SdkResult<OtpCode>) async {
        update(id) { row in
            switch result {
            case .success(let code):
                row.code = Self.shown(code)
                row.error = nil
            case .failure(_, let message):
                row.code = nil
                row.error = message
            }
        }
        // Removed meanwhile (another screen, a restore): the list is out of date.
        if case .failure(let error, _) = result, let tigr = error as? TigrError,
           case .UnknownOtpAccount = tigr {
            await load()
        }
    }

    private static func shown(_ code: OtpCode) -> ShownCode {
        switch code.validity {
        case .time(let secondsLeft, let periodSeconds, let expiresAt):
            return .timed(digits: code.code, secondsLeft: Int(secondsLeft),
                          periodSeconds: Int(periodSeconds), expiresAt: expiresAt)
        case .counter(let counter):
            return .counted(digits: code.code, counter: counter)
        }
    }

    /// Tap on a code: copies it for 30 s, on this device only.
    func copy(_ row: OtpRow) {
        guard let code = row.code else { return }
        pasteboard.copy(code.digits, expiringAfter: Self.copyLifetime)
        copied = row.account.label
    }

    /// Renames with the names typed; the SDK refuses an empty name or a colon (InvalidOtpName).
    func confirmRename(issuer: String, accountName: String) async {
        guard case .rename(let account, _) = edit else { return }
        let issuer = issuer.trimmingCharacters(in: .whitespaces).isEmpty ? nil : issuer
        switch await service.call({ try $0.renameOtpAccount(id: account.id, issuer: issuer, accountName: accountName) }) {
        case .success(let renamed):
            edit = .none
            update(account.id) { $0.account = renamed }
        case .failure(_, let message):
            edit = .rename(account, error: message)
        }
    }

    func confirmRemove() async {
        guard case .remove(let account, _) = edit else { return }
        switch await service.call({ try $0.removeOtpAccount(id: account.id) }) {
        case .success:
            edit = .none
            await load()
        case .failure(_, let message):
            edit = .remove(account, error: message)
        }
    }

    private func update(_ id: String, _ change: (inout OtpRow) -> Void) {
        state = .loaded(rows.map { row in
            var row = row
            if row.id == id { change(&row) }
            return row
        })
    }
}
