//! Loop Crypto's automated emails (`email.md`, "Automated emails"): built-in emails to a
//! merchant's customers, each on or off per account (off by default), each with a default
//! template the merchant may replace by naming one of theirs. Which event sends which email is
//! decided here; what the email says is a template like any other.

use serde::{Deserialize, Serialize};

use super::email_template::EmailTemplate;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notification {
    /// On `TransferFinalized`: the amount, due date and the transfer's pay page.
    PaymentRequest,
    /// On `LatePayment`: the amount due and the pay page.
    LatePayment,
    /// On a processed transfer whose payer's email is known: what was paid, the transaction
    /// hash and network.
    Receipt,
}

impl Notification {
    /// The automated email an outbound event of `kind` may send.
    pub fn for_event(kind: &str) -> Option<Notification> {
        match kind {
            "TransferFinalized" => Some(Notification::PaymentRequest),
            "LatePayment" => Some(Notification::LatePayment),
            "TransferProcessed" => Some(Notification::Receipt),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Notification::PaymentRequest => "paymentRequest",
            Notification::LatePayment => "latePayment",
            Notification::Receipt => "receipt",
        }
    }

    /// The template it sends unless the merchant named one.
    pub fn default_template(self) -> EmailTemplate {
        let (subject, html) = match self {
            Notification::PaymentRequest => (
                "{{ account.name }}: payment request for {{ event.amount }} {{ event.tokenSymbol }}",
                "<p>Hello,</p>\n<p>{{ account.name }} requests a payment of <b>{{ event.amount }} {{ event.tokenSymbol }}</b>\
                 {% if event.dueDate %}, due {{ event.dueDate }}{% endif %}.</p>\n\
                 {% if event.paymentUrl %}<p><a href=\"{{ event.paymentUrl }}\">Pay now</a></p>{% endif %}\n\
                 <p>Questions? Reply to this email.</p>",
            ),
            Notification::LatePayment => (
                "{{ account.name }}: your payment of {{ event.amount }} {{ event.tokenSymbol }} is late",
                "<p>Hello,</p>\n<p>Your payment of <b>{{ event.amount }} {{ event.tokenSymbol }}</b> to {{ account.name }}\
                 {% if event.dueDate %} was due {{ event.dueDate }}{% endif %} and has not been received.</p>\n\
                 {% if event.paymentUrl %}<p><a href=\"{{ event.paymentUrl }}\">Pay now</a></p>{% endif %}\n\
                 <p>Questions? Reply to this email.</p>",
            ),
            Notification::Receipt => (
                "Receipt from {{ account.name }}: {{ event.amount }} {{ event.tokenSymbol }}",
                "<p>Thank you for your payment to {{ account.name }}.</p>\n\
                 <p>Paid: <b>{{ event.amount }} {{ event.tokenSymbol }}</b><br>\n\
                 Network: {{ event.networkName }}<br>\nTransaction: <code>{{ event.transaction }}</code></p>\n\
                 <p>Questions? Reply to this email.</p>",
            ),
        };
        EmailTemplate {
            id: format!("default:{}", self.as_str()),
            name: format!("Default {}", self.as_str()),
            subject: subject.to_owned(),
            html: html.to_owned(),
            text: None,
            created_at: 0,
            updated_at: 0,
            version: 0,
        }
    }
}

/// Which automated emails an account sends, and the templates it chose for them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Notifications {
    pub payment_request: bool,
    pub late_payment: bool,
    pub receipt: bool,
    pub templates: NotificationTemplates,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NotificationTemplates {
    pub payment_request: Option<String>,
    pub late_payment: Option<String>,
    pub receipt: Option<String>,
}

impl Notifications {
    pub fn enabled(&self, which: Notification) -> bool {
        match which {
            Notification::PaymentRequest => self.payment_request,
            Notification::LatePayment => self.late_payment,
            Notification::Receipt => self.receipt,
        }
    }

    /// The merchant's template for it, if one was named.
    pub fn template(&self, which: Notification) -> Option<&str> {
        match which {
            Notification::PaymentRequest => self.templates.payment_request.as_deref(),
            Notification::LatePayment => self.templates.late_payment.as_deref(),
            Notification::Receipt => self.templates.receipt.as_deref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_choose_their_email_and_accounts_start_with_none() {
        assert_eq!(Notification::for_event("TransferFinalized"), Some(Notification::PaymentRequest));
        assert_eq!(Notification::for_event("LatePayment"), Some(Notification::LatePayment));
        assert_eq!(Notification::for_event("TransferProcessed"), Some(Notification::Receipt));
        assert_eq!(Notification::for_event("contact.created"), None);
        let none = Notifications::default();
        assert!(!none.enabled(Notification::PaymentRequest) && !none.enabled(Notification::Receipt));
        let stored: Notifications = serde_json::from_str(r#"{"latePayment": true}"#).unwrap();
        assert!(stored.enabled(Notification::LatePayment) && stored.template(Notification::LatePayment).is_none());
    }
}
