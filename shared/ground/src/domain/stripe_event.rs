//! The Stripe event types Loop acts on, by Stripe's name, and what each is to Loop: a contact
//! event, a commerce event, and the kind of object it carries. The merchant's settings
//! (`stripe_config`) and ingest's policy both read this table.

use std::fmt;

/// The event types Loop acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    ChargeDisputeCreated,
    ChargeDisputeClosed,
    CheckoutSessionAsyncPaymentSucceeded,
    CheckoutSessionAsyncPaymentFailed,
    CheckoutSessionCompleted,
    CustomerCreated,
    CustomerUpdated,
    CustomerDeleted,
    CustomerSubscriptionCreated,
    CustomerSubscriptionPaused,
    CustomerSubscriptionResumed,
    CustomerSubscriptionTrialWillEnd,
    CustomerSubscriptionDeleted,
    InvoicePaid,
    InvoicePaymentFailed,
    InvoiceUpcoming,
    QuoteFinalized,
    QuoteAccepted,
    QuoteCanceled,
    ProductCreated,
    ProductUpdated,
    ProductDeleted,
    PriceCreated,
    PriceUpdated,
    PriceDeleted,
    InvoiceCreated,
    InvoiceFinalized,
}

use EventType::*;

const ALL: [(EventType, &str); 27] = [
    (ChargeDisputeCreated, "charge.dispute.created"),
    (ChargeDisputeClosed, "charge.dispute.closed"),
    (CheckoutSessionAsyncPaymentSucceeded, "checkout.session.async_payment_succeeded"),
    (CheckoutSessionAsyncPaymentFailed, "checkout.session.async_payment_failed"),
    (CheckoutSessionCompleted, "checkout.session.completed"),
    (CustomerCreated, "customer.created"),
    (CustomerUpdated, "customer.updated"),
    (CustomerDeleted, "customer.deleted"),
    (CustomerSubscriptionCreated, "customer.subscription.created"),
    (CustomerSubscriptionPaused, "customer.subscription.paused"),
    (CustomerSubscriptionResumed, "customer.subscription.resumed"),
    (CustomerSubscriptionTrialWillEnd, "customer.subscription.trial_will_end"),
    (CustomerSubscriptionDeleted, "customer.subscription.deleted"),
    (InvoicePaid, "invoice.paid"),
    (InvoicePaymentFailed, "invoice.payment_failed"),
    (InvoiceUpcoming, "invoice.upcoming"),
    (QuoteFinalized, "quote.finalized"),
    (QuoteAccepted, "quote.accepted"),
    (QuoteCanceled, "quote.canceled"),
    (ProductCreated, "product.created"),
    (ProductUpdated, "product.updated"),
    (ProductDeleted, "product.deleted"),
    (PriceCreated, "price.created"),
    (PriceUpdated, "price.updated"),
    (PriceDeleted, "price.deleted"),
    (InvoiceCreated, "invoice.created"),
    (InvoiceFinalized, "invoice.finalized"),
];

/// The kind of Stripe object an event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Customer,
    CheckoutSession,
    Invoice,
    Subscription,
    Quote,
    Dispute,
    Product,
    Price,
}

impl EventType {
    pub fn parse(raw: &str) -> Option<EventType> {
        ALL.iter().find(|(_, name)| *name == raw).map(|(t, _)| *t)
    }

    pub fn as_str(self) -> &'static str {
        ALL.iter().find(|(t, _)| *t == self).map(|(_, name)| *name).unwrap_or("")
    }

    /// Every type Loop handles, by Stripe's name: what a connected account's endpoint subscribes to.
    pub fn all_names() -> impl Iterator<Item = &'static str> {
        ALL.iter().map(|(_, name)| *name)
    }

    /// The 19 types that sync contacts and fire trigger events.
    pub fn contact_group() -> impl Iterator<Item = EventType> {
        ALL.iter().map(|(t, _)| *t).filter(|t| t.is_contact())
    }

    /// The contact group: every type but the catalogue's and the invoices' own.
    pub fn is_contact(self) -> bool {
        !self.is_catalogue_or_invoice()
    }

    /// Types that change the item catalogue, transfers or agreements.
    pub fn is_commerce(self) -> bool {
        self.is_catalogue_or_invoice() || matches!(self, CustomerSubscriptionCreated | CustomerSubscriptionDeleted)
    }

    fn is_catalogue_or_invoice(self) -> bool {
        matches!(
            self,
            ProductCreated
                | ProductUpdated
                | ProductDeleted
                | PriceCreated
                | PriceUpdated
                | PriceDeleted
                | InvoiceCreated
                | InvoiceFinalized
        )
    }

    pub fn object_kind(self) -> ObjectKind {
        match self {
            ChargeDisputeCreated | ChargeDisputeClosed => ObjectKind::Dispute,
            CheckoutSessionAsyncPaymentSucceeded | CheckoutSessionAsyncPaymentFailed | CheckoutSessionCompleted => {
                ObjectKind::CheckoutSession
            }
            CustomerCreated | CustomerUpdated | CustomerDeleted => ObjectKind::Customer,
            CustomerSubscriptionCreated
            | CustomerSubscriptionPaused
            | CustomerSubscriptionResumed
            | CustomerSubscriptionTrialWillEnd
            | CustomerSubscriptionDeleted => ObjectKind::Subscription,
            InvoicePaid | InvoicePaymentFailed | InvoiceUpcoming | InvoiceCreated | InvoiceFinalized => {
                ObjectKind::Invoice
            }
            QuoteFinalized | QuoteAccepted | QuoteCanceled => ObjectKind::Quote,
            ProductCreated | ProductUpdated | ProductDeleted => ObjectKind::Product,
            PriceCreated | PriceUpdated | PriceDeleted => ObjectKind::Price,
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_nineteen_contact_types_and_ten_commerce_types() {
        assert_eq!(EventType::contact_group().count(), 19);
        assert_eq!(ALL.iter().filter(|(t, _)| t.is_commerce()).count(), 10);
        for (t, name) in ALL {
            assert_eq!(EventType::parse(name), Some(t));
            assert!(t.is_contact() || t.is_commerce());
        }
    }
}
