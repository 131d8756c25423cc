//! Sending email through Amazon SES (API v2), behind a narrow [`Mailer`]: send one raw MIME
//! message, ask whether an identity may send. Messages are built here with lettre's builder
//! ([`mime`]): multipart text and HTML, `Reply-To`, and the RFC 8058 unsubscribe headers when asked.
//! SES's refusals (an unverified sender, a sandboxed recipient, a paused account) are told apart
//! from it being unavailable: a refusal is final, unavailability is retried.

use aws_sdk_sesv2::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, MessageTag, RawMessage};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use loop_ground::error::StoreError;

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// SES refused it, with its reason: sending it again will not help.
    #[error("refused by SES: {0}")]
    Refused(String),
    /// SES could not be reached or asked to slow down: try again later.
    #[error(transparent)]
    Unavailable(StoreError),
}

/// The SES client, as the functions that send email use it.
#[derive(Clone, Debug)]
pub struct Mailer {
    client: aws_sdk_sesv2::Client,
    /// The SES configuration set whose event destination reports bounces and complaints.
    configuration_set: Option<String>,
}

/// Error codes SES answers for a message it will not send (`SendEmail`'s documented errors).
const REFUSALS: &[&str] = &[
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "AccountSuspendedException",
    "SendingPausedException",
    "BadRequestException",
    "NotFoundException",
];

fn sdk_failure<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(DisplayErrorContext(&err).to_string())
        }
        SdkError::ServiceError(service)
            if matches!(service.err().code(), Some("TooManyRequestsException" | "LimitExceededException")) =>
        {
            StoreError::Unavailable(DisplayErrorContext(&err).to_string())
        }
        _ => StoreError::Fault(DisplayErrorContext(&err).to_string()),
    }
}

impl Mailer {
    pub fn new(client: aws_sdk_sesv2::Client, configuration_set: Option<String>) -> Self {
        Mailer { client, configuration_set }
    }

    /// Sends `raw` (a whole MIME message) from `from` to `to`; answers SES's message id. `tags`
    /// come back in SES's bounce and complaint notifications (`[A-Za-z0-9_.@-]` values).
    pub async fn send_raw(
        &self,
        from: &str,
        to: &str,
        raw: Vec<u8>,
        tags: &[(&str, &str)],
    ) -> Result<String, SendError> {
        let raw = RawMessage::builder().data(Blob::new(raw)).build().map_err(|e| SendError::Refused(e.to_string()))?;
        let tags = tags
            .iter()
            .map(|(name, value)| MessageTag::builder().name(*name).value(*value).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SendError::Refused(e.to_string()))?;
        // Boxed, as every SES call here: the SDK's futures are large, and would otherwise grow the
        // future of every request that may send.
        let result = Box::pin(
            self.client
                .send_email()
                .from_email_address(from)
                .destination(Destination::builder().to_addresses(to).build())
                .content(EmailContent::builder().raw(raw).build())
                .set_email_tags(Some(tags))
                .set_configuration_set_name(self.configuration_set.clone())
                .send(),
        )
        .await;
        match result {
            Ok(output) => Ok(output.message_id.unwrap_or_default()),
            Err(SdkError::ServiceError(service)) if service.err().code().is_some_and(|c| REFUSALS.contains(&c)) => {
                let err = service.err();
                Err(SendError::Refused(err.message().unwrap_or(err.code().unwrap_or("refused")).to_owned()))
            }
            Err(err) => Err(SendError::Unavailable(sdk_failure(err))),
        }
    }

    /// Whether SES lets `address` send: the address itself, or its domain, is a verified identity.
    pub async fn may_send_as(&self, address: &str) -> Result<bool, StoreError> {
        let domain = address.rsplit_once('@').map(|(_, d)| d);
        for identity in [Some(address), domain].into_iter().flatten() {
            match Box::pin(self.client.get_email_identity().email_identity(identity).send()).await {
                // SES says both; the emulator only the verification.
                Ok(found)
                    if found.verified_for_sending_status
                        || found.verification_status() == Some(&aws_sdk_sesv2::types::VerificationStatus::Success) =>
                {
                    return Ok(true)
                }
                Ok(_) => {}
                Err(SdkError::ServiceError(service)) if service.err().is_not_found_exception() => {}
                Err(err) => return Err(sdk_failure(err)),
            }
        }
        Ok(false)
    }

