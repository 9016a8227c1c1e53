import AVFoundation
import TigrSDK

/// The back camera as a stream of luma planes for the SDK's `decodeFrame`.
///
/// Frames come as `kCVPixelFormatType_420YpCbCr8BiPlanarFullRange` (about 1280x720); plane 0 is
/// the Y plane, `bytesPerRow` bytes per row (rows may be padded), handed with that stride.
/// Decoding runs on the video queue; late frames are dropped (`alwaysDiscardsLateVideoFrames`),
/// so a slow decode never piles up. Orientation does not matter to a QR decoder.
final class CameraController: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate, @unchecked Sendable {
    let session = AVCaptureSession()
    /// Called on the video queue with the texts of the QR codes found in one frame.
    var onTexts: (([String]) -> Void)?
    /// Called on the main queue once the camera is set up: whether it has a torch.
    var onTorchAvailable: ((Bool) -> Void)?

    private let sessionQueue = DispatchQueue(label: "fr.tigr.camera.session")
    private let videoQueue = DispatchQueue(label: "fr.tigr.camera.frames", qos: .userInitiated)
    private var device: AVCaptureDevice?
    private var configured = false
    private let pauseLock = NSLock()
    private var isPaused = false

    var paused: Bool {
        get { pauseLock.lock(); defer { pauseLock.unlock() }; return isPaused }
        set { pauseLock.lock(); isPaused = newValue; pauseLock.unlock() }
    }

    func start() {
        sessionQueue.async { [self] in
            if !configured { configure() }
            if !session.isRunning { session.startRunning() }
        }
    }

    func stop() {
        sessionQueue.async { [self] in
            if session.isRunning { session.stopRunning() }
        }
    }

    func setTorch(_ on: Bool) {
        sessionQueue.async { [self] in
            guard let device, device.hasTorch, device.isTorchAvailable else { return }
            do {
                try device.lockForConfiguration()
                device.torchMode = on ? .on : .off
                device.unlockForConfiguration()
            } catch {
                // The torch is a comfort: ignore a device that refuses it.
            }
        }
    }

    private func configure() {
        configured = true
        session.beginConfiguration()
        defer { session.commitConfiguration() }
        if session.canSetSessionPreset(.hd1280x720) { session.sessionPreset = .hd1280x720 }
        guard let camera = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back),
              let input = try? AVCaptureDeviceInput(device: camera),
              session.canAddInput(input) else { return }
        session.addInput(input)
        device = camera
        if (try? camera.lockForConfiguration()) != nil {
            if camera.isFocusModeSupported(.continuousAutoFocus) { camera.focusMode = .continuousAutoFocus }
            if camera.isAutoFocusRangeRestrictionSupported { camera.autoFocusRangeRestriction = .near }
            camera.unlockForConfiguration()
        }

        let output = AVCaptureVideoDataOutput()
        output.videoSettings = [
            kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarFullRange,
        ]
        output.alwaysDiscardsLateVideoFrames = true
        output.setSampleBufferDelegate(self, queue: videoQueue)
        guard session.canAddOutput(output) else { return }
        session.addOutput(output)

        let hasTorch = camera.hasTorch
        DispatchQueue.main.async { [weak self] in self?.onTorchAvailable?(hasTorch) }
    }

    func captureOutput(
        _ output: AVCaptureOutput,
        didOutput sampleBuffer: CMSampleBuffer,
        from connection: AVCaptureConnection
    ) {
        guard !paused, let pixels = CMSampleBufferGetImageBuffer(sampleBuffer) else { return }
        CVPixelBufferLockBaseAddress(pixels, .readOnly)
        defer { CVPixelBufferUnlockBaseAddress(pixels, .readOnly) }
        guard CVPixelBufferGetPlaneCount(pixels) >= 1,
              let base = CVPixelBufferGetBaseAddressOfPlane(pixels, 0) else { return }
        let width = CVPixelBufferGetWidthOfPlane(pixels, 0)
        let height = CVPixelBufferGetHeightOfPlane(pixels, 0)
        let stride = CVPixelBufferGetBytesPerRowOfPlane(pixels, 0)
        let luma = Data(bytes: base, count: stride * height)
        let texts: [String]
        do {
            texts = try decodeFrame(luma: luma, width: UInt32(width), height: UInt32(height), stride: UInt32(stride))
        } catch {
            return // an unreadable frame is skipped; the decoder reports, it never crashes
        }
        if !texts.isEmpty { onTexts?(texts) }
    }
}
