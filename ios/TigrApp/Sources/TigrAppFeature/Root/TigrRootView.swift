import SwiftUI
import TigrSDK

/// The whole app: a navigation stack over the account list, links handling, privacy cover.
public struct TigrRootView: View {
    @StateObject private var router = AppRouter()
    @Environment(\.scenePhase) private var scenePhase

    public init() {}

    public var body: some View {
        ZStack {
            NavigationStack(path: $router.path) {
                AccountListView(onScan: router.showScanner)
                    .navigationDestination(for: Route.self) { route in
                        destination(route)
                    }
            }
            if let notice = router.notice {
                NoticeBanner(text: notice) { router.notice = nil }
            }
            if scenePhase != .active {
                PrivacyCover()
            }
        }
        .environmentObject(router)
        .onOpenURL { url in router.openLink(url) }
        .alert(
            L("scan.notTigr"),
            isPresented: Binding(
                get: { router.linkError != nil },
                set: { if !$0 { router.linkError = nil } }
            ),
            actions: { Button(L("action.close"), role: .cancel) {} },
            message: { Text(router.linkError ?? "") }
        )
    }

    @ViewBuilder
    private func destination(_ route: Route) -> some View {
        switch route {
        case .scan:
            ScannerView(onClose: router.home, onCode: router.open, onOtpAdded: router.otpAdded)
        case .enroll(let payload):
            EnrollmentFlowView(payload: payload, onFinished: router.home)
        case .login(let payload):
            LoginFlowView(
                payload: payload,
                onFinished: router.home,
                onScanAgain: router.showScanner,
                onOffline: { tigrId, reason in
                    router.goOffline(payload: payload, tigrId: tigrId, reason: reason)
                }
            )
        case .offline(let payload, let tigrId, let reason):
            OfflineFlowView(payload: payload, tigrId: tigrId, reason: reason, onFinished: router.home)
        }
    }
}

/// A message at the bottom of the screen for a few seconds, announced by VoiceOver.
struct NoticeBanner: View {
    let text: String
    let onDone: () -> Void

    var body: some View {
        VStack {
            Spacer()
            Text(text)
                .padding(.horizontal, 16).padding(.vertical, 10)
                .background(.thinMaterial, in: RoundedRectangle(cornerRadius: 12))
                .padding(.bottom, 96)
        }
        .task {
            UIAccessibility.post(notification: .announcement, argument: text)
            try? await Task.sleep(nanoseconds: 3_000_000_000)
            onDone()
        }
    }
}
