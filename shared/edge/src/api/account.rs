//! `GET /v1/account` and `PATCH /v1/account`.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::{json, Map, Value};

use super::body::{json_object, reject_unknown, wrong_type};
use loop_adapters::app::App;
use loop_capabilities::accounts::Caller;
use loop_ground::domain::account::{is_evm_address, stripe_webhook_path, Account, CryptoSettings, EmailSettings};
use loop_ground::domain::email::Email;
use loop_ground::domain::notifications::Notification;
use loop_ground::error::ApiError;
use loop_ground::http::{self as h, Request, Response};

pub fn get(caller: &Caller) -> Response {
    h::json(StatusCode::OK, &account_json(&caller.account))
}

pub fn account_json(account: &Account) -> Value {
    let c = &account.crypto;
    json!({
        "id": account.id,
        "name": account.name,
        "supportEmail": account.support_email,
        "testMode": account.test_mode,
        "crypto": {
            "networkId": c.network_id,
            "networkName": c.network_name,
            "contractAddress": c.contract_address,
            "tokenSymbol": c.token_symbol,
            "tokenAddress": c.token_address,
            "tokenDecimals": c.token_decimals,
            "treasuryAddresses": c.treasury_addresses,
        },
        "stripeWebhookPath": stripe_webhook_path(&account.id),
        "email": account.email.as_ref().map(|e| json!({
            "fromAddress": e.from_address,
            "fromName": e.from_name,
            "replyTo": account.reply_to(),
        })),
        "notifications": account.notifications,
    })
}

/// The largest integer every JSON client reads exactly (2^53 − 1).
const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

/// A JSON number without a fractional part (`809` or `809.0`, as JSON Schema's `integer`).
fn whole_number(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        value.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= MAX_SAFE_INTEGER as f64).map(|f| f as u64)
    })
}

/// A validated `PATCH /v1/account` body: `None` leaves a field as it is.
#[derive(Debug, Default, PartialEq)]
pub(super) struct AccountPatch {
    support_email: Option<Option<String>>,
    network_id: Option<u64>,
    network_name: Option<String>,
    contract_address: Option<Option<String>>,
    token_symbol: Option<String>,
    token_address: Option<String>,
    token_decimals: Option<u8>,
    /// Network id → new address, or `None` to remove that network's address.
    treasury_addresses: BTreeMap<String, Option<String>>,
    /// `Some(None)`: no sending identity any more.
    email: Option<Option<EmailPatch>>,
    /// The automated emails turned on or off: `(name, on)`.
    notifications: Vec<(Notification, bool)>,
    /// Templates named for automated emails (`None`: the default one).
    notification_templates: Vec<(Notification, Option<String>)>,
}

const NOTIFICATIONS: [Notification; 3] =
    [Notification::PaymentRequest, Notification::LatePayment, Notification::Receipt];

fn parse_notifications(body: &Map<String, Value>, patch: &mut AccountPatch) -> Result<(), ApiError> {
    reject_unknown(body, &["paymentRequest", "latePayment", "receipt", "templates"], "notifications.")?;
    for which in NOTIFICATIONS {
        match body.get(which.as_str()) {
            None => {}
            Some(Value::Bool(on)) => patch.notifications.push((which, *on)),
            Some(_) => return Err(wrong_type(&format!("notifications.{}", which.as_str()), "a boolean")),
        }
    }
    match body.get("templates") {
        None => {}
        Some(Value::Object(templates)) => {
            reject_unknown(templates, &["paymentRequest", "latePayment", "receipt"], "notifications.templates.")?;
            for which in NOTIFICATIONS {
                let param = format!("notifications.templates.{}", which.as_str());
                match templates.get(which.as_str()) {
                    None => {}
                    Some(Value::Null) => patch.notification_templates.push((which, None)),
                    Some(Value::String(id)) if super::list::is_id(id) => {
                        patch.notification_templates.push((which, Some(id.clone())))
                    }
                    Some(_) => return Err(wrong_type(&param, "an email template id (et_…) or null")),
                }
            }
        }
        Some(_) => return Err(wrong_type("notifications.templates", "an object")),
    }
    Ok(())
}

/// `email` in a `PATCH /v1/account`: fields given replace those stored.
#[derive(Debug, Default, PartialEq)]
pub(super) struct EmailPatch {
    from_address: Option<String>,
    from_name: Option<Option<String>>,
    reply_to: Option<Option<String>>,
}

