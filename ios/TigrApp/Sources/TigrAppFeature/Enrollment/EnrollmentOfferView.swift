import SwiftUI
import TigrSDK

/// What the invitation offers, before any PIN: server first (the one to check), service,
/// holder, Tigr ID, validity with a countdown.
struct EnrollmentOfferView: View {
    let offer: InvitationOffer
    let replacesExisting: Bool
    let onContinue: () -> Void
    let onCancel: () -> Void

    var body: some View {
        TimelineView(.periodic(from: .now, by: 1)) { context in
            let left = secondsUntil(offer.expiresAt, now: context.date)
            VStack(spacing: 16) {
                Text(L("enroll.offer.heading")).font(.title2.bold()).accessibilityAddTraits(.isHeader)
                VStack(spacing: 8) {
                    LabeledValue(label: L("label.server"), value: offer.serverHost)
                    LabeledValue(label: L("label.service"), value: offer.serviceName)
                    LabeledValue(label: L("label.holder"), value: offer.displayName)
                    LabeledValue(label: L("label.tigrId"), value: offer.tigrId)
                    LabeledValue(label: L("label.validUntil"),
                                 value: L("enroll.expiry", formatTime(offer.expiresAt), formatCountdown(left)))
                }
                .padding()
                .background(.thinMaterial, in: RoundedRectangle(cornerRadius: 12))
                Text(L("enroll.checkServer")).font(.callout)
                Text(L("enroll.onePhone")).font(.callout).foregroundStyle(.secondary)
                if replacesExisting {
                    Text(L("enroll.replacesExisting"))
                        .padding(12)
                        .background(Color.orange.opacity(0.15), in: RoundedRectangle(cornerRadius: 8))
                }
                if left <= 0 {
                    Text(L("enroll.codeExpired")).foregroundStyle(.red)
                }
                Button(action: onContinue) { Text(L("enroll.choosePin")).frame(maxWidth: .infinity) }
                    .buttonStyle(.borderedProminent).controlSize(.large)
                    .disabled(left <= 0)
                Button(action: onCancel) { Text(L("action.cancel")).frame(maxWidth: .infinity) }
                    .buttonStyle(.bordered).controlSize(.large)
            }
        }
    }
}
