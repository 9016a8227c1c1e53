import SwiftUI
import UIKit
import TigrSDK

/// The offline result: Tigr ID and one-time password in large type, the instruction, and a
/// countdown until the QR (and so the password) expires; at zero the password is hidden.
struct OfflineCodeView: View {
    let code: OfflineCode
    let secondsLeft: () -> Int64
    let onDone: () -> Void

    var body: some View {
        TimelineView(.periodic(from: .now, by: 1)) { _ in
            let left = secondsLeft()
            VStack(spacing: 16) {
                Text(L("offline.instruction"))
                    .font(.headline)
                    .multilineTextAlignment(.center)
                    .accessibilityAddTraits(.isHeader)
                if left > 0 {
                    VStack(spacing: 20) {
                        LargeIdentifier(label: L("label.tigrId"), value: code.tigrId)
                        LargeCode(label: L("label.password"), code: code.otp)
                    }
                    .padding()
                    .frame(maxWidth: .infinity)
                    .background(.thinMaterial, in: RoundedRectangle(cornerRadius: 12))
                    ProgressView(value: Double(left), total: Double(max(code.secondsLeft, 1)))
                        .accessibilityHidden(true)
                    Text(L("offline.timeLeft", formatCountdown(left)))
                        .accessibilityLabel(L("offline.validUntil", formatTime(code.expiresAt)))
                    Text(L("offline.wrongPinNote"))
                        .font(.footnote)
                        .foregroundStyle(.secondary)
                        .multilineTextAlignment(.center)
                } else {
                    Text(L("offline.expired"))
                        .foregroundStyle(.red)
                        .multilineTextAlignment(.center)
                        .onAppear { UIAccessibility.post(notification: .announcement, argument: L("offline.expired")) }
                }
                Button(action: onDone) { Text(L("action.done")).frame(maxWidth: .infinity) }
                    .buttonStyle(.borderedProminent)
                    .controlSize(.large)
            }
        }
        .sensitive()
    }
}
