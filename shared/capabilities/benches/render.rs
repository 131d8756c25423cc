//! Rendering a typical template for one contact: a receipt of about 2 KB of HTML with a
//! greeting (`default` filter), a condition, a loop over three lines, links and an unsubscribe
//! URL, auto-escaped, plus the subject and the text derived from the HTML (`email.md`).
//! Run: `cargo bench -p loop-capabilities --bench render`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use loop_capabilities::email::render;
use loop_ground::domain::email_template::EmailTemplate;
use serde_json::json;

fn receipt() -> EmailTemplate {
    let mut html = String::from(
        "<html><head><style>body{font-family:sans-serif}.total{font-weight:bold}</style></head><body>\n\
         <h1>Thanks, {{ contact.firstName | default(\"there\") }}!</h1>\n\
         <p>We received your payment of <b>{{ event.amount }} {{ event.currency }}</b> for {{ event.item }}.</p>\n\
         {% if event.invoiceNumber %}<p>Invoice {{ event.invoiceNumber }}</p>{% endif %}\n\
         <table>{% for line in event.lines %}<tr><td>{{ line.name }}</td><td>{{ line.amount }}</td></tr>{% endfor %}</table>\n\
         <p class=\"total\">Total: {{ event.amount }}</p>\n\
         <p><a href=\"https://acme.example/receipts/{{ event.invoiceNumber }}\">View your receipt</a></p>\n",
    );
    for _ in 0..12 {
        html.push_str(
            "<p>Questions? Reply to this email or write to {{ account.supportEmail }}; we answer within a day.</p>\n",
        );
    }
    html.push_str("<p><a href=\"{{ unsubscribeUrl }}\">Unsubscribe</a></p></body></html>");
    EmailTemplate {
        id: "et_bench".into(),
        name: "Receipt".into(),
        subject: "Your receipt from {{ account.name }}: {{ event.amount }} {{ event.currency }}".into(),
        html,
        text: None,
        created_at: 0,
        updated_at: 0,
        version: 1,
    }
}

fn bench(c: &mut Criterion) {
    let template = receipt();
    assert!(template.html.len() > 1_800, "{}", template.html.len());
    let contact = json!({"id": "ct_1", "email": "jane@example.com", "firstName": "Jane", "lastName": "Doe",
                         "userGroup": "pro", "source": "stripe", "subscribed": true, "plan": "gold"});
    let event = json!({"amount": "25.00", "currency": "USDC", "item": "Gold plan", "invoiceNumber": "INV-0042",
                       "lines": [{"name": "Gold plan", "amount": "20.00"}, {"name": "Seats <2>", "amount": "5.00"},
                                 {"name": "Tax", "amount": "0.00"}]});
    let variables = render::variables(
        contact,
        Some("invoice.paid"),
        event.as_object().unwrap(),
        json!({"name": "Acme", "supportEmail": "help@acme.example"}),
        Some("https://loop.example/u/tok"),
    );
    let rendered = render::render(&template, &variables).unwrap();
    assert!(rendered.html.contains("Seats &lt;2&gt;") && rendered.text.contains("Thanks, Jane!"));
    c.bench_function("render_receipt_for_one_contact", |b| {
        b.iter(|| render::render(black_box(&template), black_box(&variables)))
    });
    c.bench_function("check_receipt_at_save", |b| {
        b.iter(|| render::check(black_box(&template.subject), black_box(&template.html), None))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
