import SwiftUI
import TigrSDK

/// "123456" -> "123 456", "1234567" -> "1234 567": the groups authenticator apps show.
func otpGroups(_ code: String) -> String {
    let size = code.count == 6 ? 3 : 4
    return stride(from: 0, to: code.count, by: size).map { start -> String in
        let from = code.index(code.startIndex, offsetBy: start)
        let to = code.index(from, offsetBy: min(size, code.count - start))
        return String(code[from..<to])
    }.joined(separator: " ")
}

/// The OTP section of the account list: one row per account. A TOTP row shows its code with a
/// countdown ring; an HOTP row a "Générer un code" button. Tapping a code copies it.
/// VoiceOver reads the label, then the digits one by one, then the seconds left.
struct OtpSection: View {
    @ObservedObject var model: OtpModel

    var body: some View {
        switch model.state {
        case .loading:
            EmptyView()
        case .failed(let message):
            Section(L("otp.section.title")) {
                Text(message).foregroundStyle(.red)
                Button(L("action.retry")) { Task { await model.load() } }
            }
        case .loaded(let rows) where rows.isEmpty:
            EmptyView()
        case .loaded(let rows):
            Section(L("otp.section.title")) {
                ForEach(rows) { row in
                    OtpRowView(row: row, model: model)
                }
            }
        }
    }
}

struct OtpRowView: View {
    let row: OtpRow
    @ObservedObject var model: OtpModel

    var body: some View {
        HStack {
            Button { model.copy(row) } label: {
                VStack(alignment: .leading, spacing: 4) {
                    Text(row.account.label).font(.subheadline)
                    if let code = row.code {
                        Text(otpGroups(code.digits))
                            .font(.system(size: 32, weight: .bold, design: .monospaced))
                            .foregroundStyle(.primary)
                    }
                    if let error = row.error {
                        Text(error).font(.footnote).foregroundStyle(.red)
                    }
                }
                .frame(maxWidth: .infinity, alignment: .leading)
            }
            .buttonStyle(.plain)
            .disabled(row.code == nil)
            .accessibilityElement(children: .ignore)
            .accessibilityLabel(spokenLabel)
            .accessibilityHint(row.code == nil ? "" : L("otp.copy.action"))
            if case .timed(_, let left, let period, _) = row.code {
                CountdownRing(secondsLeft: left, period: period)
            } else if row.isHotp {
                Button(L(row.code == nil ? "otp.hotp.generate" : "otp.hotp.next")) {
                    Task { await model.nextHotpCode(row.id) }
                }
                .buttonStyle(.bordered)
            }
        }
        .contextMenu {
            Button(L("otp.rename")) { model.edit = .rename(row.account, error: nil) }
            Button(L("otp.remove"), role: .destructive) { model.edit = .remove(row.account, error: nil) }
        }
        .swipeActions {
            Button(L("otp.remove"), role: .destructive) { model.edit = .remove(row.account, error: nil) }
            Button(L("otp.rename")) { model.edit = .rename(row.account, error: nil) }
        }
    }

    private var spokenLabel: String {
        switch row.code {
        case .none:
            return row.account.label
        case .timed(let digits, let left, _, _):
            let key = pluralKey(left, one: "otp.code.spoken.timed.one", other: "otp.code.spoken.timed.other")
            return L(key, row.account.label, spokenDigits(digits), left)
        case .counted(let digits, _):
            return L("otp.code.spoken", row.account.label, spokenDigits(digits))
        }
    }
}

/// The seconds left as a ring that empties, with the number inside (not only a colour).
struct CountdownRing: View {
    let secondsLeft: Int
    let period: Int

    var body: some View {
        ZStack {
            Circle().stroke(Color.secondary.opacity(0.25), lineWidth: 4)
            Circle()
                .trim(from: 0, to: CGFloat(secondsLeft) / CGFloat(max(period, 1)))
                .stroke(secondsLeft <= 5 ? Color.red : Color.accentColor,
                        style: StrokeStyle(lineWidth: 4, lineCap: .round))
                .rotationEffect(.degrees(-90))
            Text("\(secondsLeft)").font(.caption.monospacedDigit())
        }
        .frame(width: 40, height: 40)
        .accessibilityHidden(true)
    }
}

/// Rename ("Émetteur", "Compte") and remove ("Retirer ce compte OTP ?") over the list.
struct OtpEditModifier: ViewModifier {
    @ObservedObject var model: OtpModel
    @State private var issuer = ""
    @State private var name = ""

    func body(content: Content) -> some View {
        content
            .alert(
                L("otp.rename.title"),
                isPresented: Binding(
                    get: { if case .rename = model.edit { return true } else { return false } },
                    set: { if !$0 { model.edit = .none } }
                ),
                actions: {
                    TextField(L("otp.issuer"), text: $issuer)
                    TextField(L("otp.accountName"), text: $name)
                    Button(L("otp.rename.confirm")) {
                        Task { await model.confirmRename(issuer: issuer, accountName: name) }
                    }
                    Button(L("action.cancel"), role: .cancel) { model.edit = .none }
                },
                message: {
                    if case .rename(_, let error?) = model.edit { Text(error) }
                }
            )
            .confirmationDialog(
                L("otp.remove.title"),
                isPresented: Binding(
                    get: { if case .remove = model.edit { return true } else { return false } },
                    set: { if !$0 { model.edit = .none } }
                ),
                titleVisibility: .visible
            ) {
                Button(L("otp.remove"), role: .destructive) { Task { await model.confirmRemove() } }
                Button(L("action.cancel"), role: .cancel) { model.edit = .none }
            } message: {
                if case .remove(let account, let error) = model.edit {
                    Text([L("otp.remove.body", account.label), L("otp.remove.consequence"), error]
                        .compactMap { $0 }.joined(separator: "\n\n"))
                }
            }
            .onChange(of: model.edit) { edit in
                if case .rename(let account, nil) = edit {
                    issuer = account.issuer ?? ""
                    name = account.accountName
                }
            }
    }
}
