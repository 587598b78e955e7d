//! The master key: 32 random bytes in a file, used only to seal and open secrets.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

const SEALED_PREFIX: &str = "v1.";

pub struct MasterKey {
    key: LessSafeKey,
    mac: ring::hmac::Key,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    fn from_bytes(bytes: &[u8]) -> anyhow::Result<Self> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| anyhow::anyhow!("the master key must be 32 bytes"))?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
            mac: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, bytes),
        })
    }

    /// A throwaway key (tests).
    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the system random source works");
        Self::from_bytes(&bytes).expect("32 bytes make a key")
    }

    /// Reads the key file, or creates it (mode 0600) when it does not exist.
    /// Returns the key and whether it was created now.
    pub fn load_or_create(path: &Path) -> anyhow::Result<(Self, bool)> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = STANDARD.decode(text.trim()).map_err(|_| {
                    anyhow::anyhow!("master key file {} is not base64", path.display())
                })?;
                anyhow::ensure!(
                    bytes.len() == 32,
                    "master key file {} must hold 32 bytes",
                    path.display()
                );
                Ok((Self::from_bytes(&bytes)?, false))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                SystemRandom::new()
                    .fill(&mut bytes)
                    .map_err(|_| anyhow::anyhow!("no system randomness"))?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let mut file = options.open(path).map_err(|e| {
                    anyhow::anyhow!("cannot create master key file {}: {e}", path.display())
                })?;
                file.write_all(STANDARD.encode(bytes).as_bytes())?;
                file.write_all(b"\n")?;
                file.sync_all()?;
                Ok((Self::from_bytes(&bytes)?, true))
            }
            Err(err) => Err(anyhow::anyhow!(
                "cannot read master key file {}: {err}",
                path.display()
            )),
        }
    }

    /// HMAC-SHA256 of `data` under the master key, domain-separated by `label`: derives
    /// values (pre-authorized codes, nonces) that only this server can produce or check.
    pub fn mac(&self, label: &str, data: &[u8]) -> [u8; 32] {
        let mut context = ring::hmac::Context::with_key(&self.mac);
        context.update(label.as_bytes());
        context.update(&[0]);
        context.update(data);
        let tag = context.sign();
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Encrypts `plaintext`, bound to `aad` (the owning row's id).
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> anyhow::Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| anyhow::anyhow!("no system randomness"))?;
        let mut buffer = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut buffer,
            )
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buffer);
        Ok(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Decrypts what [`seal`](Self::seal) produced for the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &str) -> anyhow::Result<Vec<u8>> {
        let body = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or_else(|| anyhow::anyhow!("unknown sealed format"))?;
        let mut bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| anyhow::anyhow!("sealed value is not base64url"))?;
        anyhow::ensure!(bytes.len() > NONCE_LEN, "sealed value is too short");
        let mut ciphertext = bytes.split_off(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(&bytes).map_err(|_| anyhow::anyhow!("bad nonce"))?;
        let plaintext = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut ciphertext)
            .map_err(|_| anyhow::anyhow!("cannot decrypt: wrong master key or tampered value"))?;
        Ok(plaintext.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_the_same_key_and_aad_only() {
        let key = MasterKey::random();
        let sealed = key.seal(b"row-1", b"secret").unwrap();
        assert!(!sealed.contains("secret"));
        assert_eq!(key.open(b"row-1", &sealed).unwrap(), b"secret");
        assert!(key.open(b"row-2", &sealed).is_err());
        assert!(MasterKey::random().open(b"row-1", &sealed).is_err());
    }

    #[test]
    fn key_file_is_created_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("vouch-mk-{}", uuid::Uuid::new_v4()));
        let path = dir.join("master.key");
        let (first, created) = MasterKey::load_or_create(&path).unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let sealed = first.seal(b"x", b"y").unwrap();
        let (second, created) = MasterKey::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(second.open(b"x", &sealed).unwrap(), b"y");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
