//! Evaluations (好差评): a citizen's rating of a served ticket, from a counter's evaluator pad or a
//! kiosk. The rated ticket may have been issued by any device.

use chrono::{DateTime, Utc};
use hall_protocol::{EvaluationLevel, EventBody, TicketId};
use rusqlite::params;

use crate::codec::{time_text, to_i64};
use crate::error::{Context, StoreError};
use crate::outbox::Writer;
use crate::store::Store;

/// Longest comment kept, in characters; evaluator pads send short texts, and the limit keeps one
/// bad input from bloating the outbox.
pub const MAX_COMMENT_CHARS: usize = 500;

impl Store {
    /// Records an evaluation and its `evaluation` event in one transaction; returns the event's
    /// sequence number.
    pub fn record_evaluation(&mut self, ticket_id: &TicketId, level: EvaluationLevel, comment: &str, now: DateTime<Utc>) -> Result<u64, StoreError> {
        if comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(StoreError::InvalidRequest(format!("an evaluation comment may have at most {MAX_COMMENT_CHARS} characters")));
        }
        let mut w = Writer::begin(self)?;
        let stamp = w.stamp(now);
        w.append(&stamp, &EventBody::Evaluation { ticket_id: ticket_id.clone(), level, comment: comment.to_owned() })?;
        let seq = to_i64("seq", stamp.seq)?;
        w.tx.prepare_cached("INSERT INTO evaluations (event_seq, ticket_id, level, comment, at) VALUES (?1, ?2, ?3, ?4, ?5)")
            .and_then(|mut s| s.execute(params![seq, ticket_id.to_string(), level.score(), comment, time_text(&now)]))
            .ctx("store evaluation")?;
        w.commit()?;
        Ok(stamp.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hall_protocol::DeviceId;

    #[test]
    fn evaluation_row_and_event_commit_together() {
        let mut s = Store::open_in_memory(DeviceId::new("counter-2").expect("id")).expect("opens");
        let t: TicketId = "kiosk-1/7".parse().expect("ticket id");
        let now = DateTime::from_timestamp_millis(1_000).expect("time");
        let seq = s.record_evaluation(&t, EvaluationLevel::Satisfied, "很快", now).expect("recorded");
        assert_eq!(seq, 1);
        let (tid, level, comment): (String, i64, String) = s
            .conn
            .query_row("SELECT ticket_id, level, comment FROM evaluations WHERE event_seq = 1", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("row");
        assert_eq!((tid.as_str(), level, comment.as_str()), ("kiosk-1/7", 4, "很快"));
        let e = &s.pending_events(10).expect("events")[0];
        assert_eq!(e.body, EventBody::Evaluation { ticket_id: t.clone(), level: EvaluationLevel::Satisfied, comment: "很快".into() });
        assert_eq!(e.at, now);
        let long = "好".repeat(MAX_COMMENT_CHARS + 1);
        assert!(matches!(s.record_evaluation(&t, EvaluationLevel::Fair, &long, now), Err(StoreError::InvalidRequest(_))));
        assert_eq!(s.last_seq().expect("seq"), 1, "a refused evaluation writes nothing");
    }
}
