//! Rendering email templates: MiniJinja (Jinja2 syntax), HTML auto-escaped in `html` only, a
//! missing variable rendering empty (never a failed send), the text part derived from the HTML
//! when a template has none. Pure: no store, no AWS.

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::{json, Map, Value};

use loop_ground::domain::email_template::EmailTemplate;

/// A template part that does not parse or render: which part, the line, and the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}: line {line}: {message}")]
pub struct TemplateError {
    pub part: &'static str,
    pub line: usize,
    pub message: String,
}

/// What an email says, once rendered for one contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // `contact.firstName` on a contact without it (or without a contact) is empty, not an error.
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_auto_escape_callback(|name| if name == "html" { AutoEscape::Html } else { AutoEscape::None });
    env
}

fn error(part: &'static str, err: &minijinja::Error) -> TemplateError {
    let message = match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    };
    TemplateError { part, line: err.line().unwrap_or(1), message }
}

/// The parts of a template, as `(part name, source)`: the name decides auto-escaping.
fn parts(subject: &str, html: &str, text: Option<&str>) -> Vec<(&'static str, String)> {
    let mut parts = vec![("subject", subject.to_owned()), ("html", html.to_owned())];
    if let Some(text) = text {
        parts.push(("text", text.to_owned()));
    }
    parts
}

/// Checks that every part parses: what saving a template requires.
pub fn check(subject: &str, html: &str, text: Option<&str>) -> Result<(), TemplateError> {
    let env = environment();
    for (part, source) in parts(subject, html, text) {
        env.template_from_named_str(part, &source).map_err(|e| error(part, &e))?;
    }
    Ok(())
}

/// The variables a template sees (`email.md`): `contact`, `event` (its properties and
/// `eventName`), `account` (`name`, `supportEmail`) and `unsubscribeUrl`.
pub fn variables(
    contact: Value,
    event_name: Option<&str>,
    event: &Map<String, Value>,
    account: Value,
    unsubscribe_url: Option<&str>,
) -> Value {
    let mut event = event.clone();
    if let Some(name) = event_name {
        event.insert("eventName".into(), json!(name));
    }
    // A field that is null (a contact without a first name) is missing, as for a template it
    // is: it renders empty and `default(…)` applies, where null would render `None`.
    let mut contact = contact;
    for fields in [contact.as_object_mut(), Some(&mut event)].into_iter().flatten() {
        fields.retain(|_, v| !v.is_null());
    }
    json!({"contact": contact, "event": event, "account": account, "unsubscribeUrl": unsubscribe_url})
}

/// Renders `template` with `variables`.
pub fn render(template: &EmailTemplate, variables: &Value) -> Result<Rendered, TemplateError> {
    let env = environment();
    let mut out = Vec::with_capacity(3);
    for (part, source) in parts(&template.subject, &template.html, template.text.as_deref()) {
        let compiled = env.template_from_named_str(part, &source).map_err(|e| error(part, &e))?;
        out.push(compiled.render(variables).map_err(|e| error(part, &e))?);
    }
    let subject = out[0].split_whitespace().collect::<Vec<_>>().join(" ");
    let html = std::mem::take(&mut out[1]);
    let text = match out.get_mut(2) {
        Some(text) => std::mem::take(text),
        None => text_of_html(&html),
    };
    Ok(Rendered { subject, html, text })
}

/// A plain-text version of HTML: tags dropped, block ends as line breaks, links kept as
/// `text (url)`, the common entities decoded, blank runs collapsed.
pub fn text_of_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut pending_href: Vec<Option<String>> = Vec::new();
    let mut skipping: Option<&str> = None;
    while let Some(start) = rest.find('<') {
        if skipping.is_none() {
            out.push_str(&rest[..start]);
        }
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[start + 1..start + end];
        rest = &rest[start + end + 1..];
        let lower = tag.to_ascii_lowercase();
        let name = lower.trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
        let closing = lower.starts_with('/');
        if let Some(skipped) = skipping {
            if closing && name == skipped {
                skipping = None;
            }
            continue;
        }
        match (name, closing) {
            ("style" | "script" | "head" | "title", false) => {
                skipping = Some(match name {
                    "style" => "style",
                    "script" => "script",
                    "head" => "head",
                    _ => "title",
                })
            }
            ("br", _) => out.push('\n'),
            ("p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "tr" | "table" | "ul" | "ol", true) => {
                out.push_str("\n\n")
            }
            ("li", false) => out.push_str("\n- "),
            ("a", false) => pending_href.push(href_of(tag)),
            ("a", true) => {
                if let Some(Some(href)) = pending_href.pop() {
                    if !out.trim_end().ends_with(href.as_str()) {
                        out.push_str(&format!(" ({href})"));
                    }
                }
            }
            _ => {}
        }
    }
    if skipping.is_none() {
        out.push_str(rest);
    }
    let decoded = decode_entities(&out);
    // Collapse spaces within lines, and blank lines to one.
    let mut text = String::with_capacity(decoded.len());
    let mut blank = 0;
    for line in decoded.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")) {
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !text.is_empty() {
            text.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        text.push_str(&line);
    }
    text
}

