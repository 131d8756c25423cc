//! Hot merchants (`quality.md`): one account at 1,000 events a second must not put more than a
//! partition's 1,000 write units a second on any key. Every per-account list index is sharded
//! on write (`store::keys`, `keys/listing.rs`) and merged on read (`store::merged`); these tests count the write
//! units each index key takes in a burst, and page through the merged lists.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_dynamodb::types::AttributeValue;
use futures::stream::{self, StreamExt};
use loop_adapters::store::keys::{Listing, LISTING_SHARDS};
use loop_ground::ids::{random_token, AccountId};
use loop_tests::stripe::{event, now, object};
use loop_tests::{dynamodb_client, TestAccount, TestStack};
use serde_json::Value;

type Item = std::collections::HashMap<String, AttributeValue>;

fn customer_created(n: usize) -> Value {
    let customer = format!("cus_hot{n}");
    let email = format!("buyer{n}@example.com");
    event(
        &format!("evt_hot{n}_{}", random_token(6)),
        "customer.created",
        now(),
        object("customer", serde_json::json!({"id": customer, "email": email, "name": "Jenny Rosen"})),
    )
}

/// Posts `count` `customer.created` events to the account, a few at a time, as Stripe would.
async fn burst(t: &TestStack, account: &TestAccount, count: usize) {
    let statuses: Vec<u16> = stream::iter(0..count)
        .map(|n| async move { t.send_stripe(account, &customer_created(n)).await.0 })
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
}

async fn scan(t: &TestStack) -> Vec<Item> {
    let client = dynamodb_client().await;
    let pages = client.scan().table_name(t.app().store.table()).into_paginator().items().send();
    pages.collect::<Vec<_>>().await.into_iter().map(|item| item.expect("scan works")).collect()
}

/// An attribute value's size as DynamoDB bills it (its item-size rules: strings and binaries by
/// length, numbers by about one byte per two digits plus one, one byte of overhead per element
/// of a list or map and three for the container).
fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.trim_start_matches('-').len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => 3 + map.iter().map(|(k, v)| 1 + k.len() + value_size(v)).sum::<usize>(),
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(set) => set.iter().map(|b| b.as_ref().len()).sum(),
        _ => 0,
    }
}

/// Write units of one index entry: the index projects whole items, one unit per KB or part.
fn write_units(item: &Item) -> u64 {
    let size: usize = item.iter().map(|(name, value)| name.len() + value_size(value)).sum();
    size.div_ceil(1024) as u64
}

fn text<'a>(item: &'a Item, name: &str) -> &'a str {
    match item.get(name) {
        Some(AttributeValue::S(s)) => s,
        _ => "",
    }
}

/// Per listing kind of the account, the write units and items each `gsi1pk` took.
#[derive(Default, Debug)]
struct KeyLoad {
    units: u64,
    items: u64,
    max_item_units: u64,
}

fn loads_by_listing(items: &[Item], account: &str) -> BTreeMap<String, BTreeMap<String, KeyLoad>> {
    let prefix = format!("A#{account}#");
    let mut loads: BTreeMap<String, BTreeMap<String, KeyLoad>> = BTreeMap::new();
    for item in items {
        let Some(listing) = text(item, "gsi1pk").strip_prefix(&prefix) else { continue };
        let kind = listing.split('#').next().unwrap().to_owned();
        let load = loads.entry(kind).or_default().entry(listing.to_owned()).or_default();
        let units = write_units(item);
        load.units += units;
        load.items += 1;
        load.max_item_units = load.max_item_units.max(units);
    }
    loads
}

#[tokio::test]
async fn a_burst_of_stripe_events_spreads_its_index_writes_so_no_key_would_pass_a_partitions_limit() {
    const BURST: u64 = 200;
    // GIVEN an account
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    // WHEN a burst of customer.created events arrives
    burst(&t, &acme, BURST as usize).await;
    // THEN every index entry the burst wrote sits on a shard of its listing, none on the
    // unsharded key
    let loads = loads_by_listing(&scan(&t).await, &acme.id);
    for kind in ["events", "contacts"] {
        let keys = loads.get(kind).unwrap_or_else(|| panic!("no {kind} listed: {loads:?}"));
        assert!(keys.keys().all(|k| k.starts_with(&format!("{kind}#"))), "{kind}: {:?}", keys.keys());
        let items: u64 = keys.values().map(|l| l.items).sum();
        let units: u64 = keys.values().map(|l| l.units).sum();
        let max_item_units = keys.values().map(|l| l.max_item_units).max().unwrap();
        // The test can fail: unsharded, the events listing alone would take more than a write
        // unit per Stripe event, i.e. more than 1,000 units a second at 1,000 events a second.
        if kind == "events" {
            assert!(units > BURST, "the burst is too light to prove anything: {units} units");
        }
        // AND each key takes its share of the listing's units: items land on shards by a hash
        // of random ids, so a key's count is binomial; four standard deviations above the mean
        // is a margin chance never reaches, yet far below what one unsharded key would take
        let shards = u64::from(LISTING_SHARDS);
        let mean = items as f64 / shards as f64;
        let allowed_items = (mean + 4.0 * (mean * (1.0 - 1.0 / shards as f64)).sqrt()).ceil() as u64;
        for (key, load) in keys {
            assert!(
                load.units <= allowed_items * max_item_units,
                "{key} took {} of {units} units ({} items; mean {mean:.1}, allowed {allowed_items})",
                load.units,
                load.items
            );
            // AND so at 1,000 Stripe events a second (this burst, BURST times over, every
            // second) no key would take more than a partition's 1,000 write units a second
            let per_second_at_1000 = load.units as f64 * 1000.0 / BURST as f64;
            assert!(per_second_at_1000 < 1000.0, "{key}: {per_second_at_1000} write units/s");
        }
    }
    t.shutdown().await;
}

