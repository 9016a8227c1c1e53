import SwiftUI

/// Too many wrong PINs: the account is blocked on the server; what to do. The message (from the
/// SDK) says for how long, or that an administrator must unblock; the advice follows.
struct BlockedView: View {
    let message: String
    let serviceName: String?
    /// The block lifts by itself (else only an administrator can lift it).
    let temporary: Bool
    let onClose: () -> Void

    private var advice: String {
        if temporary {
            return serviceName.map { L("blocked.temporary.advice.service", $0) } ?? L("blocked.temporary.advice")
        }
        return serviceName.map { L("blocked.advice.service", $0) } ?? L("blocked.advice")
    }

    var body: some View {
        StatusView(
            tone: .blocked,
            title: L("blocked.title"),
            message: message,
            advice: advice,
            actions: [StatusAction(label: L("action.close"), action: onClose)]
        )
    }
}
