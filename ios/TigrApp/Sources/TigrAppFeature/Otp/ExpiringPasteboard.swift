import UIKit
import UniformTypeIdentifiers

/// The system pasteboard for OTP codes: the item expires by itself (`.expirationDate`, so it is
/// gone even if the app is closed) and stays on this device (`.localOnly`: not sent to the
/// user's other devices by Universal Clipboard).
struct ExpiringPasteboard: CodePasteboard {
    func copy(_ code: String, expiringAfter seconds: TimeInterval) {
        UIPasteboard.general.setItems(
            [[UTType.plainText.identifier: code]],
            options: [
                .localOnly: true,
                .expirationDate: Date().addingTimeInterval(seconds),
            ]
        )
    }
}
