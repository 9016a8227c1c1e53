// XCTest suite of the generated Swift bindings (module TigrSDK), the same flows as the Kotlin
// suite in android/jvm-tests and the Rust suite in mobile-bindings/tests.
//
// NOT RUN on the project's Linux machines (no Swift toolchain, no Xcode). It is meant for a Mac:
// a SwiftPM test target (or an Xcode macOS unit-test bundle) that compiles
// target/bindings/swift/TigrSDK.swift, imports the TigrSDKFFI module (TigrSDKFFI.h +
// TigrSDKFFI.modulemap) and links the host library target/release/libtigr_mobile.dylib. The
// tests start a real `tigr-server` process (macOS only: `Process` does not exist on iOS), found
// at $TIGR_SERVER_BINARY or <repo>/target/release/tigr-server, with the repository root taken
// from $TIGR_REPO_ROOT. See mobile-bindings/README.md, "Swift tests".

import CoreImage
import CryptoKit
import Foundation
import XCTest

@testable import TigrSDK

// MARK: - Key protectors

/// What an iOS app does with the Keychain / Secure Enclave: AES-GCM under a key the SDK never sees.
final class AesKeyProtector: KeyProtector, @unchecked Sendable {
    private let key = SymmetricKey(size: .bits256)

    func wrap(plaintext: Data) throws -> Data {
        guard let combined = try AES.GCM.seal(plaintext, using: key).combined else {
            throw KeyProtectorError.Failed(reason: "no combined form")
        }
        return combined
    }

    func unwrap(wrapped: Data) throws -> Data {
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: wrapped), using: key)
        } catch {
            throw KeyProtectorError.Failed(reason: "not wrapped by this key")
        }
    }
}

/// A key store that refuses, as a locked phone's would.
final class LockedKeyProtector: KeyProtector, @unchecked Sendable {
    func wrap(plaintext: Data) throws -> Data { throw KeyProtectorError.Failed(reason: "device locked") }
    func unwrap(wrapped: Data) throws -> Data { throw KeyProtectorError.Failed(reason: "device locked") }
}

/// A buggy key store that throws an error the SDK does not declare.
final class BuggyKeyProtector: KeyProtector, @unchecked Sendable {
    func wrap(plaintext: Data) throws -> Data { throw NSError(domain: "bug", code: 1) }
    func unwrap(wrapped: Data) throws -> Data { throw NSError(domain: "bug", code: 2) }
}

// MARK: - A real tigr-server

struct Challenge {
    let id: String
    let qrPayload: String
    let browserToken: String
}

/// A `tigr-server` process on loopback, its admin CLI and the browser side of its API.
final class TestServer {
    static let serviceName = "Tigr Swift tests"

    let dir: URL
    let port: Int
    var publicUrl: String { "http://127.0.0.1:\(port)" }
    private let binary: URL
    private var process: Process?

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("tigr-swift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        port = Int.random(in: 20000..<40000)
        let env = ProcessInfo.processInfo.environment
        if let path = env["TIGR_SERVER_BINARY"] {
            binary = URL(fileURLWithPath: path)
        } else {
            let root = env["TIGR_REPO_ROOT"] ?? FileManager.default.currentDirectoryPath
            binary = URL(fileURLWithPath: root).appendingPathComponent("target/release/tigr-server")
        }
        try start()
    }