/// Every page of `path` (which takes `limit` and `startingAfter`), following the cursor.
async fn page_through(t: &TestStack, account: &TestAccount, path: &str, limit: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let after = cursor.as_ref().map(|c| format!("&startingAfter={c}")).unwrap_or_default();
        let page = t.read(account, &format!("{path}?limit={limit}{after}")).await;
        let data = page["data"].as_array().unwrap();
        let has_more = page["hasMore"].as_bool().unwrap();
        ids.extend(data.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
        if !has_more {
            assert!(data.len() <= limit, "{path}: a last page of {}", data.len());
            return ids;
        }
        assert_eq!(data.len(), limit, "{path}: a page that says more follow is full");
        cursor = ids.last().cloned();
        assert!(ids.len() < 10_000, "{path}: the cursor does not advance");
    }
}

/// The ids of the account's stored events, newest first, straight from the table.
fn stored_event_ids(items: &[Item], account: &str) -> Vec<String> {
    let prefix = format!("A#{account}#E#");
    let mut ids: Vec<String> = items
        .iter()
        .filter(|i| text(i, "pk").starts_with(&prefix) && text(i, "sk") == "EVENT")
        .map(|i| text(i, "id").to_owned())
        .collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

fn assert_newest_first_without_repeats(ids: &[String], what: &str) {
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{what}: not strictly newest first: {ids:?}");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "{what}: repeated");
}

#[tokio::test]
async fn lists_page_across_shards_newest_first_with_no_item_skipped_or_repeated() {
    // GIVEN an account with 60 events and 30 contacts, spread over the shards
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    burst(&t, &acme, 30).await;
    let stored = stored_event_ids(&scan(&t).await, &acme.id);
    assert!(stored.len() >= 50, "{} events", stored.len());
    // WHEN the events are listed 7 at a time, page after page
    let paged = page_through(&t, &acme, "/v1/events", 7).await;
    // THEN the pages together are every event, newest first, each once
    assert_newest_first_without_repeats(&paged, "events");
    assert_eq!(paged, stored);
    // AND one page of 100 says the same
    let whole = t.read(&acme, "/v1/events?limit=100").await;
    let whole: Vec<String> =
        whole["data"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().into()).collect();
    assert_eq!(whole, stored);
    // AND contacts page the same way
    let contacts = page_through(&t, &acme, "/v1/contacts", 7).await;
    assert_eq!(contacts.len(), 30);
    assert_newest_first_without_repeats(&contacts, "contacts");
    t.shutdown().await;
}

#[tokio::test]
async fn events_listed_before_sharding_are_still_listed_in_order_with_new_ones() {
    // GIVEN an account with new (sharded) events
    let t = TestStack::start().await;
    let acme = t.account("Acme", true).await;
    burst(&t, &acme, 10).await;
    let new_ids = stored_event_ids(&scan(&t).await, &acme.id);
    // AND events written before sharding, under the unsharded listing key: one in the same
    // millisecond as each new event (the id's first 14 characters are its time), so old and
    // new interleave in time, and one older than all of them
    let account = AccountId::parse(&acme.id).unwrap();
    let legacy_key = Listing::Events.legacy_partition(&account);
    let oldest = new_ids.last().unwrap();
    let mut legacy_ids: Vec<String> = new_ids.iter().map(|id| format!("{}{}", &id[..14], random_token(10))).collect();
    legacy_ids.push(format!("{}{}", &oldest[..13], "0".repeat(11)));
    let client = dynamodb_client().await;
    for id in &legacy_ids {
        let payload = serde_json::json!({"event": "contact.created", "id": id}).to_string();
        client
            .put_item()
            .table_name(t.app().store.table())
            .item("pk", AttributeValue::S(format!("A#{}#E#{id}", acme.id)))
            .item("sk", AttributeValue::S("EVENT".into()))
            .item("gsi1pk", AttributeValue::S(legacy_key.clone()))
            .item("gsi1sk", AttributeValue::S(id.clone()))
            .item("id", AttributeValue::S(id.clone()))
            .item("type", AttributeValue::S("contact.created".into()))
            .item("created", AttributeValue::N(now().to_string()))
            .item("payload", AttributeValue::S(payload))
            .send()
            .await
            .expect("a legacy event is written");
    }
    // WHEN the events are listed page by page
    let paged = page_through(&t, &acme, "/v1/events", 7).await;
    // THEN old and new are all there, each once, newest first
    let mut expected: Vec<String> = new_ids.iter().chain(&legacy_ids).cloned().collect();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    assert_newest_first_without_repeats(&paged, "events");
    assert_eq!(paged, expected);
    // AND a legacy event is found by its id as before
    let one = t.read(&acme, &format!("/v1/events/{}", legacy_ids[0])).await;
    assert_eq!(one["id"], legacy_ids[0]);
    t.shutdown().await;
}
