//! Ticket numbers and identifiers parsed from arbitrary text: never a panic, and the canonical
//! text of whatever parses parses back to the same value.
#![no_main]

use hall_protocol::{DeviceId, ServiceCode, TicketId, TicketNumber};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(n) = s.parse::<TicketNumber>() {
        assert_eq!(n.to_string(), s, "only canonical spellings parse");
    }
    if let Ok(t) = s.parse::<TicketId>() {
        assert_eq!(t.to_string().parse::<TicketId>().ok(), Some(t));
    }
    if let Ok(d) = DeviceId::new(s) {
        assert_eq!(d.as_str(), s);
    }
    let _ = ServiceCode::new(s);
});
