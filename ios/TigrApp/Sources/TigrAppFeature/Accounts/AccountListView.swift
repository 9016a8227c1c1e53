import SwiftUI
import TigrSDK

/// Home: this phone's Tigr accounts, then its OTP accounts (codes with a countdown, tap to
/// copy), "Scanner un QR code", remove with confirmation. The empty state explains how to get
/// enrolled or add an OTP account.
struct AccountListView: View {
    let onScan: () -> Void
    @StateObject private var model = AccountListModel()
    @StateObject private var otp = OtpModel()
    @EnvironmentObject private var router: AppRouter

    var body: some View {
        content
            .navigationTitle(L("accounts.title"))
            .safeAreaInset(edge: .bottom) {
                Button(action: onScan) {
                    Label(L("accounts.scan"), systemImage: "qrcode.viewfinder").frame(maxWidth: .infinity)
                }
                .buttonStyle(.borderedProminent)
                .controlSize(.large)
                .padding()
            }
            .onAppear {
                Task { await model.load() }
                Task { await otp.load() }
            }
            // TOTP countdowns tick while the list is on screen.
            .task {
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: 1_000_000_000)
                    await otp.tick()
                }
            }
            .onChange(of: otp.copied) { label in
                if label != nil {
                    router.notice = L("otp.copied")
                    otp.copied = nil
                }
            }
            .modifier(OtpEditModifier(model: otp))
            .confirmationDialog(
                L("remove.title"),
                isPresented: Binding(
                    get: { if case .confirm = model.removal { return true } else { return false } },
                    set: { if !$0, case .confirm = model.removal { model.cancelRemove() } }
                ),
                titleVisibility: .visible,
                presenting: model.removal.account
            ) { _ in
                Button(L("remove.confirm"), role: .destructive) { Task { await model.confirmRemove() } }
                Button(L("action.cancel"), role: .cancel) { model.cancelRemove() }
            } message: { account in
                Text(L("remove.body", account.tigrId, account.serviceName, account.serverHost)
                     + "\n\n" + L("remove.consequence"))
            }
            .alert(
                L("remove.title"),
                isPresented: Binding(
                    get: { if case .failed = model.removal { return true } else { return false } },
                    set: { if !$0 { model.cancelRemove() } }
                ),
                actions: { Button(L("action.close"), role: .cancel) {} },
                message: { Text(model.removal.failure ?? "") }
            )
    }

    @ViewBuilder
    private var content: some View {
        switch model.state {
        case .loading:
            ProgressView().frame(maxWidth: .infinity, maxHeight: .infinity)
        case .failed(let message):
            VStack(spacing: 16) {
                Text(message).multilineTextAlignment(.center)
                Button(L("action.retry")) { Task { await model.load() } }.buttonStyle(.bordered)
            }
            .padding()
            .frame(maxWidth: .infinity, maxHeight: .infinity)
        case .loaded(let accounts) where accounts.isEmpty && otp.state == .loaded([]):
            VStack(spacing: 16) {
                Text(L("accounts.empty.title")).font(.title2.bold()).multilineTextAlignment(.center)
                    .accessibilityAddTraits(.isHeader)
                Text(L("accounts.empty.body")).multilineTextAlignment(.center)
                ForEach(["accounts.empty.next", "accounts.empty.otp"], id: \.self) { hint in
                    Text(L(hint)).font(.callout).foregroundStyle(.secondary)
                        .multilineTextAlignment(.center)
                }
            }
            .padding(32)
            .frame(maxWidth: .infinity, maxHeight: .infinity)
        case .loaded(let accounts):
            List {
                if !accounts.isEmpty {
                    Section {
                        ForEach(accounts, id: \.listKey) { account in
                            AccountRow(account: account) { model.askRemove(account) }
                        }
                    }
                }
                OtpSection(model: otp)
            }
        }
    }
}

/// One account: holder, Tigr ID, service, server, enrollment date; swipe or button to remove.
struct AccountRow: View {
    let account: Account
    let onRemove: () -> Void

    var body: some View {
        HStack(alignment: .top) {
            VStack(alignment: .leading, spacing: 4) {
                Text(account.displayName).font(.headline)
                Text(L("account.tigrId", account.tigrId)).font(.subheadline)
                Text(L("account.serviceOnServer", account.serviceName, account.serverHost))
                    .font(.subheadline).foregroundStyle(.secondary)
                Text(L("account.enrolledAt", formatDateTime(account.enrolledAt)))
                    .font(.caption).foregroundStyle(.secondary)
            }
            .accessibilityElement(children: .combine)
            Spacer()
            Button(role: .destructive, action: onRemove) {
                Image(systemName: "trash")
            }
            .buttonStyle(.borderless)
            .accessibilityLabel(L("account.removeLabel", account.tigrId, account.serverHost))
        }
        .swipeActions {
            Button(L("remove.confirm"), role: .destructive, action: onRemove)
        }
    }
}

extension Account {
    /// Stable identity of an account in lists.
    var listKey: String { serverOrigin + "\u{0}" + tigrId }
}
