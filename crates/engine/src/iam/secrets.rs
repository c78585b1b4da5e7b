//! Connection credentials are sealed with ChaCha20-Poly1305 under a key the operator
//! controls (`GUREUM_SECRET_KEY`, or `<data-dir>/secret.key` created on first start).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

impl SecretKey {
    pub fn generate() -> Self {
        let key = ChaCha20Poly1305::generate_key(&mut OsRng);
        SecretKey(key.into())
    }

    /// Reads a base64-encoded 32-byte key.
    pub fn from_base64(s: &str) -> Result<Self, String> {
        let bytes = STANDARD.decode(s.trim()).map_err(|e| format!("secret key is not base64: {e}"))?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| "secret key must be 32 bytes".to_string())?;
        Ok(SecretKey(arr))
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.0))
    }

    /// `base64(nonce ‖ ciphertext)`.
    pub fn seal(&self, plaintext: &[u8]) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ct = self.cipher().encrypt(&nonce, plaintext).expect("encryption cannot fail");
        let mut out = nonce.to_vec();
        out.extend(ct);
        STANDARD.encode(out)
    }

    /// A text column sealed at rest, marked so that values written before sealing (plain
    /// text) still read.
    pub fn seal_field(&self, plain: &str) -> String {
        format!("{SEALED_FIELD}{}", self.seal(plain.as_bytes()))
    }

    /// Reads a column written by [`SecretKey::seal_field`], or an older plain one.
    pub fn open_field(&self, stored: &str) -> Result<String, String> {
        match stored.strip_prefix(SEALED_FIELD) {
            Some(sealed) => String::from_utf8(self.open(sealed)?).map_err(|_| "a sealed field is not text".into()),
            None => Ok(stored.to_string()),
        }
    }

    /// Opens a value sealed from JSON (credentials, secret parameters) and reads it.
    pub fn open_json<T: serde::de::DeserializeOwned>(&self, sealed: &str) -> Result<T, String> {
        serde_json::from_slice(&self.open(sealed)?).map_err(|e| format!("sealed value is not the JSON expected: {e}"))
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, String> {
        let raw = STANDARD.decode(sealed).map_err(|_| "sealed credentials are not base64".to_string())?;
        if raw.len() < 12 {
            return Err("sealed credentials are truncated".into());
        }
        let (nonce, ct) = raw.split_at(12);
        self.cipher()
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| "credentials cannot be decrypted with this server's secret key".into())
    }
}

/// The mark of a sealed text column.
const SEALED_FIELD: &str = "sealed:v1:";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_fields_round_trip_and_plain_ones_still_read() {
        let k = SecretKey::generate();
        let sealed = k.seal_field("#!/bin/sh\necho hunter2\n");
        assert!(sealed.starts_with("sealed:v1:") && !sealed.contains("hunter2"));
        assert_eq!(k.open_field(&sealed).unwrap(), "#!/bin/sh\necho hunter2\n");
        assert_eq!(k.open_field("#!/bin/sh\nplain\n").unwrap(), "#!/bin/sh\nplain\n");
    }

    #[test]
    fn seal_and_open_round_trip_and_detect_tampering() {
        let k = SecretKey::generate();
        let sealed = k.seal(b"{\"password\":\"hunter2\"}");
        assert!(!sealed.contains("hunter2"));
        assert_eq!(k.open(&sealed).unwrap(), b"{\"password\":\"hunter2\"}");
        let other = SecretKey::generate();
        assert!(other.open(&sealed).is_err());
        let k2 = SecretKey::from_base64(&k.to_base64()).unwrap();
        assert_eq!(k2.open(&sealed).unwrap(), b"{\"password\":\"hunter2\"}");
    }
}
