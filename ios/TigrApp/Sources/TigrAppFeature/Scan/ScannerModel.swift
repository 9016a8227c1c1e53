import Foundation
import TigrSDK

/// Scanner step: each decoded text goes through `parseCode(text:)` (local, no network). The
/// first Tigr code stops scanning and opens its flow, which calls `scan(text:)`. An OTP code
/// (`otpauth://`, Google Authenticator export) stops scanning and shows its accounts;
/// `confirmOtp` adds them (`addOtpAccounts(text:)`). Its text holds the secret, so it stays in
/// this model's memory only, never in a published property or the navigation path. Any other
/// QR code shows "Ce n'est pas un code Tigr" for a few seconds while scanning goes on.
@MainActor
final class ScannerModel: ObservableObject {
    @Published private(set) var notTigr: String?
    /// With `notTigr`: the code was an OTP code that cannot be used.
    @Published private(set) var badOtpCode = false
    @Published private(set) var found: ScannedCode?
    /// An OTP code was read: its accounts, shown for confirmation (no secret).
    @Published private(set) var otpOffer: OtpImportPreview?
    @Published private(set) var otpAdding = false
    @Published private(set) var otpError: String?
    /// The accounts were added: how many (the view goes back to the list).
    @Published private(set) var otpAdded: Int?
    @Published var torchOn = false {
        didSet { camera.setTorch(torchOn) }
    }
    @Published private(set) var torchAvailable = false

    let camera = CameraController()
    private let service: TigrService
    private var handled = false
    private var lastRejected: String?
    private var hintTask: Task<Void, Never>?
    /// The scanned OTP code while its accounts are offered.
    private var otpText: String?

    init(service: TigrService = .shared) {
        self.service = service
        camera.onTexts = { [weak self] texts in
            Task { @MainActor in self?.onTexts(texts) }
        }
        camera.onTorchAvailable = { [weak self] available in
            Task { @MainActor in self?.torchAvailable = available }
        }
    }

    func start() { camera.start() }

    func stop() {
        torchOn = false
        camera.stop()
    }

    private func onTexts(_ texts: [String]) {
        guard !handled else { return }
        Task {
            for text in texts where text != lastRejected {
                switch await service.call({ try $0.parseCode(text: text) }) {
                case .success(let code):
                    guard !handled else { return }
                    handled = true
                    camera.paused = true
                    notTigr = nil
                    if case .otpAccounts(let preview) = code {
                        otpText = text
                        otpOffer = preview
                    } else {
                        found = code
                    }
                    return
                case .failure(let error, let message):
                    lastRejected = text
                    var otp = false
                    if let tigr = error as? TigrError, case .InvalidOtpCode = tigr { otp = true }
                    showNotTigr(message, badOtp: otp)
                }
            }
        }
    }

    /// "Ajouter": adds the offered accounts, all or none.
    func confirmOtp() async {
        guard let text = otpText else { return }
        otpAdding = true
        otpError = nil
        switch await service.call({ try $0.addOtpAccounts(text: text) }) {
        case .success(let accounts):
            otpText = nil
            otpOffer = nil
            otpAdded = accounts.count
        case .failure(_, let message):
            otpError = message
        }
        otpAdding = false
    }

    /// "Annuler": forgets the code and scans again (the same code is ignored for a few seconds).
    func cancelOtp() {
        lastRejected = otpText
        otpText = nil
        otpOffer = nil
        otpError = nil
        handled = false
        camera.paused = false
        hintTask?.cancel()
        hintTask = Task {
            try? await Task.sleep(nanoseconds: 3_000_000_000)
            guard !Task.isCancelled else { return }
            lastRejected = nil
        }
    }

    private func showNotTigr(_ message: String, badOtp: Bool) {
        hintTask?.cancel()
        notTigr = message
        badOtpCode = badOtp
        hintTask = Task {
            try? await Task.sleep(nanoseconds: 3_000_000_000)
            guard !Task.isCancelled else { return }
            lastRejected = nil
            notTigr = nil
        }
    }
}
