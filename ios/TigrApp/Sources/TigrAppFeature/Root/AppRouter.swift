import SwiftUI
import TigrSDK

/// The navigation stack: accounts -> scan -> enroll | login [-> offline]; every flow ends back
/// on the account list.
@MainActor
final class AppRouter: ObservableObject {
    @Published var path: [Route] = []
    /// "Ce n'est pas un code Tigr" for a link that opened the app.
    @Published var linkError: String?
    /// A short message over the account list ("2 comptes ajoutés").
    @Published var notice: String?

    let service: TigrService

    init(service: TigrService = .shared) {
        self.service = service
    }

    func showScanner() { path = [.scan] }

    /// The scanner read a Tigr code: replace the scanner by the code's flow.
    func open(_ code: ScannedCode) {
        if let route = Route.forCode(code) {
            path = [route]
        } else {
            linkError = L("otp.linkUseScanner")
        }
    }

    /// The login flow found no server: replace it by the offline flow.
    func goOffline(payload: String, tigrId: String?, reason: String?) {
        path = [.offline(payload: payload, tigrId: tigrId, reason: reason)]
    }

    func home() { path = [] }

    /// The scanner added OTP accounts: back to the list, which says how many.
    func otpAdded(_ count: Int) {
        path = []
        notice = plural(count, one: "otp.added.one", other: "otp.added.other")
    }

    /// A Universal Link (https://<server>/t/1/...) or tigr:// URL opened the app.
    func openLink(_ url: URL) {
        let text = url.absoluteString
        Task {
            switch await service.call({ try $0.parseCode(text: text) }) {
            case .success(let code): open(code)
            case .failure(_, let message): linkError = message
            }
        }
    }
}
