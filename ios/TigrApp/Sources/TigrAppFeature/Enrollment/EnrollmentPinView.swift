import SwiftUI

/// Choosing the PIN, then typing it again (a sensitive screen).
struct EnrollmentPinView: View {
    let confirming: Bool
    let pinLength: Int
    let error: String?
    let onDigit: (Character) -> Void
    let onDelete: () -> Void
    let onSubmit: () -> Void
    /// On the confirmation: back to the first entry.
    var onRestart: (() -> Void)?

    var body: some View {
        VStack(spacing: 16) {
            Text(L(confirming ? "enroll.pin.confirm.title" : "enroll.pin.choose.title"))
                .font(.title2.bold())
                .accessibilityAddTraits(.isHeader)
            Text(confirming ? L("enroll.pin.confirm.body") : L("enroll.pin.rules", pinMinDigits, pinMaxDigits))
                .font(.callout)
                .multilineTextAlignment(.center)
            PinEntry(
                length: pinLength,
                error: error,
                enabled: true,
                submitLabel: L(confirming ? "enroll.submit" : "action.next"),
                onDigit: onDigit,
                onDelete: onDelete,
                onSubmit: onSubmit
            )
            if let onRestart {
                Button(L("enroll.pin.restart"), action: onRestart)
            }
        }
        .sensitive()
    }
}
