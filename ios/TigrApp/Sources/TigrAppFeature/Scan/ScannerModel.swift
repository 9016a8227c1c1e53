import Foundation
import TigrSDK

/// Scanner step: each decoded text goes through `parseCode(text:)` (local, no network). The
/// first Tigr code stops scanning and opens its flow, which calls `scan(text:)`. Any other QR
/// code shows "Ce n'est pas un code Tigr" for a few seconds while scanning goes on.
@MainActor
final class ScannerModel: ObservableObject {
    @Published private(set) var notTigr: String?
    @Published private(set) var found: ScannedCode?
    @Published var torchOn = false {
        didSet { camera.setTorch(torchOn) }
    }
    @Published private(set) var torchAvailable = false

    let camera = CameraController()
    private let service: TigrService
    private var handled = false
    private var lastRejected: String?
    private var hintTask: Task<Void, Never>?

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
                    found = code
                    return
                case .failure(_, let message):
                    lastRejected = text
                    showNotTigr(message)
                }
            }
        }
    }

    private func showNotTigr(_ message: String) {
        hintTask?.cancel()
        notTigr = message
        hintTask = Task {
            try? await Task.sleep(nanoseconds: 3_000_000_000)
            guard !Task.isCancelled else { return }
            lastRejected = nil
            notTigr = nil
        }
    }
}
