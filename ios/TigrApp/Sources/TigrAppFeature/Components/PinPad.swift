import SwiftUI
import UIKit

/// Dots for the digits typed so far; VoiceOver hears "3 chiffres saisis", never the digits.
struct PinDots: View {
    let length: Int

    var body: some View {
        HStack(spacing: 12) {
            ForEach(0..<max(length, pinMinDigits), id: \.self) { index in
                Circle()
                    .strokeBorder(Color.secondary, lineWidth: index < length ? 0 : 2)
                    .background(Circle().fill(index < length ? Color.accentColor : Color.clear))
                    .frame(width: 16, height: 16)
            }
        }
        .padding(.vertical, 12)
        .accessibilityElement(children: .ignore)
        .accessibilityLabel(plural(length, one: "pin.digits.one", other: "pin.digits.other"))
    }
}

/// A keypad drawn by the app rather than the system keyboard, so no third-party keyboard
/// ever sees the PIN. Phone-dialer order, 0 under 8.
struct PinPad: View {
    let enabled: Bool
    let onDigit: (Character) -> Void
    let onDelete: () -> Void

    private let rows: [[Character]] = [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]]

    var body: some View {
        VStack(spacing: 8) {
            ForEach(rows, id: \.self) { row in
                HStack(spacing: 8) {
                    ForEach(row, id: \.self) { digit in key(digit) }
                }
            }
            HStack(spacing: 8) {
                Color.clear.frame(maxWidth: .infinity, minHeight: 56)
                key("0")
                Button(action: onDelete) {
                    Image(systemName: "delete.left")
                        .font(.title2)
                        .frame(maxWidth: .infinity, minHeight: 56)
                }
                .disabled(!enabled)
                .accessibilityLabel(L("pin.delete"))
            }
        }
        .frame(maxWidth: 360)
    }

    private func key(_ digit: Character) -> some View {
        Button { onDigit(digit) } label: {
            Text(String(digit))
                .font(.title)
                .frame(maxWidth: .infinity, minHeight: 56)
        }
        .buttonStyle(.bordered)
        .disabled(!enabled)
        .accessibilityLabel(String(digit))
    }
}

/// Dots, inline error (announced by VoiceOver), pad and submit button.
struct PinEntry: View {
    let length: Int
    let error: String?
    let enabled: Bool
    let submitLabel: String
    let onDigit: (Character) -> Void
    let onDelete: () -> Void
    let onSubmit: () -> Void

    var body: some View {
        VStack(spacing: 8) {
            PinDots(length: length)
            if let error {
                Text(error)
                    .font(.callout)
                    .foregroundStyle(.red)
                    .multilineTextAlignment(.center)
                    .onAppear { UIAccessibility.post(notification: .announcement, argument: error) }
            }
            PinPad(enabled: enabled, onDigit: onDigit, onDelete: onDelete)
            Button(action: onSubmit) {
                Text(submitLabel).frame(maxWidth: .infinity)
            }
            .buttonStyle(.borderedProminent)
            .controlSize(.large)
            .disabled(!enabled || length < pinMinDigits)
            .frame(maxWidth: 360)
        }
    }
}
