import AVFoundation
import SwiftUI
import TigrSDK
import UIKit

/// The scanner step: camera permission (with an explanation if denied), preview, torch toggle,
/// "Ce n'est pas un code Tigr" hint. Calls `onCode` once with the first Tigr code read; an OTP
/// code is offered in a sheet, and `onOtpAdded` gets the number of accounts added.
struct ScannerView: View {
    let onClose: () -> Void
    let onCode: (ScannedCode) -> Void
    let onOtpAdded: (Int) -> Void

    @StateObject private var model = ScannerModel()
    @State private var access = AVCaptureDevice.authorizationStatus(for: .video)
    @Environment(\.scenePhase) private var scenePhase

    var body: some View {
        ZStack {
            switch access {
            case .authorized:
                scanner
            case .notDetermined:
                Color.black.ignoresSafeArea().task { await requestAccess() }
            default:
                permissionExplanation
            }
        }
        .navigationTitle(L("scan.title"))
        .navigationBarTitleDisplayMode(.inline)
        .navigationBarBackButtonHidden(true)
        .toolbar {
            ToolbarItem(placement: .cancellationAction) {
                Button(L("action.close"), action: onClose)
            }
            ToolbarItem(placement: .primaryAction) {
                if access == .authorized && model.torchAvailable {
                    Button { model.torchOn.toggle() } label: {
                        Image(systemName: model.torchOn ? "flashlight.on.fill" : "flashlight.off.fill")
                    }
                    .accessibilityLabel(L(model.torchOn ? "scan.torchOff" : "scan.torchOn"))
                }
            }
        }
        .onChange(of: model.found) { code in
            if let code { onCode(code) }
        }
        .onChange(of: model.otpAdded) { count in
            if let count { onOtpAdded(count) }
        }
        .sheet(
            isPresented: Binding(
                get: { model.otpOffer != nil },
                set: { if !$0, model.otpOffer != nil { model.cancelOtp() } }
            )
        ) {
            if let offer = model.otpOffer {
                OtpOfferView(
                    offer: offer,
                    adding: model.otpAdding,
                    error: model.otpError,
                    onAdd: { Task { await model.confirmOtp() } },
                    onCancel: { model.cancelOtp() }
                )
            }
        }
        .onChange(of: scenePhase) { phase in
            // Back from Settings: the permission may have changed.
            if phase == .active { access = AVCaptureDevice.authorizationStatus(for: .video) }
        }
        .onDisappear { model.stop() }
    }

    private var scanner: some View {
        ZStack(alignment: .bottom) {
            CameraPreview(session: model.camera.session)
                .ignoresSafeArea()
                .onAppear { model.start() }
            RoundedRectangle(cornerRadius: 16)
                .stroke(Color.white, lineWidth: 3)
                .frame(width: 260, height: 260)
                .frame(maxWidth: .infinity, maxHeight: .infinity)
                .accessibilityHidden(true)
            VStack(spacing: 12) {
                if let reason = model.notTigr {
                    VStack(spacing: 4) {
                        Text(L(model.badOtpCode ? "scan.badOtp" : "scan.notTigr")).font(.headline)
                        Text(reason).font(.callout).multilineTextAlignment(.center)
                    }
                    .padding(12)
                    .background(.red.opacity(0.9), in: RoundedRectangle(cornerRadius: 12))
                    .foregroundStyle(.white)
                    .accessibilityElement(children: .combine)
                    .onAppear { UIAccessibility.post(notification: .announcement, argument: L("scan.notTigr")) }
                }
                Text(L("scan.hint"))
                    .foregroundStyle(.white)
                    .padding(.horizontal, 12).padding(.vertical, 8)
                    .background(.black.opacity(0.55), in: RoundedRectangle(cornerRadius: 8))
            }
            .padding(24)
        }
    }

    private var permissionExplanation: some View {
        VStack(spacing: 16) {
            Text(L("camera.needed.title")).font(.title2.bold()).multilineTextAlignment(.center)
                .accessibilityAddTraits(.isHeader)
            Text(L("camera.needed.body")).multilineTextAlignment(.center)
            Text(L("camera.denied")).font(.callout).multilineTextAlignment(.center)
            Button(L("camera.openSettings")) {
                if let url = URL(string: UIApplication.openSettingsURLString) {
                    UIApplication.shared.open(url)
                }
            }
            .buttonStyle(.borderedProminent)
        }
        .padding(32)
    }

    private func requestAccess() async {
        _ = await AVCaptureDevice.requestAccess(for: .video)
        access = AVCaptureDevice.authorizationStatus(for: .video)
    }
}