fn href_of(tag: &str) -> Option<String> {
    let at = tag.to_ascii_lowercase().find("href=")?;
    let value = &tag[at + 5..];
    let quote = value.chars().next()?;
    let inner = if quote == '"' || quote == '\'' {
        value[1..].split(quote).next()?
    } else {
        value.split_whitespace().next()?
    };
    Some(decode_entities(inner))
}

fn decode_entities(s: &str) -> String {
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(subject: &str, html: &str, text: Option<&str>) -> EmailTemplate {
        EmailTemplate {
            id: "et_1".into(),
            name: "t".into(),
            subject: subject.into(),
            html: html.into(),
            text: text.map(str::to_owned),
            created_at: 0,
            updated_at: 0,
            version: 1,
        }
    }

    fn vars(contact: Value) -> Value {
        let event = json!({"amount": "10.00"}).as_object().unwrap().clone();
        variables(
            contact,
            Some("invoice.paid"),
            &event,
            json!({"name": "Acme", "supportEmail": "help@acme.test"}),
            None,
        )
    }

    #[test]
    fn null_fields_are_missing_so_defaults_apply() {
        let template = EmailTemplate {
            id: "et_1".into(),
            name: "n".into(),
            subject: "Hi {{ contact.firstName | default(\"there\") }}{{ event.plan }}".into(),
            html: "<p></p>".into(),
            text: None,
            created_at: 0,
            updated_at: 0,
            version: 1,
        };
        let mut event = Map::new();
        event.insert("plan".into(), Value::Null);
        let vars = variables(json!({"firstName": null}), None, &event, json!({}), None);
        assert_eq!(render(&template, &vars).unwrap().subject, "Hi there");
    }

    #[test]
    fn html_is_escaped_but_subject_and_text_are_not() {
        let t = template(
            "Hi {{ contact.firstName }}",
            "<p>Hi {{ contact.firstName }}</p>",
            Some("Hi {{ contact.firstName }}"),
        );
        let out = render(&t, &vars(json!({"firstName": "<Tom & Jerry>"}))).unwrap();
        assert_eq!(out.subject, "Hi <Tom & Jerry>");
        assert_eq!(out.html, "<p>Hi &lt;Tom &amp; Jerry&gt;</p>");
        assert_eq!(out.text, "Hi <Tom & Jerry>");
    }

    #[test]
    fn missing_variables_render_empty_and_defaults_apply() {
        let t = template(
            "{{ contact.firstName | default(\"there\") }}",
            "<p>{{ contact.nothing.deeper }}{{ nobody }}|{% if event.amount %}{{ event.amount }} for {{ event.eventName }}{% endif %}</p>",
            None,
        );
        let out = render(&t, &vars(json!({}))).unwrap();
        assert_eq!(out.subject, "there");
        assert_eq!(out.html, "<p>|10.00 for invoice.paid</p>");
        let out = render(&t, &json!({})).unwrap();
        assert_eq!(out.html, "<p>|</p>", "nothing at all still renders");
    }

    #[test]
    fn a_template_that_does_not_parse_names_its_part_and_line() {
        let err = check("ok", "<p>\nline two\n{% if x %}never closed</p>", None).unwrap_err();
        assert_eq!((err.part, err.line), ("html", 3), "{err}");
        let err = check("{{ unclosed", "<p></p>", None).unwrap_err();
        assert_eq!((err.part, err.line), ("subject", 1));
        assert!(check("a", "b", Some("{% endfor %}")).is_err());
        assert!(check("Hi {{ contact.firstName }}", "<p>{{ account.name }}</p>", None).is_ok());
    }

    #[test]
    fn text_is_derived_from_html() {
        let html =
            "<html><head><style>p{color:red}</style></head><body><h1>Receipt</h1><p>Paid &amp; done.<br>Thanks</p>\
                    <ul><li>One</li><li>Two</li></ul><p><a href=\"https://acme.test/r/1\">View</a></p></body></html>";
        assert_eq!(
            text_of_html(html),
            "Receipt\n\nPaid & done.\nThanks\n\n- One\n- Two\n\nView (https://acme.test/r/1)"
        );
    }
}
