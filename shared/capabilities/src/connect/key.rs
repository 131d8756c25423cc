//! What a merchant may paste as `restrictedKey`, told apart before anything is sent to Stripe.

/// Why a pasted key cannot be used: each says what to paste instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyProblem {
    #[error(
        "This is a publishable key (pk_...): it lacks the permissions Loop needs. Create a restricted key \
         (rk_...) with Webhook Endpoints: Write, Products: Read and Prices: Read, and send that."
    )]
    Publishable,
    #[error(
        "This is a secret key (sk_...), which can do anything in your Stripe account. Loop needs only a \
         restricted key (rk_...) with Webhook Endpoints: Write, Products: Read and Prices: Read: create one \
         and send that instead."
    )]
    Secret,
    #[error(
        "restrictedKey must be a Stripe restricted key: rk_live_... or rk_test_... followed by letters and digits."
    )]
    Malformed,
}

impl KeyProblem {
    pub fn code(self) -> &'static str {
        match self {
            KeyProblem::Publishable => "publishable_key_not_allowed",
            KeyProblem::Secret => "secret_key_not_allowed",
            KeyProblem::Malformed => "parameter_invalid",
        }
    }
}

/// Accepts `rk_live_…` and `rk_test_…` keys only.
pub fn check(raw: &str) -> Result<(), KeyProblem> {
    let raw = raw.trim();
    if raw.starts_with("pk_") {
        return Err(KeyProblem::Publishable);
    }
    if raw.starts_with("sk_") {
        return Err(KeyProblem::Secret);
    }
    let body = raw.strip_prefix("rk_live_").or_else(|| raw.strip_prefix("rk_test_")).ok_or(KeyProblem::Malformed)?;
    if (10..=240).contains(&body.len()) && body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(KeyProblem::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_restricted_keys_pass() {
        assert_eq!(check("rk_test_51Hxyz0123456789abcdef"), Ok(()));
        assert_eq!(check("rk_live_51Hxyz0123456789abcdef"), Ok(()));
        assert_eq!(check("pk_test_51Hxyz0123456789abcdef"), Err(KeyProblem::Publishable));
        assert_eq!(check("pk_live_x"), Err(KeyProblem::Publishable));
        assert_eq!(check("sk_live_51Hxyz0123456789abcdef"), Err(KeyProblem::Secret));
        for bad in [
            "",
            "rk_",
            "rk_test_",
            "rk_test_short",
            "rk_prod_51Hxyz0123456789abcdef",
            "rk_test_51Hxyz 0123456789",
            "whsec_abc",
        ] {
            assert_eq!(check(bad), Err(KeyProblem::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn messages_say_what_to_send_instead() {
        assert!(KeyProblem::Publishable.to_string().contains("restricted key (rk_"));
        assert!(KeyProblem::Secret.to_string().contains("restricted key (rk_"));
    }
}
