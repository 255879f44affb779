//! The demo's closing report: what a hall manager would read at the end of the day, and the
//! invariant checks that make the demo a smoke test of the whole system.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use anyhow::Result;
use chrono::NaiveDate;
use hall_protocol::stats::Summary;
use hall_protocol::{EvaluationLevel, HallId, TicketId};
use serde_json::json;

use super::SimDevice;
use super::hall::{DemoCentral, Tally};

/// The report.
pub struct Report {
    pub text: String,
    pub json: serde_json::Value,
    /// False when a check failed.
    pub ok: bool,
}

/// Pads `s` to `width` terminal columns; CJK characters take two.
fn pad(s: &str, width: usize) -> String {
    let cols: usize = s.chars().map(|c| if ('\u{1100}'..).contains(&c) && !c.is_ascii() { 2 } else { 1 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(cols)))
}

fn minutes(s: &Summary) -> String {
    if s.count == 0 { "-".into() } else { format!("{:.1}", s.mean_s / 60.0) }
}
fn p90(s: &Summary) -> String {
    if s.count == 0 { "-".into() } else { format!("{:.1}", s.p90_s / 60.0) }
}

/// What the demo saw, for the report.
pub(super) struct Seen<'a> {
    /// Tickets the printer simulators received.
    pub printed_at_printers: u64,
    pub kiosks: &'a [SimDevice],
    /// Tickets kiosk-2 issued while cut off, or `None` when the link was never cut.
    pub offline: Option<&'a [TicketId]>,
    pub tally: &'a Tally,
    pub board_calls: u64,
}

pub(super) fn build(central: &DemoCentral, hall: &HallId, day: NaiveDate, seen: Seen<'_>) -> Result<Report> {
    let Seen { printed_at_printers, kiosks, offline, tally, board_calls } = seen;
    let partitioned = offline.is_some();
    let offline = offline.unwrap_or_default();
    let stats = central.stats(hall, day)?;
    let tickets = central.tickets(hall, day)?;
    let names = central.service_names(hall)?;
    let mut t = String::new();
    writeln!(t, "\n=== hallkit demo: business day {day}, hall {hall} ===")?;
    writeln!(t, "\nTickets per service (times in minutes)")?;
    writeln!(t, "  {} {:>6} {:>6} {:>7} {:>9} {:>8} {:>12}", pad("service", 28), "issued", "served", "no-show", "mean wait", "p90 wait", "mean service")?;
    for s in &stats.services {
        let name = names.get(&s.service).cloned().unwrap_or_else(|| s.service.to_string());
        writeln!(
            t,
            "  {} {:>6} {:>6} {:>7} {:>9} {:>8} {:>12}",
            pad(&format!("{} {}", s.service, name), 28),
            s.issued,
            s.served,
            s.no_show,
            minutes(&s.wait),
            p90(&s.wait),
            minutes(&s.service_time)
        )?;
    }
    writeln!(t, "\nServed per window")?;
    for w in &stats.windows {
        writeln!(
            t,
            "  window {:<3} served {:>4}   mean wait {:>5} min   mean service {:>5} min",
            w.window,
            w.served,
            minutes(&w.wait),
            minutes(&w.service_time)
        )?;
    }
    let levels: Vec<String> = EvaluationLevel::ALL.iter().map(|l| format!("{} {}", l.label_zh(), stats.evaluations[l.score() as usize - 1])).collect();
    writeln!(t, "\nEvaluations (好差评): {}", levels.join(", "))?;
    writeln!(
        t,
        "Counter actions: {} calls, {} recalls, {} skips (过号), {} transfers, {} pauses",
        tally.calls, tally.recalls, tally.skips, tally.transfers, tally.pauses
    )?;

    // Checks.
    let at_central: HashSet<&TicketId> = tickets.iter().map(|t| &t.ticket_id).collect();
    let offline_synced = offline.iter().filter(|id| at_central.contains(id)).count();
    let mut numbers: BTreeMap<(String, String), u32> = BTreeMap::new();
    for tk in &tickets {
        *numbers.entry((tk.issued_service.to_string(), tk.number.to_string())).or_default() += 1;
    }
    let duplicates = numbers.values().filter(|n| **n > 1).count();
    let mut outbox_left = 0;
    for k in kiosks {
        outbox_left += k.store().outbox_depth()?;
    }
    if partitioned {
        writeln!(
            t,
            "\nOffline: kiosk-2 issued {} tickets while cut off from central ({} fallback numbers issued in all); {} of them synced to central after the link came back.",
            offline.len(),
            tally.fallback,
            offline_synced
        )?;
    } else {
        writeln!(t, "\nkiosk-2 kept its link to central all day (--no-partition); {} fallback numbers issued.", tally.fallback)?;
    }
    writeln!(
        t,
        "Printing: {} tickets printed at issue; kiosk-1 ran out of paper for 20 minutes: {} tickets issued without printing (the number stays on screen), {} reprinted with their numbers after the roll was changed.",
        tally.printed, tally.not_printed, tally.reprinted
    )?;
    let mut unprinted = 0;
    for k in kiosks {
        unprinted += k.store().unprinted_tickets()?.len();
    }
    let checks = [
        (
            "every issued ticket reached central exactly once",
            tickets.len() as u64 == tally.issued,
            format!("{} issued, {} at central", tally.issued, tickets.len()),
        ),
        ("no number issued twice in a queue", duplicates == 0, format!("{duplicates} duplicated numbers")),
        ("every offline ticket synced", offline_synced == offline.len(), format!("{offline_synced}/{}", offline.len())),
        ("kiosk outboxes empty after closing", outbox_left == 0, format!("{outbox_left} events left")),
        (
            "every ticket printed exactly once, reprints included",
            unprinted == 0 && printed_at_printers == tally.issued && tally.printed + tally.reprinted == tally.issued,
            format!("{} issued, {printed_at_printers} at the printers, {unprinted} unprinted", tally.issued),
        ),
        (
            "the board saw every call and recall",
            board_calls == tally.calls + tally.recalls,
            format!("board {board_calls}, counters {}", tally.calls + tally.recalls),
        ),
    ];
    writeln!(t, "\nChecks")?;
    let mut ok = true;
    for (what, passed, detail) in &checks {
        ok &= passed;
        writeln!(t, "  [{}] {what} ({detail})", if *passed { "ok" } else { "FAILED" })?;
    }
    let json = json!({
        "day": day,
        "hall": hall,
        "stats": stats,
        "tally": {
            "issued": tally.issued, "fallback_numbers": tally.fallback, "calls": tally.calls, "recalls": tally.recalls,
            "skips": tally.skips, "transfers": tally.transfers, "finished": tally.finished, "ratings": tally.ratings,
            "pauses": tally.pauses, "sync_failures_while_offline": tally.sync_failures,
            "printed": tally.printed, "not_printed": tally.not_printed, "reprinted": tally.reprinted,
        },
        "offline": { "issued": offline.len(), "synced": offline_synced },
        "checks": checks.iter().map(|(w, p, d)| json!({"check": w, "ok": p, "detail": d})).collect::<Vec<_>>(),
        "ok": ok,
    });
    Ok(Report { text: t, json, ok })
}
