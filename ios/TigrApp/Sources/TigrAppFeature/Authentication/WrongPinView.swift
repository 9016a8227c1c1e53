import SwiftUI

/// The server refused the PIN (the phone cannot check it: no PIN oracle). The QR stays valid,
/// so "Réessayer" goes back to the PIN pad.
struct WrongPinView: View {
    let attemptsLeft: Int
    let onRetry: () -> Void
    let onCancel: () -> Void

    var body: some View {
        StatusView(
            tone: .warning,
            title: L("wrongPin.title"),
            message: plural(attemptsLeft, one: "wrongPin.attemptsLeft.one", other: "wrongPin.attemptsLeft.other"),
            advice: attemptsLeft <= 1 ? L("wrongPin.lastAttempt") : L("wrongPin.advice"),
            actions: [
                StatusAction(label: L("action.retry"), action: onRetry),
                StatusAction(label: L("action.cancel"), action: onCancel),
            ]
        )
    }
}
