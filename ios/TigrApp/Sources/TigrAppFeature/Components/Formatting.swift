import Foundation
import SwiftUI

/// Unix seconds as a local time ("14:32").
func formatTime(_ unixSeconds: Int64) -> String {
    Date(timeIntervalSince1970: TimeInterval(unixSeconds)).formatted(date: .omitted, time: .shortened)
}

/// Unix seconds as a local date and time.
func formatDateTime(_ unixSeconds: Int64) -> String {
    Date(timeIntervalSince1970: TimeInterval(unixSeconds)).formatted(date: .abbreviated, time: .shortened)
}

/// 83 -> "1:23".
func formatCountdown(_ seconds: Int64) -> String {
    let s = max(0, seconds)
    return String(format: "%d:%02d", s / 60, s % 60)
}

/// Seconds left until a Unix time by the phone's clock.
func secondsUntil(_ unixSeconds: Int64, now: Date = Date()) -> Int64 {
    max(0, unixSeconds - Int64(now.timeIntervalSince1970))
}

/// "Serveur   auth.example.fr", read as one VoiceOver element.
struct LabeledValue: View {
    let label: String
    let value: String

    var body: some View {
        HStack(alignment: .firstTextBaseline) {
            Text(label).foregroundStyle(.secondary).frame(maxWidth: .infinity, alignment: .leading)
            Text(value).frame(maxWidth: .infinity, alignment: .leading)
        }
        .accessibilityElement(children: .combine)
    }
}