    private var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["TIGR_LISTEN"] = "127.0.0.1:\(port)"
        env["TIGR_PUBLIC_URL"] = publicUrl
        env["TIGR_DATABASE_URL"] = "sqlite://\(dir.appendingPathComponent("tigr.db").path)"
        env["TIGR_MASTER_KEY_FILE"] = dir.appendingPathComponent("master.key").path
        env["TIGR_SERVICE_NAME"] = TestServer.serviceName
        return env
    }

    /// Starts (or restarts, same port and database) the server and waits for /healthz.
    func start() throws {
        let p = Process()
        p.executableURL = binary
        p.arguments = ["serve"]
        p.environment = environment
        p.currentDirectoryURL = dir
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        for _ in 0..<300 {
            if let (status, _) = try? request("GET", "/healthz", body: nil, token: nil, api: false), status == 200 {
                return
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw NSError(domain: "tigr-server not healthy", code: 1)
    }

    /// Stops the server: phones (and browsers) get "connection refused".
    func stop() {
        process?.terminate()
        process?.waitUntilExit()
        process = nil
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: dir)
    }

    /// `tigr-server enroll <account> --png <path>`: the invitation's payload.
    func invitationPayload(_ account: String) throws -> String {
        let p = Process()
        p.executableURL = binary
        p.arguments = ["enroll", account, "--png", dir.appendingPathComponent("\(account).png").path]
        p.environment = environment
        p.currentDirectoryURL = dir
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let regex = try NSRegularExpression(pattern: "https?://\\S+/t/1/E/[A-Z2-7]{26}")
        guard p.terminationStatus == 0,
              let match = regex.firstMatch(in: output, range: NSRange(output.startIndex..., in: output)),
              let range = Range(match.range, in: output)
        else { throw NSError(domain: "enroll failed: \(output)", code: 1) }
        return String(output[range])
    }

    /// Synchronous HTTP for the browser side.
    func request(_ method: String, _ path: String, body: String?, token: String?, api: Bool = true) throws -> (Int, [String: Any]) {
        var req = URLRequest(url: URL(string: publicUrl + (api ? "/api/v1" : "") + path)!)
        req.httpMethod = method
        req.timeoutInterval = 10
        req.setValue("application/json", forHTTPHeaderField: "content-type")
        req.setValue("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15",
                     forHTTPHeaderField: "user-agent")
        if let token { req.setValue(token, forHTTPHeaderField: "x-tigr-browser-token") }
        req.httpBody = body?.data(using: .utf8)
        let done = DispatchSemaphore(value: 0)
        var result: (Int, Data)?
        var failure: Error?
        URLSession.shared.dataTask(with: req) { data, response, error in
            if let error { failure = error } else {
                result = ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data())
            }
            done.signal()
        }.resume()
        done.wait()
        if let failure { throw failure }
        let (status, data) = result!
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return (status, json)
    }

    func createChallenge() throws -> Challenge {
        let (status, json) = try request("POST", "/login/challenges", body: "{}", token: nil)
        XCTAssertTrue(status == 200 || status == 201)
        return Challenge(id: json["challenge_id"] as! String,
                         qrPayload: json["qr_payload"] as! String,
                         browserToken: json["browser_token"] as! String)
    }

    func state(_ c: Challenge) throws -> (String, String?) {
        let (status, json) = try request("GET", "/login/challenges/\(c.id)/status", body: nil, token: c.browserToken)
        XCTAssertEqual(status, 200)
        return (json["state"] as! String, json["account"] as? String)
    }

    func submitOffline(_ c: Challenge, tigrId: String, otp: String) throws -> Int {
        try request("POST", "/login/challenges/\(c.id)/offline",
                    body: "{\"tigr_id\":\"\(tigrId)\",\"otp\":\"\(otp)\"}", token: c.browserToken).0
    }
}

// MARK: - Helpers

/// The TigrError thrown by `body`, or a test failure.
func tigrError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> TigrError? {
    do {
        try body()
        XCTFail("no error thrown", file: file, line: line)
    } catch let error as TigrError {
        return error
    } catch {
        XCTFail("not a TigrError: \(error)", file: file, line: line)
    }
    return nil
}

/// A 640x480 camera frame (Y plane, rows padded to 704 bytes) showing the QR code of `text`.
func cameraFrame(_ text: String) -> (Data, UInt32, UInt32, UInt32) {
    let (width, height, stride) = (640, 480, 704)
    let filter = CIFilter(name: "CIQRCodeGenerator")!
    filter.setValue(Data(text.utf8), forKey: "inputMessage")
    filter.setValue("M", forKey: "inputCorrectionLevel")
    let qr = filter.outputImage!.transformed(by: CGAffineTransform(scaleX: 5, y: 5))
    let context = CIContext()
    let cgImage = context.createCGImage(qr, from: qr.extent)!
    var luma = [UInt8](repeating: 0xB4, count: stride * height)
    let gray = CGContext(data: &luma, width: width, height: height, bitsPerComponent: 8, bytesPerRow: stride,
                         space: CGColorSpaceCreateDeviceGray(), bitmapInfo: CGImageAlphaInfo.none.rawValue)!
    let x = (width - cgImage.width) / 2, y = (height - cgImage.height) / 2
    gray.draw(cgImage, in: CGRect(x: x, y: y, width: cgImage.width, height: cgImage.height))
    return (Data(luma), UInt32(width), UInt32(height), UInt32(stride))
}

