import SwiftUI
import TigrSDK

/// Who asks, before the PIN: service, server, time, browser IP and summary, account, time left;
/// then the PIN pad, "Approuver" and "Ce n'était pas moi" (no PIN needed). Sensitive screen.
struct LoginReviewView: View {
    let context: LoginContext
    let account: AccountChoice?
    let pinLength: Int
    let pinError: String?
    let onDigit: (Character) -> Void
    let onDelete: () -> Void
    let onApprove: () -> Void
    let onDeny: () -> Void

    var body: some View {
        VStack(spacing: 16) {
            Text(L("login.request.heading", context.serviceName))
                .font(.title2.bold())
                .multilineTextAlignment(.center)
                .accessibilityAddTraits(.isHeader)
            TimelineView(.periodic(from: .now, by: 1)) { timeline in
                let left = secondsUntil(context.expiresAt, now: timeline.date)
                VStack(spacing: 8) {
                    LabeledValue(label: L("label.server"), value: context.serverHost)
                    LabeledValue(label: L("label.requestedAt"), value: formatTime(context.requestedAt))
                    LabeledValue(label: L("label.browserIp"), value: context.browserIp)
                    LabeledValue(label: L("label.browser"), value: context.browserSummary)
                    if let account { LabeledValue(label: L("label.tigrId"), value: account.tigrId) }
                    Divider()
                    LabeledValue(label: L("label.timeLeft"),
                                 value: left > 0 ? formatCountdown(left) : L("login.expiredShort"))
                }
                .padding()
                .background(.thinMaterial, in: RoundedRectangle(cornerRadius: 12))
            }
            Text(L("login.checkItIsYou")).font(.callout)
            Text(L("login.enterPin")).font(.headline)
            PinEntry(
                length: pinLength,
                error: pinError,
                enabled: true,
                submitLabel: L("login.approve"),
                onDigit: onDigit,
                onDelete: onDelete,
                onSubmit: onApprove
            )
            Button(role: .destructive, action: onDeny) {
                Text(L("login.notMe")).frame(maxWidth: .infinity)
            }
            .buttonStyle(.bordered)
            .controlSize(.large)
        }
        .sensitive()
    }
}
