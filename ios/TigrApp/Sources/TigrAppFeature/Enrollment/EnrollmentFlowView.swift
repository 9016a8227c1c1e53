import SwiftUI
import TigrSDK

/// The enrollment route: one view per ``EnrollmentModel/Step``.
struct EnrollmentFlowView: View {
    let onFinished: () -> Void
    @StateObject private var model: EnrollmentModel

    init(payload: String, onFinished: @escaping () -> Void) {
        _model = StateObject(wrappedValue: EnrollmentModel(payload: payload))
        self.onFinished = onFinished
    }

    var body: some View {
        FlowContainer(title: L("enroll.title"), onClose: onFinished) {
            switch model.step {
            case .loading:
                ProgressStep(message: L("enroll.loading"))
            case .offer(let offer, let replaces):
                EnrollmentOfferView(offer: offer, replacesExisting: replaces,
                                    onContinue: model.startPin, onCancel: onFinished)
            case .choosePin(_, let error):
                EnrollmentPinView(confirming: false, pinLength: model.pinLength, error: error,
                                  onDigit: model.addDigit, onDelete: model.deleteDigit,
                                  onSubmit: { model.submitPin(deviceName: deviceName()) })
            case .confirmPin:
                EnrollmentPinView(confirming: true, pinLength: model.pinLength, error: nil,
                                  onDigit: model.addDigit, onDelete: model.deleteDigit,
                                  onSubmit: { model.submitPin(deviceName: deviceName()) },
                                  onRestart: model.startPin)
            case .enrolling:
                ProgressStep(message: L("enroll.inProgress"))
            case .done(let account):
                StatusView(
                    tone: .success,
                    title: L("enroll.done.title"),
                    message: L("enroll.done.body", account.tigrId, account.serviceName, account.serverHost),
                    advice: L("enroll.done.next"),
                    actions: [StatusAction(label: L("action.done"), action: onFinished)]
                )
            case .failed(let message, let canRetry, let needsNewCode):
                StatusView(
                    tone: canRetry ? .info : .warning,
                    title: L("enroll.failed.title"),
                    message: message ?? L("enroll.notEnrollmentCode"),
                    advice: needsNewCode ? L("enroll.askNewCode") : nil,
                    actions: (canRetry ? [StatusAction(label: L("action.retry")) { Task { await model.retry() } }] : [])
                        + [StatusAction(label: L("action.close"), action: onFinished)]
                )
            }
        }
        .task { await model.load() }
    }
}
