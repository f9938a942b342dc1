import Crypto
import _CryptoExtras
import Foundation
import JSONCore

/// The host half of `crypto.createCipheriv`/`createDecipheriv`: AES over whole 16-byte blocks,
/// without padding, in ECB or CBC. The JavaScript half (cipher.js) pads, streams, and builds CTR
/// and GCM on ECB, so one small primitive here serves every mode Node names.
enum HostCipher {
    /// `{key, data, mode: "ecb"|"cbc", iv (cbc), decrypt}`, bytes as base64; answers base64.
    @Sendable static func aes(_ json: String, _ env: (any Sendable)?) throws -> String {
        let a = try HostCrypto.arguments(json)
        let key = try HostCrypto.bytes(a["key"], "key"), data = try HostCrypto.bytes(a["data"], "data")
        guard [16, 24, 32].contains(key.count) else { throw CryptoFailure("Invalid key length") }
        guard data.count % 16 == 0 else { throw CryptoFailure("AES data must be whole 16-byte blocks") }
        let k = SymmetricKey(data: key)
        let decrypt = a["decrypt"]?.boolValue == true
        switch a["mode"]?.stringValue {
        case "cbc":
            let ivBytes = try HostCrypto.bytes(a["iv"], "iv")
            guard ivBytes.count == 16 else { throw CryptoFailure("Invalid initialization vector") }
            let iv = try AES._CBC.IV(ivBytes: ivBytes)
            let out = decrypt ? try AES._CBC.decrypt(data, using: k, iv: iv, noPadding: true) : try AES._CBC.encrypt(data, using: k, iv: iv, noPadding: true)
            return HostCrypto.result(out)
        case "ecb":
            var bytes = [UInt8](data)
            var block = [UInt8](repeating: 0, count: 16)
            for offset in stride(from: 0, to: bytes.count, by: 16) {
                for i in 0..<16 { block[i] = bytes[offset + i] }
                if decrypt { try AES.inversePermute(&block, key: k) } else { try AES.permute(&block, key: k) }
                for i in 0..<16 { bytes[offset + i] = block[i] }
            }
            return HostCrypto.result(Data(bytes))
        default:
            throw CryptoFailure("unknown AES mode")
        }
    }
}