fn email_address(value: &Value, param: &str) -> Result<String, ApiError> {
    value.as_str().and_then(Email::parse).map(String::from).ok_or_else(|| {
        ApiError::invalid_param("parameter_invalid", param, format!("{param} must be a valid email address."))
    })
}

impl EmailPatch {
    fn parse(body: &Map<String, Value>) -> Result<Self, ApiError> {
        reject_unknown(body, &["fromAddress", "fromName", "replyTo"], "email.")?;
        let mut patch = EmailPatch::default();
        if let Some(v) = body.get("fromAddress") {
            patch.from_address = Some(email_address(v, "email.fromAddress")?);
        }
        match body.get("fromName") {
            None => {}
            Some(Value::Null) => patch.from_name = Some(None),
            Some(v) => patch.from_name = Some(Some(text(v, "email.fromName", 100)?)),
        }
        match body.get("replyTo") {
            None => {}
            Some(Value::Null) => patch.reply_to = Some(None),
            Some(v) => patch.reply_to = Some(Some(email_address(v, "email.replyTo")?)),
        }
        Ok(patch)
    }

    fn apply(&self, current: Option<&EmailSettings>) -> Result<EmailSettings, ApiError> {
        let from_address = match (&self.from_address, current) {
            (Some(address), _) => address.clone(),
            (None, Some(current)) => current.from_address.clone(),
            (None, None) => return Err(ApiError::missing_param("email.fromAddress")),
        };
        let pick = |given: &Option<Option<String>>, stored: Option<&Option<String>>| match given {
            Some(v) => v.clone(),
            None => stored.cloned().flatten(),
        };
        Ok(EmailSettings {
            from_address,
            from_name: pick(&self.from_name, current.map(|c| &c.from_name)),
            reply_to: pick(&self.reply_to, current.map(|c| &c.reply_to)),
        })
    }
}

