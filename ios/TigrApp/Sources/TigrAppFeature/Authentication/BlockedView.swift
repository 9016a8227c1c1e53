import SwiftUI

/// Too many wrong PINs: the account is blocked on the server; what to do.
struct BlockedView: View {
    let message: String
    let serviceName: String?
    let onClose: () -> Void

    var body: some View {
        StatusView(
            tone: .blocked,
            title: L("blocked.title"),
            message: message,
            advice: serviceName.map { L("blocked.advice.service", $0) } ?? L("blocked.advice"),
            actions: [StatusAction(label: L("action.close"), action: onClose)]
        )
    }
}
