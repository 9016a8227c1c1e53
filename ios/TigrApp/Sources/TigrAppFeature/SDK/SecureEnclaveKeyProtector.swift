import CryptoKit
import Foundation
import Security
import TigrSDK

/// Wraps the SDK's vault with a key that never leaves this iPhone.
///
/// * With a Secure Enclave: a P-256 key generated inside it (permanent, tag
///   `fr.tigr.vault.v1`, `kSecAttrAccessibleWhenUnlockedThisDeviceOnly`, private key usage
///   only), and ECIES `eciesEncryptionCofactorVariableIVX963SHA256AESGCM`
///   (`SecKeyCreateEncryptedData` / `SecKeyCreateDecryptedData`). Format `0x01 || ECIES blob`.
/// * Without (simulator, old devices): an AES-256 key in the Keychain (generic password,
///   `kSecAttrAccessibleWhenUnlockedThisDeviceOnly`, never synced) and AES-GCM from CryptoKit.
///   Format `0x02 || nonce || ciphertext || tag`.
///
/// No user presence is required: the Tigr PIN is the factor, and the vault has no PIN oracle.
/// The key only makes a copied vault useless off this device. `unwrap` follows the format byte,
/// so a vault stays readable whichever key wrapped it.
final class SecureEnclaveKeyProtector: KeyProtector, @unchecked Sendable {
    private static let seFormat: UInt8 = 1
    private static let keychainFormat: UInt8 = 2
    private static let algorithm: SecKeyAlgorithm = .eciesEncryptionCofactorVariableIVX963SHA256AESGCM
    private let tag = Data("fr.tigr.vault.v1".utf8)
    private let keychainService = "fr.tigr.vault"
    private let keychainAccount = "aes-256-gcm.v1"
    private let lock = NSLock()

    func wrap(plaintext: Data) throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        if SecureEnclave.isAvailable, let privateKey = try enclaveKey(create: true),
           let publicKey = SecKeyCopyPublicKey(privateKey) {
            var error: Unmanaged<CFError>?
            guard let sealed = SecKeyCreateEncryptedData(publicKey, Self.algorithm, plaintext as CFData, &error) else {
                throw failure("wrap (Secure Enclave)", error)
            }
            return Data([Self.seFormat]) + (sealed as Data)
        }
        let key = try keychainKey(create: true)!
        do {
            guard let combined = try AES.GCM.seal(plaintext, using: key).combined else {
                throw KeyProtectorError.Failed(reason: "wrap: no combined AES-GCM box")
            }
            return Data([Self.keychainFormat]) + combined
        } catch let error as KeyProtectorError {
            throw error
        } catch {
            throw KeyProtectorError.Failed(reason: "wrap (Keychain): \(type(of: error))")
        }
    }

    func unwrap(wrapped: Data) throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        guard let format = wrapped.first else {
            throw KeyProtectorError.Failed(reason: "empty vault")
        }
        let body = wrapped.dropFirst()
        switch format {
        case Self.seFormat:
            guard let privateKey = try enclaveKey(create: false) else {
                throw KeyProtectorError.Failed(reason: "the Secure Enclave key of this vault is gone")
            }
            var error: Unmanaged<CFError>?
            guard let plain = SecKeyCreateDecryptedData(privateKey, Self.algorithm, Data(body) as CFData, &error) else {
                throw failure("unwrap (Secure Enclave)", error)
            }
            return plain as Data
        case Self.keychainFormat:
            guard let key = try keychainKey(create: false) else {
                throw KeyProtectorError.Failed(reason: "the Keychain key of this vault is gone")
            }
            do {
                return try AES.GCM.open(AES.GCM.SealedBox(combined: Data(body)), using: key)
            } catch {
                throw KeyProtectorError.Failed(reason: "unwrap (Keychain): \(type(of: error))")
            }
        default:
            throw KeyProtectorError.Failed(reason: "unknown vault wrapping format")
        }
    }

    // MARK: Secure Enclave key

    private func enclaveKey(create: Bool) throws -> SecKey? {
        let query: [String: Any] = [
            kSecClass as String: kSecClassKey,
            kSecAttrApplicationTag as String: tag,
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrTokenID as String: kSecAttrTokenIDSecureEnclave,
            kSecReturnRef as String: true,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecSuccess, let item {
            return (item as! SecKey) // swiftlint:disable:this force_cast (CF type bridge)
        }
        guard status == errSecItemNotFound else {
            throw KeyProtectorError.Failed(reason: "Secure Enclave lookup: OSStatus \(status)")
        }
        guard create else { return nil }

        var error: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(
            nil, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, .privateKeyUsage, &error
        ) else {
            throw failure("access control", error)
        }
        let attributes: [String: Any] = [
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrKeySizeInBits as String: 256,
            kSecAttrTokenID as String: kSecAttrTokenIDSecureEnclave,
            kSecPrivateKeyAttrs as String: [
                kSecAttrIsPermanent as String: true,
                kSecAttrApplicationTag as String: tag,
                kSecAttrAccessControl as String: access,
            ] as [String: Any],
        ]
        guard let key = SecKeyCreateRandomKey(attributes as CFDictionary, &error) else {
            throw failure("Secure Enclave key generation", error)
        }
        return key
    }

    // MARK: Keychain AES key (fallback)

    private func keychainKey(create: Bool) throws -> SymmetricKey? {
        let base: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: keychainService,
            kSecAttrAccount as String: keychainAccount,
        ]
        var query = base
        query[kSecReturnData as String] = true
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecSuccess, let data = item as? Data, data.count == 32 {
            return SymmetricKey(data: data)
        }
        guard status == errSecItemNotFound else {
            throw KeyProtectorError.Failed(reason: "Keychain lookup: OSStatus \(status)")
        }
        guard create else { return nil }

        let key = SymmetricKey(size: .bits256)
        var add = base
        add[kSecValueData as String] = key.withUnsafeBytes { Data($0) }
        add[kSecAttrAccessible as String] = kSecAttrAccessibleWhenUnlockedThisDeviceOnly
        add[kSecAttrSynchronizable as String] = false
        let added = SecItemAdd(add as CFDictionary, nil)
        guard added == errSecSuccess else {
            throw KeyProtectorError.Failed(reason: "Keychain add: OSStatus \(added)")
        }
        return key
    }

    /// A platform error as the SDK's error: the CFError's domain and code, never data.
    private func failure(_ operation: String, _ error: Unmanaged<CFError>?) -> KeyProtectorError {
        guard let cfError = error?.takeRetainedValue() else {
            return KeyProtectorError.Failed(reason: "\(operation) failed")
        }
        let nsError = cfError as Error as NSError
        return KeyProtectorError.Failed(reason: "\(operation): \(nsError.domain) \(nsError.code)")
    }
}
