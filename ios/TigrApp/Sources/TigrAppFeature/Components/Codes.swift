import SwiftUI

/// "12345678" -> "1 2 3 4 5 6 7 8": what VoiceOver reads for a code, one digit at a time.
func spokenDigits(_ code: String) -> String {
    code.filter { !$0.isWhitespace }.map(String.init).joined(separator: " ")
}

/// "12345678" -> "1234 5678".
func groupedDigits(_ code: String) -> String {
    stride(from: 0, to: code.count, by: 4).map { start -> String in
        let from = code.index(code.startIndex, offsetBy: start)
        let to = code.index(from, offsetBy: min(4, code.count - start))
        return String(code[from..<to])
    }.joined(separator: " ")
}

/// A one-time password in large monospaced digits, read digit by digit by VoiceOver.
struct LargeCode: View {
    let label: String
    let code: String

    var body: some View {
        VStack(spacing: 4) {
            Text(label).font(.subheadline).foregroundStyle(.secondary)
            Text(groupedDigits(code))
                .font(.system(size: 40, weight: .bold, design: .monospaced))
                .minimumScaleFactor(0.5)
                .lineLimit(1)
        }
        .accessibilityElement(children: .ignore)
        .accessibilityLabel("\(label) : \(spokenDigits(code))")
    }
}

/// A Tigr ID in large type; VoiceOver spells it out.
struct LargeIdentifier: View {
    let label: String
    let value: String

    var body: some View {
        VStack(spacing: 4) {
            Text(label).font(.subheadline).foregroundStyle(.secondary)
            Text(value)
                .font(.system(size: 28, weight: .bold, design: .monospaced))
                .minimumScaleFactor(0.5)
                .lineLimit(1)
        }
        .accessibilityElement(children: .ignore)
        .accessibilityLabel("\(label) : \(value.map(String.init).joined(separator: " "))")
    }
}
