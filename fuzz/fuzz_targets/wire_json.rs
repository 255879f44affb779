//! Every message a device or central receives, decoded from arbitrary bytes: never a panic, and
//! whatever decodes re-encodes to something that decodes to the same value.
#![no_main]

use hall_protocol::api::{ApiError, Lease, LeaseRequest, PushAck, PushBatch};
use hall_protocol::{Catalogue, Change, FeedPage};
use libfuzzer_sys::fuzz_target;
use serde::{Serialize, de::DeserializeOwned};

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(v) = serde_json::from_slice::<T>(data) {
        let text = serde_json::to_vec(&v).expect("a decoded value encodes");
        let again: T = serde_json::from_slice(&text).expect("an encoded value decodes");
        assert_eq!(v, again);
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<PushBatch>(data);
    round_trip::<PushAck>(data);
    round_trip::<LeaseRequest>(data);
    round_trip::<Lease>(data);
    round_trip::<FeedPage>(data);
    round_trip::<Change>(data);
    round_trip::<Catalogue>(data);
    round_trip::<ApiError>(data);
});