impl AccountPatch {
    pub(super) fn parse(body: &Map<String, Value>) -> Result<Self, ApiError> {
        reject_unknown(body, &["supportEmail", "crypto", "email", "notifications"], "")?;
        let mut patch = AccountPatch::default();
        match body.get("notifications") {
            None => {}
            Some(Value::Object(notifications)) => parse_notifications(notifications, &mut patch)?,
            Some(_) => return Err(wrong_type("notifications", "an object")),
        }
        match body.get("email") {
            None => {}
            Some(Value::Null) => patch.email = Some(None),
            Some(Value::Object(email)) => patch.email = Some(Some(EmailPatch::parse(email)?)),
            Some(_) => return Err(wrong_type("email", "an object or null")),
        }
        match body.get("supportEmail") {
            None => {}
            Some(Value::Null) => patch.support_email = Some(None),
            Some(Value::String(raw)) => {
                let email = Email::parse(raw).ok_or_else(|| {
                    ApiError::invalid_param(
                        "parameter_invalid",
                        "supportEmail",
                        "supportEmail must be a valid email address.",
                    )
                })?;
                patch.support_email = Some(Some(email.into()));
            }
            Some(_) => return Err(wrong_type("supportEmail", "a string or null")),
        }
        let crypto = match body.get("crypto") {
            None => return Ok(patch),
            Some(Value::Object(crypto)) => crypto,
            Some(_) => return Err(wrong_type("crypto", "an object")),
        };
        reject_unknown(
            crypto,
            &[
                "networkId",
                "networkName",
                "contractAddress",
                "tokenSymbol",
                "tokenAddress",
                "tokenDecimals",
                "treasuryAddresses",
            ],
            "crypto.",
        )?;
        if let Some(v) = crypto.get("networkId") {
            patch.network_id = Some(
                whole_number(v)
                    .filter(|n| (1..=MAX_SAFE_INTEGER).contains(n))
                    .ok_or_else(|| wrong_type("crypto.networkId", "a positive integer"))?,
            );
        }
        if let Some(v) = crypto.get("networkName") {
            patch.network_name = Some(text(v, "crypto.networkName", 100)?);
        }
        match crypto.get("contractAddress") {
            None => {}
            Some(Value::Null) => patch.contract_address = Some(None),
            Some(v) => patch.contract_address = Some(Some(address(v, "crypto.contractAddress")?)),
        }
        if let Some(v) = crypto.get("tokenSymbol") {
            patch.token_symbol = Some(text(v, "crypto.tokenSymbol", 20)?);
        }
        if let Some(v) = crypto.get("tokenAddress") {
            patch.token_address = Some(address(v, "crypto.tokenAddress")?);
        }
        if let Some(v) = crypto.get("tokenDecimals") {
            let decimals = whole_number(v)
                .filter(|d| *d <= 36)
                .ok_or_else(|| wrong_type("crypto.tokenDecimals", "an integer from 0 to 36"))?;
            patch.token_decimals = Some(decimals as u8);
        }
        match crypto.get("treasuryAddresses") {
            None => {}
            Some(Value::Object(addresses)) => {
                for (network, value) in addresses {
                    let param = format!("crypto.treasuryAddresses.{network}");
                    if network.is_empty() || network.len() > 20 || !network.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(ApiError::invalid_param(
                            "parameter_invalid",
                            &param,
                            format!("{param}: network ids are decimal integers."),
                        ));
                    }
                    let value = match value {
                        Value::Null => None,
                        v => Some(address(v, &param)?),
                    };
                    patch.treasury_addresses.insert(network.clone(), value);
                }
            }
            Some(_) => return Err(wrong_type("crypto.treasuryAddresses", "an object of network id to address")),
        }
        Ok(patch)
    }

    pub(super) fn apply(&self, account: &mut Account) -> Result<(), ApiError> {
        if let Some(email) = &self.support_email {
            account.support_email = email.clone();
        }
        match &self.email {
            None => {}
            Some(None) => account.email = None,
            Some(Some(patch)) => account.email = Some(patch.apply(account.email.as_ref())?),
        }
        let n = &mut account.notifications;
        for (which, on) in &self.notifications {
            match which {
                Notification::PaymentRequest => n.payment_request = *on,
                Notification::LatePayment => n.late_payment = *on,
                Notification::Receipt => n.receipt = *on,
            }
        }
        for (which, id) in &self.notification_templates {
            match which {
                Notification::PaymentRequest => n.templates.payment_request = id.clone(),
                Notification::LatePayment => n.templates.late_payment = id.clone(),
                Notification::Receipt => n.templates.receipt = id.clone(),
            }
        }
        let c: &mut CryptoSettings = &mut account.crypto;
        if let Some(v) = self.network_id {
            c.network_id = v;
        }
        if let Some(v) = &self.network_name {
            c.network_name = v.clone();
        }
        if let Some(v) = &self.contract_address {
            c.contract_address = v.clone();
        }
        if let Some(v) = &self.token_symbol {
            c.token_symbol = v.clone();
        }
        if let Some(v) = &self.token_address {
            c.token_address = v.clone();
        }
        if let Some(v) = self.token_decimals {
            c.token_decimals = v;
        }
        for (network, address) in &self.treasury_addresses {
            match address {
                Some(address) => c.treasury_addresses.insert(network.clone(), address.clone()),
                None => c.treasury_addresses.remove(network),
            };
        }
        Ok(())
    }
}

fn text(value: &Value, param: &str, max: usize) -> Result<String, ApiError> {
    value
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control))
        .map(str::to_owned)
        .ok_or_else(|| wrong_type(param, &format!("a non-empty string of at most {max} characters")))
}

fn address(value: &Value, param: &str) -> Result<String, ApiError> {
    value.as_str().filter(|s| is_evm_address(s)).map(str::to_owned).ok_or_else(|| {
        ApiError::invalid_param(
            "parameter_invalid",
            param,
            format!("{param} must be an address: 0x followed by 40 hex digits."),
        )
    })
}

