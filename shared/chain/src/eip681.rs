//! What the hosted page shows and the edge parses: the EIP-681 payment request of the QR code,
//! amounts between Loop's decimal strings and a token's base units, and transaction hashes.

use alloy_primitives::{Address, B256, U256};

/// The EIP-681 request for an ERC-20 `transfer` of `amount` base units of `token` to `treasury`
/// on `chain_id`, which mobile wallets open pre-filled:
/// `ethereum:<token>@<chainId>/transfer?address=<treasury>&uint256=<amount>`.
///
/// Addresses are EIP-55 checksummed (mixed case, no chain id in the checksum: EIP-1191 is
/// not what wallets check): a wallet can then tell a mistyped address, and the URI reads like
/// the addresses the page shows beside it. The amount is a plain integer (no exponent: not
/// every wallet reads `1.25e7`).
pub fn payment_request_uri(token: Address, chain_id: u64, treasury: Address, amount: U256) -> String {
    format!(
        "ethereum:{}@{chain_id}/transfer?address={}&uint256={amount}",
        token.to_checksum(None),
        treasury.to_checksum(None)
    )
}

/// A decimal string that is not an amount of the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("an amount is a non-negative decimal such as \"12.50\"")]
    NotADecimal,
    #[error("the token has only {0} decimal places")]
    TooPrecise(u8),
    #[error("the amount is too large")]
    TooLarge,
}

/// `"12.5"` with 6 decimals → 12 500 000. The grammar of Loop's amounts (`money::parse_units`):
/// digits, optionally a point and at least one digit; no sign, no exponent, no leading or
/// trailing point; at most `decimals` places.
pub fn amount_to_base_units(amount: &str, decimals: u8) -> Result<U256, AmountError> {
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || amount.ends_with('.') {
        return Err(AmountError::NotADecimal);
    }
    if fraction.len() > usize::from(decimals) {
        return Err(AmountError::TooPrecise(decimals));
    }
    let scale = U256::from(10u8).checked_pow(U256::from(decimals)).ok_or(AmountError::TooLarge)?;
    let whole = U256::from_str_radix(whole, 10).map_err(|_| AmountError::TooLarge)?;
    let padded = format!("{fraction:0<width$}", width = usize::from(decimals));
    let fraction = if padded.is_empty() { U256::ZERO } else { U256::from_str_radix(&padded, 10).unwrap_or_default() };
    whole.checked_mul(scale).and_then(|w| w.checked_add(fraction)).ok_or(AmountError::TooLarge)
}

/// 12 500 000 with 6 decimals → `"12.50"`. Like Loop's `amount`s (`"10.00"`, `"12.50"`: Stripe's
/// two places), so that an exact payment's `amountPaid` reads as its `amount`: at least two
/// places (or `decimals`, if fewer), further places only where they are not zero
/// (`"12.345678"`, never `"12.345000"`). Exact at any size: no floating point.
pub fn base_units_to_decimal(value: U256, decimals: u8) -> String {
    let decimals = usize::from(decimals);
    if decimals == 0 {
        return value.to_string();
    }
    let digits = format!("{value:0>width$}", value = value.to_string(), width = decimals + 1);
    let (whole, fraction) = digits.split_at(digits.len() - decimals);
    let keep = fraction.trim_end_matches('0').len().max(decimals.min(2));
    format!("{whole}.{}", &fraction[..keep])
}

