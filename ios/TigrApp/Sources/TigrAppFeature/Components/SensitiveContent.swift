import SwiftUI
import UIKit

/// iOS has no FLAG_SECURE. For PIN and code screens Tigr (1) hides the content while the screen
/// is recorded, mirrored or shared (`UIScreen.isCaptured`), and (2) covers the whole app when
/// it is not active, so the app-switcher snapshot shows no code (see ``PrivacyCover``).
/// Screenshots themselves cannot be prevented on iOS.
struct SensitiveContent: ViewModifier {
    @State private var captured = UIScreen.main.isCaptured

    func body(content: Content) -> some View {
        ZStack {
            content.opacity(captured ? 0 : 1)
            if captured {
                VStack(spacing: 12) {
                    Image(systemName: "eye.slash").font(.largeTitle).accessibilityHidden(true)
                    Text(L("secure.captured")).multilineTextAlignment(.center)
                }
                .padding()
            }
        }
        .onReceive(NotificationCenter.default.publisher(for: UIScreen.capturedDidChangeNotification)) { _ in
            captured = UIScreen.main.isCaptured
        }
    }
}

extension View {
    /// Marks a PIN or code screen (the iOS counterpart of Android's FLAG_SECURE).
    func sensitive() -> some View { modifier(SensitiveContent()) }
}

/// Covers the app while it is inactive or in the background (app-switcher snapshot).
struct PrivacyCover: View {
    var body: some View {
        ZStack {
            Color(uiColor: .systemBackground).ignoresSafeArea()
            Image(systemName: "lock.shield").font(.system(size: 64)).foregroundStyle(.secondary)
        }
        .accessibilityHidden(true)
    }
}
