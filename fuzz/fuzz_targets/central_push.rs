//! Central fed arbitrary event batches (as bytes off the wire) from a registered kiosk and counter:
//! it answers with a typed error or an acknowledgement, never a panic, and the queue engine's
//! invariants hold after every batch.
#![no_main]

use std::sync::{Arc, OnceLock};

use central::{Central, CentralConfig};
use hall_protocol::api::PushBatch;
use hall_protocol::{Catalogue, DeviceId};
use libfuzzer_sys::fuzz_target;

fn central() -> &'static Arc<Central> {
    static CENTRAL: OnceLock<Arc<Central>> = OnceLock::new();
    CENTRAL.get_or_init(|| {
        let c = Central::open_in_memory(CentralConfig::default()).expect("in-memory central");
        let text = include_str!("../../examples/central-catalogue.toml");
        let cat: Catalogue = central::parse_catalogue_toml(text).expect("example catalogue");
        c.load_catalogue(&cat).expect("catalogue loads");
        c
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(batch) = serde_json::from_slice::<PushBatch>(data) else { return };
    let c = central();
    for caller in ["kiosk-1", "counter-1"] {
        let caller = DeviceId::new(caller).expect("id");
        let _ = c.push(Some(&caller), &batch);
    }
    if let Ok(Some(engine)) = c.engine(&"xuhui".parse().expect("hall")) {
        let counts = engine.counts();
        assert_eq!(counts.enqueued, counts.waiting + counts.serving + counts.finished + counts.no_show, "{counts:?}");
    }
});
