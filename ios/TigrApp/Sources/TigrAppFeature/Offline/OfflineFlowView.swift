import SwiftUI
import TigrSDK

/// The offline route: one view per ``OfflineModel/Step``.
struct OfflineFlowView: View {
    let onFinished: () -> Void
    @StateObject private var model: OfflineModel

    init(payload: String, tigrId: String?, reason: String?, onFinished: @escaping () -> Void) {
        _model = StateObject(wrappedValue: OfflineModel(payload: payload, tigrId: tigrId, reason: reason))
        self.onFinished = onFinished
    }

    var body: some View {
        FlowContainer(title: L("offline.title"), onClose: onFinished) {
            switch model.step {
            case .enterPin(let tigrId, let reason, let pinError):
                OfflinePinView(tigrId: tigrId, reason: reason, pinError: pinError,
                               pinLength: model.pinLength,
                               onDigit: model.addDigit, onDelete: model.deleteDigit,
                               onSubmit: model.submit)
            case .chooseAccount(let ids):
                AccountChoiceView(choices: ids.map { AccountChoice(tigrId: $0, displayName: nil) },
                                  onChoose: { model.choose($0.tigrId) })
            case .computing:
                ProgressStep(message: L("offline.computing"))
            case .code(let code, let deadline):
                OfflineCodeView(code: code, secondsLeft: { model.secondsLeft(deadline) }, onDone: onFinished)
            case .failed(let message):
                StatusView(tone: .warning, title: L("offline.failed.title"), message: message,
                           actions: [StatusAction(label: L("action.close"), action: onFinished)])
            }
        }
    }
}

/// "Hors connexion": why, then the PIN pad. Sensitive screen.
struct OfflinePinView: View {
    let tigrId: String?
    let reason: String?
    let pinError: String?
    let pinLength: Int
    let onDigit: (Character) -> Void
    let onDelete: () -> Void
    let onSubmit: () -> Void

    var body: some View {
        VStack(spacing: 16) {
            Text(L("offline.heading")).font(.title2.bold()).multilineTextAlignment(.center)
                .accessibilityAddTraits(.isHeader)
            if let reason { Text(reason).font(.callout).multilineTextAlignment(.center) }
            Text(L("offline.explain")).font(.callout).multilineTextAlignment(.center)
            if let tigrId { Text(L("account.tigrId", tigrId)).font(.callout) }
            PinEntry(length: pinLength, error: pinError, enabled: true,
                     submitLabel: L("offline.showCode"),
                     onDigit: onDigit, onDelete: onDelete, onSubmit: onSubmit)
        }
        .sensitive()
    }
}