/// A transaction hash as the payment routes take it: `0x` and exactly 64 hex digits (either
/// case).
pub fn parse_tx_hash(raw: &str) -> Option<B256> {
    let hex = raw.strip_prefix("0x")?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    hex.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn the_payment_request_is_eip681_with_checksummed_addresses() {
        let uri = payment_request_uri(
            address!("5fbdb2315678afecb367f032d93f642f64180aa3"),
            31337,
            address!("70997970c51812dc3a010c7d01b50e0d17dc79c8"),
            U256::from(12_500_000u64),
        );
        assert_eq!(
            uri,
            "ethereum:0x5FbDB2315678afecb367f032d93F642f64180aa3@31337/transfer\
             ?address=0x70997970C51812dc3A010C7d01b50e0d17dc79C8&uint256=12500000"
        );
    }

    #[test]
    fn amounts_beyond_u128_stay_exact_in_the_request() {
        let amount = amount_to_base_units("1000000000000000000000.5", 18).unwrap();
        let uri = payment_request_uri(Address::ZERO, 1, Address::ZERO, amount);
        assert!(uri.ends_with("&uint256=1000000000000000000000500000000000000000"), "{uri}");
    }

    #[test]
    fn decimal_amounts_become_base_units() {
        assert_eq!(amount_to_base_units("12.5", 6), Ok(U256::from(12_500_000u64)));
        assert_eq!(amount_to_base_units("10.00", 6), Ok(U256::from(10_000_000u64)));
        assert_eq!(amount_to_base_units("10", 6), Ok(U256::from(10_000_000u64)));
        assert_eq!(amount_to_base_units("0.000001", 6), Ok(U256::from(1u64)));
        assert_eq!(amount_to_base_units("7", 0), Ok(U256::from(7u64)));
        assert_eq!(amount_to_base_units("1234.5", 18), Ok(U256::from(1_234_500_000_000_000_000_000u128)));
    }

    #[test]
    fn what_is_not_an_amount_of_the_token_is_refused() {
        for bad in ["", ".5", "10.", "-1", "+1", "1e3", "ten", "1.2.3", " 1", "1,5", "0x10"] {
            assert_eq!(amount_to_base_units(bad, 6), Err(AmountError::NotADecimal), "{bad}");
        }
        assert_eq!(amount_to_base_units("1.0000001", 6), Err(AmountError::TooPrecise(6)));
        assert_eq!(amount_to_base_units("1.5", 0), Err(AmountError::TooPrecise(0)));
        assert_eq!(amount_to_base_units(&"9".repeat(80), 0), Err(AmountError::TooLarge));
        assert_eq!(amount_to_base_units(&"9".repeat(70), 18), Err(AmountError::TooLarge));
    }

    #[test]
    fn base_units_read_like_loops_amounts() {
        assert_eq!(base_units_to_decimal(U256::from(12_500_000u64), 6), "12.50");
        assert_eq!(base_units_to_decimal(U256::from(10_000_000u64), 6), "10.00");
        assert_eq!(base_units_to_decimal(U256::from(12_345_678u64), 6), "12.345678");
        assert_eq!(base_units_to_decimal(U256::from(12_345_000u64), 6), "12.345");
        assert_eq!(base_units_to_decimal(U256::from(1u64), 6), "0.000001");
        assert_eq!(base_units_to_decimal(U256::ZERO, 6), "0.00");
        assert_eq!(base_units_to_decimal(U256::from(7u64), 0), "7");
        assert_eq!(base_units_to_decimal(U256::from(75u64), 1), "7.5");
        assert_eq!(base_units_to_decimal(U256::from(70u64), 1), "7.0");
        assert_eq!(base_units_to_decimal(U256::from(1_234_500_000_000_000_000_000u128), 18), "1234.50");
        assert_eq!(base_units_to_decimal(U256::MAX, 0), U256::MAX.to_string());
        assert_eq!(base_units_to_decimal(U256::from(5u64), 100), format!("0.{}5", "0".repeat(99)));
    }

    #[test]
    fn amounts_round_trip() {
        for (amount, decimals) in [("12.50", 6), ("0.000001", 6), ("7", 0), ("1234.50", 18), ("99.123", 3)] {
            let units = amount_to_base_units(amount, decimals).unwrap();
            assert_eq!(base_units_to_decimal(units, decimals), amount);
        }
    }

    #[test]
    fn transaction_hashes_are_0x_and_64_hex_digits() {
        let hex = "ab".repeat(32);
        assert_eq!(parse_tx_hash(&format!("0x{hex}")), Some(B256::repeat_byte(0xab)));
        assert_eq!(parse_tx_hash(&format!("0x{}", hex.to_uppercase())), Some(B256::repeat_byte(0xab)));
        for bad in [
            hex.clone(),
            format!("0X{hex}"),
            format!("0x{}", &hex[1..]),
            format!("0x{hex}0"),
            format!("0x{}g", &hex[1..]),
            format!(" 0x{hex}"),
            "0x".to_owned(),
            String::new(),
        ] {
            assert_eq!(parse_tx_hash(&bad), None, "{bad}");
        }
    }
}
