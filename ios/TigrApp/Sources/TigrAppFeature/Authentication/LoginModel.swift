import Foundation
import TigrSDK

/// One account the user may pick when several of this phone's accounts use the same server.
struct AccountChoice: Hashable {
    let tigrId: String
    let displayName: String?
}

/// Leaving the login route for the offline one.
struct OfflineHandoff: Equatable {
    let tigrId: String?
    let reason: String?
}

/// Login flow for one payload (docs/mobile.md, Login): `scan(text:)` -> `.login(request)`;
/// `request.context == nil` -> offline route; otherwise review -> `approve(payload:tigrId:pin:)`
/// or `deny(payload:tigrId:)`.
@MainActor
final class LoginModel: ObservableObject, PinEntryModel {
    enum Step {
        case loading
        case chooseAccount([AccountChoice], offline: Bool)
        case review(LoginContext, account: AccountChoice?, pinError: String?)
        case sending(LoginContext, denying: Bool)
        case approved(LoginContext)
        case denied(LoginContext)
        case wrongPin(attemptsLeft: Int, message: String)
        /// `minutesLeft`: counted by the app's clock from the SDK's `blockedUntil`; nil: only an
        /// administrator can unblock the account.
        case blocked(message: String, serviceName: String?, minutesLeft: Int?)
        case expired(message: String)
        case revoked(message: String, account: Account?)
        /// `message` nil: the code is an invitation.
        case failed(message: String?, canRetry: Bool, offlinePossible: Bool)
    }

    @Published private(set) var step: Step = .loading
    @Published var pinLength = 0
    /// Set once: leave for the offline route.
    @Published private(set) var offline: OfflineHandoff?
    /// Set once: the flow is over (a revoked account was removed).
    @Published private(set) var finished = false
    let pin = PinBuffer()

    private let payload: String
    private let service: TigrService
    private var request: LoginRequest?
    private var chosen: AccountChoice?

    init(payload: String, service: TigrService = .shared) {
        self.payload = payload
        self.service = service
    }

    func load() async {
        step = .loading
        let payload = self.payload
        switch await service.call({ try $0.scan(text: payload) }) {
        case .failure(let error, let message):
            step = failure(error, message)
        case .success(.login(let request)):
            onRequest(request)
        case .success(.invitation):
            step = .failed(message: nil, canRetry: false, offlinePossible: false)
        }
    }

    private func onRequest(_ request: LoginRequest) {
        self.request = request
        let choices = request.accounts.map { AccountChoice(tigrId: $0.tigrId, displayName: $0.displayName) }
        if choices.count > 1 && chosen == nil {
            step = .chooseAccount(choices, offline: request.context == nil)
        } else {
            chosen = chosen ?? choices.first
            proceed()
        }
    }

    func choose(_ choice: AccountChoice) {
        chosen = choice
        proceed()
    }

    private func proceed() {
        guard let request else { Task { await load() }; return }
        if let context = request.context {
            clearPin()
            step = .review(context, account: chosen, pinError: nil)
        } else {
            offline = OfflineHandoff(tigrId: chosen?.tigrId, reason: request.offlineReason)
        }
    }

    /// "Approuver" with the PIN typed so far.
    func approve() {
        guard case .review(let context, let account, _) = step else { return }
        let typed = takePin()
        let payload = self.payload
        let tigrId = chosen?.tigrId
        step = .sending(context, denying: false)
        Task {
            switch await service.call({ try $0.approve(payload: payload, tigrId: tigrId, pin: typed) }) {
            case .success:
                step = .approved(context)
            case .failure(let error, let message):
                if case .InvalidPin? = error as? TigrError {
                    step = .review(context, account: account, pinError: message)
                } else {
                    step = failure(error, message)
                }
            }
        }
    }

    /// "Ce n'était pas moi": no PIN; the server records the denial.
    func deny() {
        guard case .review(let context, _, _) = step else { return }
        clearPin()
        let payload = self.payload
        let tigrId = chosen?.tigrId
        step = .sending(context, denying: true)
        Task {
            switch await service.call({ try $0.deny(payload: payload, tigrId: tigrId) }) {
            case .success: step = .denied(context)
            case .failure(let error, let message): step = failure(error, message)
            }
        }
    }

    /// "Réessayer": after a wrong PIN or a network/server fault, back to the PIN.
    func retry() async {
        if request?.context == nil { await load() } else { proceed() }
    }

    /// "Obtenir un code hors connexion" after a network failure.
    func goOffline() {
        clearPin()
        offline = OfflineHandoff(tigrId: chosen?.tigrId, reason: request?.offlineReason)
    }

    /// On `.revoked`: forget the account here, then leave.
    func removeRevokedAccount() async {
        guard case .revoked(_, let account?) = step else { return }
        let origin = account.serverOrigin
        let tigrId = account.tigrId
        switch await service.call({ try $0.removeAccount(serverOrigin: origin, tigrId: tigrId) }) {
        case .success: finished = true
        case .failure(_, let message): step = .failed(message: message, canRetry: false, offlinePossible: false)
        }
    }

    /// The step for a failed call: every SDK error is mapped (a new one does not compile).
    private func failure(_ error: Error, _ message: String) -> Step {
        guard let tigr = error as? TigrError else {
            return .failed(message: message, canRetry: false, offlinePossible: false)
        }
        switch tigr {
        case .WrongPin(let attemptsLeft):
            return .wrongPin(attemptsLeft: Int(attemptsLeft), message: message)
        case .AccountBlocked(let blockedUntil):
            return .blocked(message: message, serviceName: request?.context?.serviceName,
                            minutesLeft: blockedUntil.map { service.minutesUntil($0) })
        case .ChallengeExpired:
            return .expired(message: message)
        case .PhoneRevoked:
            return .revoked(message: message, account: request?.accounts.first { $0.tigrId == chosen?.tigrId })
        case .AccountChoiceNeeded(let tigrIds):
            let choices = tigrIds.map { id in
                AccountChoice(tigrId: id, displayName: request?.accounts.first { $0.tigrId == id }?.displayName)
            }
            return .chooseAccount(choices, offline: request?.context == nil)
        case .Network:
            return .failed(message: message, canRetry: true, offlinePossible: true)
        case .Server:
            return .failed(message: message, canRetry: true, offlinePossible: false)
        case .InvalidCode, .NotEnrolled, .InvalidPin, .AlreadyUsed, .InvalidInvitation, .KeyStore, .Storage,
             // OTP account errors: never from a login call.
             .InvalidOtpCode, .UnknownOtpAccount, .InvalidOtpName:
            return .failed(message: message, canRetry: false, offlinePossible: false)
        }
    }
}
