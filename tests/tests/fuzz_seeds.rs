//! The fuzzers' seed inputs stay valid protocol messages as the protocol evolves, so fuzzing starts
//! from real traffic rather than from nothing.

use hall_protocol::FeedPage;
use hall_protocol::api::PushBatch;

#[test]
fn fuzz_seeds_decode_as_protocol_messages() {
    let root = hall_e2e::central_fixture::repo_root().join("fuzz/seeds");
    let mut checked = 0;
    for dir in ["central_push", "wire_json"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let ok = serde_json::from_slice::<PushBatch>(&bytes).is_ok() || serde_json::from_slice::<FeedPage>(&bytes).is_ok();
            assert!(ok, "{} is not a PushBatch or FeedPage", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 4, "seeds missing: {checked}");
}
