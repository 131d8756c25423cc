//! Envelope encryption of secrets Loop must keep for a while (a merchant's restricted Stripe key
//! while its catalogue backfill runs): KMS issues a data key per secret, the secret is sealed
//! locally with AES-256-GCM, and only KMS can unwrap the data key again. Both layers are bound
//! to the account (KMS encryption context and GCM associated data), so a sealed secret copied to
//! another account's record does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

use crate::aws::classify;
use loop_ground::error::StoreError;
use loop_ground::ids::AccountId;
use loop_ground::secret::{Sealed, Secret};

#[derive(Clone, Debug)]
pub struct Vault {
    client: aws_sdk_kms::Client,
    key_id: String,
}

const PURPOSE: &str = "stripe-restricted-key";

impl Vault {
    pub fn new(client: aws_sdk_kms::Client, key_id: String) -> Self {
        Vault { client, key_id }
    }

    pub async fn seal(&self, account: &AccountId, secret: &Secret) -> Result<Sealed, StoreError> {
        let data_key = self
            .client
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .encryption_context("account", account.as_str())
            .encryption_context("purpose", PURPOSE)
            .send()
            .await
            .map_err(classify)?;
        let (Some(plain_key), Some(wrapped)) = (data_key.plaintext, data_key.ciphertext_blob) else {
            return Err(StoreError::Fault("KMS returned no data key".into()));
        };
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| StoreError::Fault(format!("no randomness: {e}")))?;
        let ciphertext = cipher(plain_key.as_ref())?
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload { msg: secret.expose().as_bytes(), aad: account.as_str().as_bytes() },
            )
            .map_err(|_| StoreError::Fault("sealing failed".into()))?;
        Ok(Sealed {
            wrapped_key: B64.encode(wrapped.as_ref()),
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(ciphertext),
        })
    }

    pub async fn open(&self, account: &AccountId, sealed: &Sealed) -> Result<Secret, StoreError> {
        let corrupt = || StoreError::Corrupt("sealed secret".into());
        let wrapped = B64.decode(&sealed.wrapped_key).map_err(|_| corrupt())?;
        let nonce = B64.decode(&sealed.nonce).ok().filter(|n| n.len() == 12).ok_or_else(corrupt)?;
        let ciphertext = B64.decode(&sealed.ciphertext).map_err(|_| corrupt())?;
        let plain_key = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(wrapped))
            .encryption_context("account", account.as_str())
            .encryption_context("purpose", PURPOSE)
            .send()
            .await
            .map_err(classify)?
            .plaintext
            .ok_or_else(corrupt)?;
        let plain = cipher(plain_key.as_ref())?
            .decrypt(Nonce::from_slice(&nonce), Payload { msg: &ciphertext, aad: account.as_str().as_bytes() })
            .map_err(|_| corrupt())?;
        String::from_utf8(plain).map(Secret::new).map_err(|_| corrupt())
    }
}

fn cipher(key: &[u8]) -> Result<Aes256Gcm, StoreError> {
    Aes256Gcm::new_from_slice(key).map_err(|_| StoreError::Fault("KMS data key is not 256 bits".into()))
}