// MARK: - Tests

final class TigrSDKTests: XCTestCase {
    nonisolated(unsafe) static var server: TestServer!
    nonisolated(unsafe) static var counter = 0
    let pin = "2580"

    /// The app's clock (Unix seconds), as the app hands it to `errorMessage` and `minutesUntil`.
    var now: Int64 { Int64(Date().timeIntervalSince1970) }

    override class func setUp() {
        super.setUp()
        server = try! TestServer()
    }

    override class func tearDown() {
        server = nil
        super.tearDown()
    }

    var server: TestServer { Self.server }

    func newAccountName() -> String {
        Self.counter += 1
        return "dr.swift\(Self.counter)"
    }

    func newPhone(_ protector: KeyProtector? = nil, dir: URL? = nil) throws -> Authenticator {
        let storage = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("tigr-phone-\(UUID().uuidString)")
        return try Authenticator(storageDir: storage.path, keyProtector: protector, language: "fr")
    }

    func enrolled(_ phone: Authenticator, _ tigrId: String? = nil) throws -> Account {
        let tigrId = tigrId ?? newAccountName()
        guard case let .invitation(offer) = try phone.scan(text: try server.invitationPayload(tigrId)) else {
            XCTFail("not an invitation offer"); throw NSError(domain: "scan", code: 1)
        }
        XCTAssertEqual(offer.tigrId, tigrId)
        return try phone.enroll(payload: offer.payload, pin: pin, pinConfirmation: pin, deviceName: "Swift test phone")
    }

    func scanLogin(_ phone: Authenticator, _ payload: String) throws -> LoginRequest {
        guard case let .login(request) = try phone.scan(text: payload) else {
            XCTFail("not a login"); throw NSError(domain: "scan", code: 1)
        }
        return request
    }

    func testVersionAndOfflineParsing() throws {
        XCTAssertFalse(sdkVersion().isEmpty)
        let challenge = try server.createChallenge()
        guard case let .login(code) = try parseCode(text: challenge.qrPayload) else { return XCTFail("login expected") }
        XCTAssertEqual(code.challengeId, challenge.id)
        XCTAssertEqual(code.serverOrigin, server.publicUrl)
        guard case .InvalidCode(.notTigr, _) = tigrError({ _ = try parseCode(text: "https://example.com/") }) else {
            return XCTFail()
        }
        let newer = tigrError { _ = try parseCode(text: "https://auth.example.fr/t/2/L/x") }!
        guard case .InvalidCode(.unsupportedVersion, _) = newer else { return XCTFail() }
        XCTAssertTrue(errorMessage(error: newer, language: "en", nowUnix: now).contains("newer version"))
    }

    func testEnrollThenApproveLogsTheBrowserIn() throws {
        let phone = try newPhone()
        let account = try enrolled(phone)
        XCTAssertEqual(account.serviceName, TestServer.serviceName)
        XCTAssertEqual(try phone.accounts(), [account])

        let challenge = try server.createChallenge()
        let request = try scanLogin(phone, challenge.qrPayload)
        let context = try XCTUnwrap(request.context)
        XCTAssertEqual(context.serviceName, TestServer.serviceName)
        XCTAssertEqual(context.browserIp, "127.0.0.1")
        XCTAssertNil(request.offlineReason)
        XCTAssertEqual(request.accounts, [account])
        XCTAssertEqual(try server.state(challenge).0, "scanned")

        try phone.approve(payload: request.code.payload, tigrId: nil, pin: pin)
        let (state, who) = try server.state(challenge)
        XCTAssertEqual(state, "approved")
        XCTAssertEqual(who, account.tigrId)
        guard case .AlreadyUsed = tigrError({ try phone.approve(payload: request.code.payload, tigrId: nil, pin: self.pin) }) else {
            return XCTFail()
        }
    }

