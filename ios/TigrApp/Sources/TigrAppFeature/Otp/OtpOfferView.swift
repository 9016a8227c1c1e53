import SwiftUI
import TigrSDK

/// "Ajouter ce compte ?" over the scanner, for an `otpauth://` code or a Google Authenticator
/// export: each account (label, kind, digits), a warning when the name claims another issuer
/// than the code's issuer, and for a multi-code export which code this is.
struct OtpOfferView: View {
    let offer: OtpImportPreview
    let adding: Bool
    let error: String?
    let onAdd: () -> Void
    let onCancel: () -> Void

    var body: some View {
        NavigationStack {
            List {
                Section {
                    ForEach(Array(offer.accounts.enumerated()), id: \.offset) { _, account in
                        VStack(alignment: .leading, spacing: 4) {
                            Text(account.label).font(.headline)
                            Text(kind(account)).font(.footnote).foregroundStyle(.secondary)
                            if let claimed = account.labelIssuer {
                                Text(L("otp.issuerMismatch", claimed, account.issuer ?? ""))
                                    .font(.footnote).foregroundStyle(.red)
                            }
                        }
                        .accessibilityElement(children: .combine)
                    }
                } footer: {
                    VStack(alignment: .leading, spacing: 8) {
                        if let number = offer.batchNumber, let count = offer.batchCount {
                            Text(L("otp.exportBatch", Int(number), Int(count)))
                        }
                        Text(L("otp.offer.protection"))
                        if let error { Text(error).foregroundStyle(.red) }
                    }
                }
            }
            .navigationTitle(plural(offer.accounts.count, one: "otp.offer.title.one", other: "otp.offer.title.other"))
            .navigationBarTitleDisplayMode(.inline)
            .toolbar {
                ToolbarItem(placement: .cancellationAction) {
                    Button(L("action.cancel"), action: onCancel).disabled(adding)
                }
                ToolbarItem(placement: .confirmationAction) {
                    if adding { ProgressView() } else { Button(L("otp.offer.add"), action: onAdd) }
                }
            }
        }
        .interactiveDismissDisabled(adding)
        .onChange(of: error) { error in
            if let error { UIAccessibility.post(notification: .announcement, argument: error) }
        }
    }

    private func kind(_ account: OtpAccountPreview) -> String {
        switch account.kind {
        case .totp(let period): return L("otp.kind.totp", Int(account.digits), Int(period))
        case .hotp: return L("otp.kind.hotp", Int(account.digits))
        }
    }
}
