//! ERC-20 `Transfer` logs, decoded from a receipt with the event's ABI.
//!
//! Only logs emitted by the given token contract count: any contract can emit a log that looks
//! like a `Transfer`. ERC-721's `Transfer` has the same signature but three indexed topics (the
//! token id too) and no data: it does not decode as an ERC-20 one and is skipped.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;

use crate::rpc::{Log, Receipt};

/// ERC-20's ABI, as far as Loop uses it. (The names are the ABI's: an event's signature hash is
/// that of `Transfer(address,address,uint256)`.)
pub mod erc20 {
    alloy_sol_types::sol! {
        /// ERC-20's `Transfer` event.
        event Transfer(address indexed from, address indexed to, uint256 value);

        /// ERC-20's `transfer` call: what a wallet sends, and what the hosted page's EIP-681
        /// request names.
        function transfer(address to, uint256 value) external returns (bool);
    }
}

/// A decoded ERC-20 transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    pub log_index: u64,
    pub from: Address,
    pub to: Address,
    /// In the token's base units.
    pub value: U256,
}

impl Transfer {
    /// The log as an ERC-20 `Transfer` of `token`; `None` for any other log (another contract,
    /// another event, an ERC-721 transfer, a log dropped by a reorganisation).
    pub fn decode(log: &Log, token: Address) -> Option<Self> {
        if log.address != token || log.removed {
            return None;
        }
        // Checks topic 0 against the event's signature hash and the topic count (exactly 3).
        let event = erc20::Transfer::decode_raw_log(log.topics.iter().copied(), &log.data).ok()?;
        Some(Transfer { log_index: log.log_index, from: event.from, to: event.to, value: event.value })
    }
}

/// The receipt's ERC-20 transfers of `token` to `recipient`, in log order.
pub fn transfers_to(receipt: &Receipt, token: Address, recipient: Address) -> impl Iterator<Item = Transfer> + '_ {
    receipt.logs.iter().filter_map(move |log| Transfer::decode(log, token)).filter(move |t| t.to == recipient)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::transfer_log;
    use alloy_primitives::{address, b256, Bytes, B256};
    use alloy_sol_types::SolCall;

    const TOKEN: Address = address!("5FbDB2315678afecb367f032d93F642f64180aa3");
    const FROM: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    const TREASURY: Address = address!("70997970C51812dc3A010C7d01b50e0d17dc79C8");

    fn receipt(logs: Vec<Log>) -> Receipt {
        Receipt { transaction_hash: B256::repeat_byte(1), block_number: 7, succeeded: true, logs }
    }

    #[test]
    fn the_event_and_call_have_erc20s_signatures() {
        assert_eq!(
            erc20::Transfer::SIGNATURE_HASH,
            b256!("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")
        );
        assert_eq!(erc20::transferCall::SELECTOR, [0xa9, 0x05, 0x9c, 0xbb]);
    }

    #[test]
    fn a_transfer_of_the_token_to_the_treasury_decodes() {
        let log = transfer_log(TOKEN, FROM, TREASURY, U256::from(12_500_000u64), 3);
        let found: Vec<_> = transfers_to(&receipt(vec![log]), TOKEN, TREASURY).collect();
        assert_eq!(found, [Transfer { log_index: 3, from: FROM, to: TREASURY, value: U256::from(12_500_000u64) }]);
    }

    #[test]
    fn other_contracts_recipients_events_and_erc721_transfers_are_skipped() {
        let other_token = address!("e7f1725E7734CE288F8367e1Bb143E90bb3F0512");
        let mut erc721 = transfer_log(TOKEN, FROM, TREASURY, U256::from(5u64), 4);
        erc721.topics.push(B256::with_last_byte(5));
        erc721.data = Bytes::new();
        let mut approval = transfer_log(TOKEN, FROM, TREASURY, U256::from(6u64), 5);
        // Approval(address,address,uint256)
        approval.topics[0] = b256!("8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925");
        let mut removed = transfer_log(TOKEN, FROM, TREASURY, U256::from(7u64), 6);
        removed.removed = true;
        let mut short = transfer_log(TOKEN, FROM, TREASURY, U256::from(8u64), 7);
        short.data = Bytes::from(vec![0u8; 31]);
        let logs = vec![
            transfer_log(other_token, FROM, TREASURY, U256::from(1u64), 0),
            transfer_log(TOKEN, FROM, FROM, U256::from(2u64), 1),
            erc721,
            approval,
            removed,
            short,
            transfer_log(TOKEN, FROM, TREASURY, U256::from(9u64), 8),
        ];
        let found: Vec<_> = transfers_to(&receipt(logs), TOKEN, TREASURY).map(|t| t.log_index).collect();
        assert_eq!(found, [8]);
    }

    #[test]
    fn a_real_anvil_transfer_receipt_decodes() {
        // GIVEN the receipt anvil answered for `transfer(treasury, 12.5 USDC)` (fixtures/README.md)
        let answer: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/receipt_transfer.json")).unwrap();
        let receipt: Receipt = serde_json::from_value(answer["result"].clone()).unwrap();
        // WHEN its transfers of the test token to the treasury are decoded
        let found: Vec<_> = transfers_to(&receipt, TOKEN, TREASURY).collect();
        // THEN there is the one transfer, from the payer, of 12 500 000 base units
        assert_eq!(found.len(), 1, "{receipt:?}");
        assert_eq!(found[0].value, U256::from(12_500_000u64));
        assert_eq!(found[0].to, TREASURY);
        assert_eq!(found[0].from, address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"));
    }
}
