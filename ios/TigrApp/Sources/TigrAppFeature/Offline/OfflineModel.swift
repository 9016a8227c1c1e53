import Foundation
import TigrSDK

/// Offline flow: the login QR's server could not be reached (`LoginRequest.context == nil`) or
/// the user asked for a code. PIN -> `offlineCode(payload:tigrId:pin:)` -> Tigr ID + password
/// with a countdown from `secondsLeft`. The phone cannot tell a wrong PIN (no PIN oracle): the
/// web page refuses the password and shows the attempts left.
@MainActor
final class OfflineModel: ObservableObject, PinEntryModel {
    enum Step {
        case enterPin(tigrId: String?, reason: String?, pinError: String?)
        case chooseAccount([String])
        case computing
        /// `deadline` is in `ProcessInfo.systemUptime` seconds (monotonic: immune to clock changes).
        case code(OfflineCode, deadline: TimeInterval)
        case failed(String)
    }

    @Published private(set) var step: Step
    @Published var pinLength = 0
    let pin = PinBuffer()

    private let payload: String
    private var tigrId: String?
    private let reason: String?
    private let service: TigrService
    private let uptime: () -> TimeInterval

    init(
        payload: String,
        tigrId: String?,
        reason: String?,
        service: TigrService = .shared,
        uptime: @escaping () -> TimeInterval = { ProcessInfo.processInfo.systemUptime }
    ) {
        self.payload = payload
        self.tigrId = tigrId
        self.reason = reason
        self.service = service
        self.uptime = uptime
        step = .enterPin(tigrId: tigrId, reason: reason, pinError: nil)
    }

    func choose(_ id: String) {
        tigrId = id
        clearPin()
        step = .enterPin(tigrId: id, reason: reason, pinError: nil)
    }

    /// "Afficher le mot de passe".
    func submit() {
        guard case .enterPin(let id, let why, _) = step else { return }
        let typed = takePin()
        let payload = self.payload
        step = .computing
        Task {
            switch await service.call({ try $0.offlineCode(payload: payload, tigrId: id, pin: typed) }) {
            case .success(let code):
                step = .code(code, deadline: uptime() + TimeInterval(code.secondsLeft))
            case .failure(let error, let message):
                // Every SDK error is mapped (a new one does not compile).
                switch error as? TigrError {
                case .InvalidPin?: step = .enterPin(tigrId: id, reason: why, pinError: message)
                case .AccountChoiceNeeded(let ids)?: step = .chooseAccount(ids)
                case nil, .InvalidCode?, .NotEnrolled?, .WrongPin?, .AccountBlocked?, .ChallengeExpired?, .AlreadyUsed?,
                     .InvalidInvitation?, .PhoneRevoked?, .Network?, .Server?, .KeyStore?, .Storage?,
                     // OTP account errors: never from an offline code.
                     .InvalidOtpCode?, .UnknownOtpAccount?, .InvalidOtpName?:
                    step = .failed(message)
                }
            }
        }
    }

    /// Seconds left until `deadline`, by the monotonic clock.
    func secondsLeft(_ deadline: TimeInterval) -> Int64 {
        max(0, Int64((deadline - uptime()).rounded(.up)))
    }
}