pub async fn patch(app: &App, caller: Caller, request: &Request) -> Result<Response, ApiError> {
    let patch = AccountPatch::parse(&json_object(request)?)?;
    // A new sender must be one SES lets send (the address or its domain verified), checked once
    // before the write.
    if let Some(Some(EmailPatch { from_address: Some(address), .. })) = &patch.email {
        if !app.mailer().may_send_as(address).await? {
            return Err(ApiError::invalid_param(
                "identity_not_verified",
                "email.fromAddress",
                format!("email.fromAddress: {address} is not a verified identity in SES (verify the address or its domain first)."),
            ));
        }
    }
    // A template named for an automated email must be one of the account's.
    for (which, id) in &patch.notification_templates {
        if let Some(id) = id {
            if app.store.get_template(&caller.account.id, id).await?.is_none() {
                let param = format!("notifications.templates.{}", which.as_str());
                return Err(ApiError::invalid_param(
                    "resource_missing",
                    &param,
                    format!("{param}: no such email template."),
                ));
            }
        }
    }
    let updated =
        loop_capabilities::accounts::update_account(app, caller.account, |account| patch.apply(account)).await?;
    Ok(h::json(StatusCode::OK, &account_json(&updated)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: Value) -> Result<AccountPatch, ApiError> {
        AccountPatch::parse(body.as_object().unwrap())
    }

    fn param_of(err: ApiError) -> Option<String> {
        match err {
            ApiError::InvalidRequest { param, .. } => param,
            _ => None,
        }
    }

    #[test]
    fn every_bad_field_is_named() {
        let cases = [
            (json!({"supportEmail": "nope"}), "supportEmail"),
            (json!({"supportEmail": 5}), "supportEmail"),
            (json!({"name": "x"}), "name"),
            (json!({"crypto": []}), "crypto"),
            (json!({"crypto": {"networkId": 0}}), "crypto.networkId"),
            (json!({"crypto": {"networkId": "1"}}), "crypto.networkId"),
            (json!({"crypto": {"networkName": ""}}), "crypto.networkName"),
            (json!({"crypto": {"tokenAddress": "0x12"}}), "crypto.tokenAddress"),
            (json!({"crypto": {"contractAddress": "abc"}}), "crypto.contractAddress"),
            (json!({"crypto": {"tokenDecimals": 99}}), "crypto.tokenDecimals"),
            (json!({"crypto": {"chain": 1}}), "crypto.chain"),
            (json!({"crypto": {"treasuryAddresses": {"137": "0xzz"}}}), "crypto.treasuryAddresses.137"),
            (json!({"crypto": {"treasuryAddresses": {"polygon": null}}}), "crypto.treasuryAddresses.polygon"),
            (json!({"email": "x"}), "email"),
            (json!({"email": {"fromAddress": "nope"}}), "email.fromAddress"),
            (json!({"email": {"fromName": ""}}), "email.fromName"),
            (json!({"email": {"replyTo": 3}}), "email.replyTo"),
            (json!({"email": {"from": "a@b.test"}}), "email.from"),
        ];
        for (body, param) in cases {
            assert_eq!(param_of(parse(body.clone()).unwrap_err()).as_deref(), Some(param), "{body}");
        }
    }

    #[test]
    fn treasury_addresses_merge_per_network() {
        let mut account = loop_ground::domain::account::Account::new("Acme", true, 0);
        let a1 = "0x1111111111111111111111111111111111111111";
        let a2 = "0x2222222222222222222222222222222222222222";
        parse(json!({"crypto": {"treasuryAddresses": {"1": a1, "137": a2}}})).unwrap().apply(&mut account).unwrap();
        parse(
            json!({"supportEmail": "Help@Acme.test", "crypto": {"networkId": 137, "treasuryAddresses": {"1": null}}}),
        )
        .unwrap()
        .apply(&mut account)
        .unwrap();
        assert_eq!(account.support_email.as_deref(), Some("help@acme.test"));
        assert_eq!(account.crypto.network_id, 137);
        assert_eq!(account.crypto.treasury_addresses, BTreeMap::from([("137".to_owned(), a2.to_owned())]));
        assert_eq!(account.crypto.treasury_address(), a2);
    }

    #[test]
    fn the_sending_identity_is_set_merged_and_replies_default_to_the_support_email() {
        let mut account = loop_ground::domain::account::Account::new("Acme", true, 0);
        assert!(parse(json!({"email": {"fromName": "Acme"}})).unwrap().apply(&mut account).is_err(), "no address yet");
        parse(json!({"supportEmail": "help@acme.test", "email": {"fromAddress": "hi@acme.test", "fromName": "Acme"}}))
            .unwrap()
            .apply(&mut account)
            .unwrap();
        assert_eq!(account.reply_to(), Some("help@acme.test"));
        parse(json!({"email": {"replyTo": "replies@acme.test"}})).unwrap().apply(&mut account).unwrap();
        let settings = account.email.clone().unwrap();
        assert_eq!((settings.from_address.as_str(), settings.from_name.as_deref()), ("hi@acme.test", Some("Acme")));
        assert_eq!(account.reply_to(), Some("replies@acme.test"));
        parse(json!({"email": null})).unwrap().apply(&mut account).unwrap();
        assert_eq!((account.email.as_ref(), account.reply_to()), (None, None));
    }
}