    /// Asks SES to verify `identity` (a domain or an address): what `make dev` does for the demo
    /// account in the emulator, which verifies at once. An identity that exists already is fine.
    pub async fn create_identity(&self, identity: &str) -> Result<(), StoreError> {
        match Box::pin(self.client.create_email_identity().email_identity(identity).send()).await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(service)) if service.err().is_already_exists_exception() => Ok(()),
            Err(err) => Err(sdk_failure(err)),
        }
    }
}

/// One message to build.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    pub from_name: Option<&'a str>,
    pub from_address: &'a str,
    pub to: &'a str,
    pub reply_to: Option<&'a str>,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// RFC 8058 one-click unsubscribe: the HTTPS URL (and a `mailto:`), for marketing email only.
    pub unsubscribe: Option<Unsubscribe<'a>>,
}

#[derive(Debug, Clone, Copy)]
pub struct Unsubscribe<'a> {
    pub url: &'a str,
    pub mailto: Option<&'a str>,
}

/// Why a message could not be built: an address that is not one.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the message: {0}")]
pub struct MimeError(String);

fn mailbox(name: Option<&str>, address: &str) -> Result<Mailbox, MimeError> {
    let address = address.parse().map_err(|_| MimeError(format!("{address} is not an email address")))?;
    Ok(Mailbox::new(name.map(str::to_owned), address))
}

fn raw_header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// The whole MIME message: `multipart/alternative` of the text and the HTML.
pub fn mime(email: &Outgoing<'_>) -> Result<Vec<u8>, MimeError> {
    let mut builder = lettre::Message::builder()
        .from(mailbox(email.from_name, email.from_address)?)
        .to(mailbox(None, email.to)?)
        .subject(email.subject);
    if let Some(reply_to) = email.reply_to {
        builder = builder.reply_to(mailbox(None, reply_to)?);
    }
    if let Some(unsubscribe) = email.unsubscribe {
        let mut value = format!("<{}>", unsubscribe.url);
        if let Some(mailto) = unsubscribe.mailto {
            value.push_str(&format!(", <{mailto}>"));
        }
        builder = builder
            .raw_header(raw_header("List-Unsubscribe", value))
            .raw_header(raw_header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".to_owned()));
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(email.text.to_owned(), email.html.to_owned()))
        .map_err(|e| MimeError(e.to_string()))?;
    Ok(message.formatted())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email<'a>() -> Outgoing<'a> {
        Outgoing {
            from_name: Some("Acme Support"),
            from_address: "hello@acme.test",
            to: "jane@example.com",
            reply_to: Some("help@acme.test"),
            subject: "Your receipt",
            text: "Thanks, Jane.",
            html: "<p>Thanks, <b>Jane</b>.</p>",
            unsubscribe: None,
        }
    }

    #[test]
    fn a_message_has_its_addresses_subject_and_both_bodies() {
        let raw = String::from_utf8(mime(&email()).unwrap()).unwrap();
        assert!(raw.contains("From: \"Acme Support\" <hello@acme.test>"), "{raw}");
        assert!(raw.contains("To: jane@example.com"), "{raw}");
        assert!(raw.contains("Reply-To: help@acme.test"), "{raw}");
        assert!(raw.contains("Subject: Your receipt"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("Thanks, Jane.") && raw.contains("<b>Jane</b>"), "{raw}");
        assert!(!raw.contains("List-Unsubscribe"), "transactional mail has no unsubscribe header");
    }

    #[test]
    fn marketing_mail_carries_the_one_click_unsubscribe_headers() {
        let unsubscribe =
            Unsubscribe { url: "https://loop.test/u/tok", mailto: Some("mailto:u@loop.test?subject=tok") };
        let raw = String::from_utf8(mime(&Outgoing { unsubscribe: Some(unsubscribe), ..email() }).unwrap()).unwrap();
        // Long headers are folded (RFC 5322): unfolded, the value is whole.
        let unfolded = raw.replace("\r\n ", " ");
        assert!(
            unfolded.contains("List-Unsubscribe: <https://loop.test/u/tok>, <mailto:u@loop.test?subject=tok>"),
            "{raw}"
        );
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{raw}");
    }

    #[test]
    fn a_bad_address_is_an_error_not_a_panic() {
        assert!(mime(&Outgoing { to: "not an address", ..email() }).is_err());
    }
}
