import Foundation
import TigrSDK

/// Enrollment flow for one payload: `scan(text:)` -> offer -> PIN twice ->
/// `enroll(payload:pin:pinConfirmation:deviceName:)` -> done. PIN rules are the SDK's: a
/// refused PIN comes back as `TigrError.InvalidPin` and the user chooses again.
@MainActor
final class EnrollmentModel: ObservableObject, PinEntryModel {
    enum Step {
        case loading
        case offer(InvitationOffer, replacesExisting: Bool)
        case choosePin(InvitationOffer, error: String?)
        case confirmPin(InvitationOffer)
        case enrolling(InvitationOffer)
        case done(Account)
        /// `message` nil: the code is a login code. `canRetry`: network/server fault.
        /// `needsNewCode`: used, expired or unknown invitation.
        case failed(message: String?, canRetry: Bool, needsNewCode: Bool)
    }

    @Published private(set) var step: Step = .loading
    @Published var pinLength = 0
    let pin = PinBuffer()

    private let payload: String
    private let service: TigrService
    private var offer: InvitationOffer?
    private var firstPin: String?

    init(payload: String, service: TigrService = .shared) {
        self.payload = payload
        self.service = service
    }

    func load() async {
        step = .loading
        let payload = self.payload
        switch await service.call({ try $0.scan(text: payload) }) {
        case .failure(let error, let message):
            step = failed(error, message)
        case .success(.invitation(let offer)):
            self.offer = offer
            var replaces = false
            if case .success(let accounts) = await service.call({ try $0.accounts() }) {
                replaces = accounts.contains { $0.serverHost == offer.serverHost && $0.tigrId == offer.tigrId }
            }
            step = .offer(offer, replacesExisting: replaces)
        case .success(.login):
            step = .failed(message: nil, canRetry: false, needsNewCode: true)
        }
    }

    func startPin() {
        guard let offer else { return }
        clearPin()
        firstPin = nil
        step = .choosePin(offer, error: nil)
    }

    func submitPin(deviceName: String) {
        switch step {
        case .choosePin(let offer, _):
            firstPin = takePin()
            step = .confirmPin(offer)
        case .confirmPin(let offer):
            let chosen = firstPin ?? ""
            let confirmation = takePin()
            firstPin = nil
            Task { await enroll(offer, chosen, confirmation, deviceName) }
        default:
            break
        }
    }

    private func enroll(_ offer: InvitationOffer, _ chosen: String, _ confirmation: String, _ deviceName: String) async {
        step = .enrolling(offer)
        let payload = self.payload
        let result = await service.call {
            try $0.enroll(payload: payload, pin: chosen, pinConfirmation: confirmation, deviceName: deviceName)
        }
        switch result {
        case .success(let account):
            step = .done(account)
        case .failure(let error, let message):
            if case .InvalidPin? = error as? TigrError {
                step = .choosePin(offer, error: message)
            } else {
                step = failed(error, message)
            }
        }
    }

    /// "Réessayer" after a network or server failure.
    func retry() async {
        if offer != nil { startPin() } else { await load() }
    }

    /// The failed step of an error: every SDK error and reason is mapped (a new one does not compile).
    private func failed(_ error: Error, _ message: String) -> Step {
        let canRetry: Bool
        let needsNewCode: Bool
        switch error as? TigrError {
        case nil:
            canRetry = false; needsNewCode = false
        case .Network?, .Server?:
            canRetry = true; needsNewCode = false
        case .InvalidInvitation?, .AlreadyUsed?, .ChallengeExpired?:
            canRetry = false; needsNewCode = true
        case .InvalidCode(let reason, _)?:
            canRetry = false
            switch reason {
            case .unsupportedVersion:
                needsNewCode = false // a newer app is needed, not a new invitation (the message says so)
            case .notTigr, .unknownChallenge, .notALoginCode, .notAnInvitation:
                needsNewCode = true
            }
        case .NotEnrolled?, .AccountChoiceNeeded?, .InvalidPin?, .WrongPin?, .AccountBlocked?, .PhoneRevoked?,
             .KeyStore?, .Storage?,
             // OTP account errors: never from an enrollment call.
             .InvalidOtpCode?, .UnknownOtpAccount?, .InvalidOtpName?:
            canRetry = false; needsNewCode = false
        }
        return .failed(message: message, canRetry: canRetry, needsNewCode: needsNewCode)
    }
}