    func testPinRulesComeBeforeTheNetwork() throws {
        let phone = try newPhone()
        let payload = "http://127.0.0.1:9/t/1/E/GEZDGNBVGY3TQOJQGEZDGNBVGY"
        let cases: [(String, String, InvalidPinReason)] =
            [("1234", "1234", .tooSimple), ("2580", "2581", .mismatch), ("25a0", "25a0", .format)]
        for (a, b, reason) in cases {
            guard case let .InvalidPin(got) = tigrError({ _ = try phone.enroll(payload: payload, pin: a, pinConfirmation: b, deviceName: "x") }) else {
                return XCTFail()
            }
            XCTAssertEqual(got, reason)
        }
        guard case .Network = tigrError({ _ = try phone.scan(text: payload) }) else { return XCTFail() }
    }

    func testWrongPinsCountDownThenBlock() throws {
        let phone = try newPhone()
        _ = try enrolled(phone)
        let payload = try scanLogin(phone, try server.createChallenge().qrPayload).code.payload
        var left: [UInt32] = []
        for _ in 0..<4 {
            guard case let .WrongPin(n) = tigrError({ try phone.approve(payload: payload, tigrId: nil, pin: "99999") }) else {
                return XCTFail()
            }
            left.append(n)
        }
        XCTAssertEqual(left, [4, 3, 2, 1])
        // The default block is temporary (15 min): the error says until when, the app counts the
        // minutes with its own clock.
        let blocked = tigrError({ try phone.approve(payload: payload, tigrId: nil, pin: "99999") })
        guard case let .AccountBlocked(blockedUntil) = blocked, let until = blockedUntil else { return XCTFail() }
        let now = self.now
        XCTAssertEqual(minutesUntil(until: until, nowUnix: now), 15)
        XCTAssertEqual(minutesUntil(until: until, nowUnix: now + 600), 5)
        XCTAssertTrue(errorMessage(error: blocked!, language: "fr", nowUnix: now).contains("bloqué pour 15 min"))
        guard case .AccountBlocked = tigrError({ try phone.approve(payload: payload, tigrId: nil, pin: self.pin) }) else { return XCTFail() }
    }

    func testOfflineCodeWithoutNetworkIsAccepted() throws {
        let storage = FileManager.default.temporaryDirectory.appendingPathComponent("tigr-offline-\(UUID().uuidString)")
        let account = try enrolled(try newPhone(dir: storage))
        let challenge = try server.createChallenge()

        server.stop()  // the phone has no network (the challenge stays in the server's database)
        let phone = try newPhone(dir: storage)
        let request = try scanLogin(phone, challenge.qrPayload)
        XCTAssertNil(request.context)
        XCTAssertNotNil(request.offlineReason)
        let code = try phone.offlineCode(payload: request.code.payload, tigrId: nil, pin: pin)
        XCTAssertEqual(code.tigrId, account.tigrId)
        XCTAssertEqual(code.otp.count, 8)
        try server.start()

        XCTAssertEqual(try server.submitOffline(challenge, tigrId: code.tigrId, otp: code.otp), 200)
        XCTAssertEqual(try server.state(challenge).0, "approved")
    }

    func testDeny() throws {
        let phone = try newPhone()
        _ = try enrolled(phone)
        let challenge = try server.createChallenge()
        try phone.deny(payload: try scanLogin(phone, challenge.qrPayload).code.payload, tigrId: nil)
        XCTAssertEqual(try server.state(challenge).0, "denied")
    }

    func testAccountChoiceAndRevocation() throws {
        let phone = try newPhone()
        let alice = try enrolled(phone)
        let bob = try enrolled(phone)
        let request = try scanLogin(phone, try server.createChallenge().qrPayload)
        guard case let .AccountChoiceNeeded(ids) = tigrError({ try phone.approve(payload: request.code.payload, tigrId: nil, pin: self.pin) }) else {
            return XCTFail()
        }
        XCTAssertEqual(Set(ids), [alice.tigrId, bob.tigrId])
        try phone.approve(payload: request.code.payload, tigrId: bob.tigrId, pin: pin)

        _ = try enrolled(try newPhone(), alice.tigrId)  // Alice's new phone
        let next = try scanLogin(phone, try server.createChallenge().qrPayload).code.payload
        guard case .PhoneRevoked = tigrError({ try phone.approve(payload: next, tigrId: alice.tigrId, pin: self.pin) }) else {
            return XCTFail()
        }
        try phone.removeAccount(serverOrigin: alice.serverOrigin, tigrId: alice.tigrId)
        XCTAssertEqual(try phone.accounts().map(\.tigrId), [bob.tigrId])
    }

