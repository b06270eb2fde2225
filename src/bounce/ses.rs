//! Amazon SES notifications (JSON, bare or inside an SNS envelope): bounces, complaints
//! and delivery reports, as SES publishes them to SNS topics and e-mail subscriptions.

use serde_json::Value;

use super::message::{self, Delivery, Extracted, Form};
use super::reply;

/// Largest JSON notification read.
const MAX_JSON_BYTES: usize = 1024 * 1024;

/// An Amazon SES notification, bare or wrapped in an SNS envelope.
pub fn from_json(text: &str) -> Option<Extracted> {
    if text.len() > MAX_JSON_BYTES {
        return None;
    }
    // SNS e-mail subscriptions wrap long lines with "!" + newline + space, and append a
    // footer after the JSON object.
    let unwrapped = text.replace("!\r\n ", "").replace("!\n ", "");
    let mut stream = serde_json::Deserializer::from_str(&unwrapped).into_iter::<Value>();
    let mut value = stream.next()?.ok()?;
    if let Some(inner) = value.get("Message").and_then(Value::as_str) {
        value = serde_json::from_str(inner).ok()?;
    }
    let kind = value
        .get("notificationType")
        .or_else(|| value.get("eventType"))
        .and_then(Value::as_str)?
        .to_ascii_lowercase();
    let sender = value
        .pointer("/mail/source")
        .and_then(Value::as_str)
        .map(str::to_string);
    let str_at = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let mut deliveries = Vec::new();
    let mut reporting_mta = None;
    match kind.as_str() {
        "bounce" => {
            let bounce = value.get("bounce")?;
            reporting_mta =
                str_at(bounce, "reportingMTA").map(|m| message::host_of(&m.replace("dsn;", "")));
            let subtype = str_at(bounce, "bounceSubType").unwrap_or_default();
            let recipients = bounce.get("bouncedRecipients").and_then(Value::as_array)?;
            for r in recipients.iter().take(500) {
                let diagnostic = str_at(r, "diagnosticCode")
                    .map(|d| reply::clean(d.trim_start_matches("smtp;").trim()))
                    .unwrap_or_default();
                let status = str_at(r, "status")
                    .and_then(|s| s.parse().ok())
                    .or_else(|| reply::find_status(&diagnostic));
                deliveries.push(Delivery {
                    recipient: str_at(r, "emailAddress"),
                    action: str_at(r, "action"),
                    status,
                    reply_code: reply::find_reply_code(&diagnostic),
                    context: format!("ses bounce subtype: {subtype}"),
                    diagnostic,
                    diagnostic_type: Some("smtp".into()),
                    forced_reason: (subtype.eq_ignore_ascii_case("suppressed")
                        || subtype.eq_ignore_ascii_case("onaccountsuppressionlist"))
                    .then_some("suppressed"),
                    ..Delivery::default()
                });
            }
        }
        "complaint" => {
            let complaint = value.get("complaint")?;
            let kind = str_at(complaint, "complaintFeedbackType").unwrap_or_else(|| "abuse".into());
            for r in complaint
                .get("complainedRecipients")
                .and_then(Value::as_array)?
                .iter()
                .take(500)
            {
                deliveries.push(Delivery {
                    recipient: str_at(r, "emailAddress"),
                    diagnostic: format!("Feedback-Type: {kind}"),
                    forced_reason: Some("feedback"),
                    ..Delivery::default()
                });
            }
        }
        "delivery" => {
            let delivery = value.get("delivery")?;
            reporting_mta = str_at(delivery, "reportingMTA");
            let response = str_at(delivery, "smtpResponse").unwrap_or_default();
            for r in delivery
                .get("recipients")
                .and_then(Value::as_array)?
                .iter()
                .take(500)
            {
                deliveries.push(Delivery {
                    recipient: r.as_str().map(str::to_string),
                    action: Some("delivered".into()),
                    status: reply::find_status(&response),
                    reply_code: reply::find_reply_code(&response),
                    diagnostic: response.clone(),
                    ..Delivery::default()
                });
            }
        }
        _ => return None,
    }
    Some(Extracted {
        form: Form::SesNotification,
        sender,
        reporting_mta,
        bounce_marked: true,
        deliveries,
    })
}
