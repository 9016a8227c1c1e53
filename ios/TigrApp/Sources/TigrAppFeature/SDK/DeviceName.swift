import UIKit

/// The name administrators see for this phone. Since iOS 16 `UIDevice.name` is the model
/// ("iPhone") unless the app has Apple's user-assigned-device-name entitlement; the model plus
/// the system version is still enough to tell phones apart in the admin page.
@MainActor
func deviceName() -> String {
    let device = UIDevice.current
    return "\(device.name) (\(device.systemName) \(device.systemVersion))"
}