    func testDecodeFrame() throws {
        let challenge = try server.createChallenge()
        let (luma, width, height, stride) = cameraFrame(challenge.qrPayload)
        XCTAssertEqual(try decodeFrame(luma: luma, width: width, height: height, stride: stride), [challenge.qrPayload])
        let blank = Data(repeating: 0x7F, count: Int(stride * height))
        XCTAssertEqual(try decodeFrame(luma: blank, width: width, height: height, stride: stride), [])
    }

    func testFailingKeyProtectorsNeverCrash() throws {
        let storage = FileManager.default.temporaryDirectory.appendingPathComponent("tigr-keystore-\(UUID().uuidString)")
        let good = AesKeyProtector()
        let account = try enrolled(try newPhone(good, dir: storage))
        let protectors: [KeyProtector] = [LockedKeyProtector(), BuggyKeyProtector(), AesKeyProtector()]
        for protector in protectors {
            let phone = try newPhone(protector, dir: storage)
            guard case let .KeyStore(detail) = tigrError({ _ = try phone.accounts() }) else { return XCTFail() }
            XCTAssertFalse(detail.contains(pin))
        }
        XCTAssertEqual(try newPhone(good, dir: storage).accounts(), [account])
    }

    func testErrorMessages() {
        let now: Int64 = 1_795_000_000
        XCTAssertEqual(errorMessage(error: .WrongPin(attemptsLeft: 3), language: "fr", nowUnix: now),
                       "Code PIN incorrect. Il vous reste 3 essais.")
        XCTAssertEqual(errorMessage(error: .WrongPin(attemptsLeft: 3), language: "en", nowUnix: now), "Wrong PIN. 3 attempts left.")
        XCTAssertEqual(errorMessage(error: .AccountBlocked(blockedUntil: now + 900), language: "en", nowUnix: now),
                       "Your account is blocked for 15 min after too many wrong attempts. Try again afterwards, or contact your administrator.")
        XCTAssertTrue(errorMessage(error: .AccountBlocked(blockedUntil: nil), language: "fr", nowUnix: now)
            .contains("Contactez votre administrateur"))
        // Every reason reads differently.
        let codes: [InvalidCodeReason] = [.notTigr, .unsupportedVersion, .unknownChallenge, .notALoginCode, .notAnInvitation]
        let pins: [InvalidPinReason] = [.format, .mismatch, .tooSimple]
        let invitations: [InvalidInvitationReason] = [.unknown, .expired, .used]
        var reasons: [TigrError] = codes.map { TigrError.InvalidCode(reason: $0, detail: "") }
        reasons += pins.map { TigrError.InvalidPin(reason: $0) }
        reasons += invitations.map { TigrError.InvalidInvitation(reason: $0) }
        let sentences = Set(reasons.map { errorMessage(error: $0, language: "fr", nowUnix: now) })
        XCTAssertEqual(sentences.count, reasons.count)
    }

    func testWrongKindOfCodeHasItsReason() throws {
        let phone = try newPhone()
        _ = try enrolled(phone)
        let invitation = try server.invitationPayload(newAccountName())
        let login = try server.createChallenge().qrPayload
        guard case let .InvalidCode(first, _) = tigrError({ try phone.approve(payload: invitation, tigrId: nil, pin: self.pin) }),
              case let .InvalidCode(second, _) = tigrError({ _ = try phone.enroll(payload: login, pin: self.pin, pinConfirmation: self.pin, deviceName: "x") })
        else { return XCTFail() }
        XCTAssertEqual(first, .notALoginCode)
        XCTAssertEqual(second, .notAnInvitation)
    }
}
