import Foundation

/// PIN lengths the pad accepts; the SDK makes the real decision (docs/mobile.md).
let pinMinDigits = 4
let pinMaxDigits = 12

/// The PIN being typed, held by a screen model (never in view state, never saved). Views see
/// only its length, which the model publishes. ``take()`` hands the PIN to one SDK call and
/// clears the buffer.
final class PinBuffer {
    private var digits: [Character] = []

    var length: Int { digits.count }

    func add(_ digit: Character) {
        guard digit.isASCII, digit.isNumber, digits.count < pinMaxDigits else { return }
        digits.append(digit)
    }

    func delete() {
        if !digits.isEmpty { digits.removeLast() }
    }

    func take() -> String {
        let pin = String(digits)
        clear()
        return pin
    }

    func clear() {
        for index in digits.indices { digits[index] = "0" }
        digits.removeAll()
    }
}

/// A screen model with a PIN pad.
@MainActor
protocol PinEntryModel: AnyObject {
    var pin: PinBuffer { get }
    var pinLength: Int { get set }
}

extension PinEntryModel {
    func addDigit(_ digit: Character) {
        pin.add(digit)
        pinLength = pin.length
    }

    func deleteDigit() {
        pin.delete()
        pinLength = pin.length
    }

    /// The PIN for one SDK call; the buffer and the dots are cleared.
    func takePin() -> String {
        defer { pinLength = 0 }
        return pin.take()
    }

    func clearPin() {
        pin.clear()
        pinLength = 0
    }
}
