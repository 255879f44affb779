//! `central export`: a day's tickets, calls or statistics as JSON or CSV (with a header row).

use std::io::{self, Write};

use hall_protocol::stats::{DayStats, Summary};

use crate::records::{Call, Ticket};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// A pretty-printed JSON document.
    Json,
    /// Comma-separated values with a header row (RFC 4180 quoting).
    Csv,
}

/// One CSV field, quoted when it needs to be.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

fn row(out: &mut dyn Write, fields: &[String]) -> io::Result<()> {
    let line: Vec<String> = fields.iter().map(|f| field(f)).collect();
    writeln!(out, "{}", line.join(","))
}

fn json<T: serde::Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::other)?;
    writeln!(out)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Writes tickets.
pub fn tickets(out: &mut dyn Write, tickets: &[Ticket], format: Format) -> io::Result<()> {
    if format == Format::Json {
        return json(out, tickets);
    }
    row(
        out,
        &["ticket_id", "hall", "service", "issued_service", "number", "priority", "business_day", "issued_at", "issued_hlc", "lease_id", "state"]
            .map(String::from),
    )?;
    for t in tickets {
        row(
            out,
            &[
                t.ticket_id.to_string(),
                t.hall.to_string(),
                t.service.to_string(),
                t.issued_service.to_string(),
                t.number.to_string(),
                t.priority.as_str().to_owned(),
                t.business_day.to_string(),
                t.issued_at.to_rfc3339(),
                t.issued_hlc.to_string(),
                opt(t.lease_id),
                t.state.as_str().to_owned(),
            ],
        )?;
    }
    Ok(())
}

/// Writes calls.
pub fn calls(out: &mut dyn Write, calls: &[Call], format: Format) -> io::Result<()> {
    if format == Format::Json {
        return json(out, calls);
    }
    row(
        out,
        &["hall", "window", "ticket_id", "number", "service", "business_day", "called_at", "recalls", "ended_at", "outcome", "transferred_to"]
            .map(String::from),
    )?;
    for c in calls {
        row(
            out,
            &[
                c.hall.to_string(),
                c.window.to_string(),
                c.ticket_id.to_string(),
                c.number.to_string(),
                c.service.to_string(),
                c.business_day.to_string(),
                c.called_at.to_rfc3339(),
                c.recalls.to_string(),
                opt(c.ended_at.map(|t| t.to_rfc3339())),
                opt(c.outcome.map(|o| o.as_str())),
                opt(c.transferred_to.as_ref()),
            ],
        )?;
    }
    Ok(())
}

fn summary(s: &Summary) -> [String; 4] {
    [s.count.to_string(), format!("{:.1}", s.mean_s), format!("{:.1}", s.p50_s), format!("{:.1}", s.p90_s)]
}

/// Writes a day's statistics; as CSV, one row per service and one per window.
pub fn stats(out: &mut dyn Write, stats: &DayStats, format: Format) -> io::Result<()> {
    if format == Format::Json {
        return json(out, stats);
    }
    let mut header: Vec<String> = ["kind", "hall", "day", "name", "issued", "served", "no_show", "waiting", "expired"].map(String::from).to_vec();
    for part in ["wait", "service"] {
        for s in ["count", "mean_s", "p50_s", "p90_s"] {
            header.push(format!("{part}_{s}"));
        }
    }
    row(out, &header)?;
    for s in &stats.services {
        let mut fields = vec![
            "service".to_owned(),
            stats.hall.to_string(),
            stats.day.to_string(),
            s.service.to_string(),
            s.issued.to_string(),
            s.served.to_string(),
            s.no_show.to_string(),
            s.waiting.to_string(),
            s.expired.to_string(),
        ];
        fields.extend(summary(&s.wait));
        fields.extend(summary(&s.service_time));
        row(out, &fields)?;
    }
    for w in &stats.windows {
        let mut fields = vec![
            "window".to_owned(),
            stats.hall.to_string(),
            stats.day.to_string(),
            w.window.to_string(),
            String::new(),
            w.served.to_string(),
            String::new(),
            String::new(),
            String::new(),
        ];
        fields.extend(summary(&w.wait));
        fields.extend(summary(&w.service_time));
        row(out, &fields)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(field("A012"), "A012");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }
}
