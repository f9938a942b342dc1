import JSONCore
import Testing

/// `crypto.createCipheriv`/`createDecipheriv` (AES CBC, ECB, CTR, GCM) and the deprecated
/// `createCipher`, as Auth0's gallery rules use them; the expected values are Node 18's.
@Suite struct CipherTests {
    @Test func galleryEncryptAndDecryptRulesAndEveryModeMatchNode() async throws {
        let r = try await runNode("""
            const crypto = require('crypto');
            const configuration = { ENCRYPT_PASSWORD: 'S0me,Password!è§', ENCRYPT_IV: 'abcjfiekdpaifjfd' };
            function encrypt(data) {
              var iv = new Buffer(configuration.ENCRYPT_IV);
              var decodeKey = crypto.createHash('sha256').update(configuration.ENCRYPT_PASSWORD, 'utf-8').digest();
              var cipher = crypto.createCipheriv('aes-256-cbc', decodeKey, iv);
              return cipher.update(JSON.stringify(data || {}), 'utf8', 'base64') + cipher.final('base64');
            }
            function decrypt(data) {
              var iv = new Buffer(configuration.ENCRYPT_IV);
              var encodeKey = crypto.createHash('sha256').update(configuration.ENCRYPT_PASSWORD, 'utf-8').digest();
              var cipher = crypto.createDecipheriv('aes-256-cbc', encodeKey, iv);
              return JSON.parse(cipher.update(data, 'base64', 'utf8') + cipher.final('utf8'));
            }
            const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex'), iv12 = Buffer.from('cafebabefacedbaddecaf888', 'hex');
            const g = crypto.createCipheriv('aes-256-gcm', key, iv12); g.setAAD(Buffer.from('header'));
            const gct = g.update('secret message', 'utf8', 'hex') + g.final('hex'), gtag = g.getAuthTag().toString('hex');
            const open = (tag) => { const d = crypto.createDecipheriv('aes-256-gcm', key, iv12); d.setAAD(Buffer.from('header')); d.setAuthTag(Buffer.from(tag, 'hex'));
              try { return d.update(gct, 'hex', 'utf8') + d.final('utf8'); } catch (e) { return e.message; } };
            const g16 = crypto.createCipheriv('aes-128-gcm', key.subarray(0, 16), Buffer.alloc(16, 3));
            const legacy = crypto.createCipher('aes-256-cbc', 'password');
            const error = (f) => { try { f(); return 'none'; } catch (e) { return e.code + ': ' + e.message; } };
            const badPad = crypto.createDecipheriv('aes-256-cbc', key, Buffer.alloc(16, 2));
            return {
              enc: encrypt({ license_key: '1234567', social_security_number: '56789' }), dec: decrypt(encrypt({ a: 1 })),
              gct, gtag, opened: open(gtag), forged: open('00' + gtag.slice(2)),
              ctr: crypto.createCipheriv('aes-128-ctr', key.subarray(0, 16), Buffer.alloc(16, 0xff)).update('counter wraps around', 'utf8', 'hex'),
              ecb: crypto.createCipheriv('aes-192-ecb', key.subarray(0, 24), null).update('sixteen byte msg', 'utf8', 'hex'),
              g16: g16.update('x', 'utf8', 'hex') + g16.final('hex') + ':' + g16.getAuthTag().toString('hex'),
              legacy: legacy.update('hello', 'utf8', 'hex') + legacy.final('hex'),
              unknown: error(() => crypto.createCipheriv('aes-256-xts', key, iv12)), keyLength: error(() => crypto.createCipheriv('aes-128-cbc', key, Buffer.alloc(16))),
              ivLength: error(() => crypto.createCipheriv('aes-256-cbc', key, iv12)),
              badDecrypt: error(() => { badPad.update(Buffer.alloc(16, 7)); badPad.final(); }),
              listed: crypto.getCiphers().indexOf('aes-256-gcm') >= 0
            };
            """)
        let node: JSONValue = [
            "enc": "h8ci6kldcZyJK2LD7WDlyytnfpgnf0XoQZfJAoQvbM4UgotsQW3Wr9qZAdsawjC2socbEIMlQiC3TGgEDKitbg==", "dec": ["a": 1],
            "gct": "f9c6c354cf0e6f7623782ebc1c78", "gtag": "1b7309c416948c9b031cf438b9e14ea9", "opened": "secret message",
            "forged": "Unsupported state or unable to authenticate data", "ctr": "5f2b6a5cba62f00313a5c3e97d70da61a9d45553",
            "ecb": "6691473e5fa6a514a78a64f359f962e8", "g16": "95:2df0dea39cc5b10bf8abae9ab9167ac6", "legacy": "54f505e1106e9ffc22cd64705c3819d4",
            "unknown": "ERR_CRYPTO_UNKNOWN_CIPHER: Unknown cipher", "keyLength": "ERR_CRYPTO_INVALID_KEYLEN: Invalid key length",
            "ivLength": "ERR_CRYPTO_INVALID_IV: Invalid initialization vector",
            "badDecrypt": "ERR_OSSL_BAD_DECRYPT: error:1C800064:Provider routines::bad decrypt", "listed": true,
        ]
        #expect(r == node)
    }
}
