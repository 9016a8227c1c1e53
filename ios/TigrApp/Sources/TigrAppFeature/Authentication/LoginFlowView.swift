import SwiftUI
import TigrSDK

/// The login route: one view per ``LoginModel/Step``; hands over to the offline route.
struct LoginFlowView: View {
    let onFinished: () -> Void
    let onScanAgain: () -> Void
    let onOffline: (String?, String?) -> Void
    @StateObject private var model: LoginModel

    init(
        payload: String,
        onFinished: @escaping () -> Void,
        onScanAgain: @escaping () -> Void,
        onOffline: @escaping (String?, String?) -> Void
    ) {
        _model = StateObject(wrappedValue: LoginModel(payload: payload))
        self.onFinished = onFinished
        self.onScanAgain = onScanAgain
        self.onOffline = onOffline
    }

    var body: some View {
        FlowContainer(title: L("login.title"), onClose: onFinished) {
            switch model.step {
            case .loading:
                ProgressStep(message: L("login.loading"))
            case .chooseAccount(let choices, _):
                AccountChoiceView(choices: choices, onChoose: model.choose)
            case .review(let context, let account, let pinError):
                LoginReviewView(
                    context: context,
                    account: account,
                    pinLength: model.pinLength,
                    pinError: pinError,
                    onDigit: model.addDigit,
                    onDelete: model.deleteDigit,
                    onApprove: model.approve,
                    onDeny: model.deny
                )
            case .sending(_, let denying):
                ProgressStep(message: L(denying ? "login.denying" : "login.approving"))
            case .approved(let context):
                StatusView(tone: .success, title: L("approved.title"),
                           message: L("approved.body", context.serviceName),
                           actions: [StatusAction(label: L("action.done"), action: onFinished)])
            case .denied(let context):
                StatusView(tone: .info, title: L("denied.title"),
                           message: L("denied.body", context.serviceName, context.serverHost),
                           advice: L("denied.advice"),
                           actions: [StatusAction(label: L("action.done"), action: onFinished)])
            case .wrongPin(let attemptsLeft, _):
                WrongPinView(attemptsLeft: attemptsLeft,
                             onRetry: { Task { await model.retry() } },
                             onCancel: onFinished)
            case .blocked(let message, let serviceName, let minutesLeft):
                BlockedView(message: message, serviceName: serviceName, temporary: minutesLeft != nil,
                            onClose: onFinished)
            case .expired(let message):
                StatusView(tone: .info, title: L("expired.title"), message: message,
                           advice: L("expired.advice"),
                           actions: [StatusAction(label: L("action.scanAgain"), action: onScanAgain),
                                     StatusAction(label: L("action.close"), action: onFinished)])
            case .revoked(let message, let account):
                StatusView(tone: .blocked, title: L("revoked.title"), message: message,
                           advice: L("revoked.advice"),
                           actions: (account == nil ? [] : [StatusAction(label: L("revoked.remove")) {
                               Task { await model.removeRevokedAccount() }
                           }]) + [StatusAction(label: L("action.close"), action: onFinished)])
            case .failed(let message, let canRetry, let offlinePossible):
                StatusView(tone: .warning, title: L("login.failed.title"),
                           message: message ?? L("login.notLoginCode"),
                           actions: (canRetry ? [StatusAction(label: L("action.retry")) { Task { await model.retry() } }] : [])
                               + (offlinePossible ? [StatusAction(label: L("login.useOffline"), action: model.goOffline)] : [])
                               + [StatusAction(label: L("action.close"), action: onFinished)])
            }
        }
        .task { await model.load() }
        .onChange(of: model.offline) { handoff in
            if let handoff { onOffline(handoff.tigrId, handoff.reason) }
        }
        .onChange(of: model.finished) { finished in
            if finished { onFinished() }
        }
    }
}
