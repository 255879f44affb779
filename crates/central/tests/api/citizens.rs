//! Appointments and applications: ID numbers are only ever stored masked and digested, and can
//! still be looked up; the number never reaches the database file.

use central::{Central, CentralConfig};
use hall_protocol::api::ApiError;
use hall_protocol::{Application, Appointment, DeviceEvent, EventBody, EventOutcome, Priority, TicketId};
use reqwest::StatusCode;

use crate::common::*;

const ID: &str = "31010419850203401X";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appointments_and_applications_keep_id_numbers_out_of_storage() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.db");
    let c = Central::open(&db, CentralConfig::default()).unwrap();
    c.load_catalogue(&catalogue()).unwrap();
    let server = Server::start(c).await;

    let appointment = serde_json::json!({
        "id": "YY20261124-0007", "hall": "xuhui", "service": "household", "day": "2026-11-24", "slot": "09:30",
        "name": "张三丰", "id_number": ID
    });
    let resp = server.http.post(server.url("/v1/appointments")).json(&appointment).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let booked: Appointment = resp.json().await.unwrap();
    assert_eq!((booked.name_masked.as_str(), booked.id_masked.as_str()), ("张**", "310104********401X"));
    let resp = server.http.post(server.url("/v1/appointments")).json(&appointment).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    // Found by ID number (in the body; lower-case x too), not by another.
    let found: Vec<Appointment> = server
        .http
        .post(server.url("/v1/appointments/search"))
        .json(&serde_json::json!({ "id_number": ID.to_lowercase(), "day": "2026-11-24" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found, vec![booked.clone()]);
    let none: Vec<Appointment> = server
        .http
        .post(server.url("/v1/appointments/search"))
        .json(&serde_json::json!({ "id_number": "310104198502034011" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(none.is_empty());
    let listed: Vec<Appointment> = serde_json::from_value(server.get_json("/v1/appointments?day=2026-11-24&hall=xuhui").await).unwrap();
    assert_eq!(listed.len(), 1);
    let resp = server.http.post(server.url("/v1/appointments/search")).json(&serde_json::json!({ "id_number": "123" })).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // A kiosk checks the appointment in with an appointment-priority ticket.
    let lease = server.lease("kiosk-1", 1, "household", 5).await;
    let ticket = ticket_event("kiosk-1", 1, "household", leased('A', 1), Some(lease.lease_id), 1, Priority::Appointment);
    let check_in = DeviceEvent {
        device_seq: 2,
        body: EventBody::AppointmentCheckedIn { appointment_id: booked.id.clone(), ticket_id: TicketId::new(dev("kiosk-1"), 1) },
        ..ticket.clone()
    };
    let other = DeviceEvent {
        device_seq: 3,
        body: EventBody::AppointmentCheckedIn { appointment_id: booked.id.clone(), ticket_id: TicketId::new(dev("kiosk-1"), 77) },
        ..ticket.clone()
    };
    let ack = server.push(&batch("kiosk-1", vec![ticket, check_in, other])).await;
    assert_eq!(ack.results[1].outcome, EventOutcome::Applied);
    assert!(matches!(&ack.results[2].outcome, EventOutcome::Rejected { reason } if reason.contains("already checked in")));
    let listed: Vec<Appointment> = serde_json::from_value(server.get_json("/v1/appointments?day=2026-11-24").await).unwrap();
    assert_eq!(listed[0].ticket, Some(TicketId::new(dev("kiosk-1"), 1)));

    // Applications: create, add a status, read, search.
    let new = serde_json::json!({ "no": "SH2026112400017", "hall": "xuhui", "service": "household", "title": "居住证签注", "name": "李四", "id_number": ID });
    let created: Application = server.http.post(server.url("/v1/applications")).json(&new).send().await.unwrap().json().await.unwrap();
    assert_eq!(created.history.len(), 1);
    assert_eq!(created.history[0].status, "受理");
    let resp = server
        .http
        .post(server.url("/v1/applications/SH2026112400017/status"))
        .json(&serde_json::json!({ "status": "办结", "note": "可领取" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let read: Application = serde_json::from_value(server.get_json("/v1/applications/SH2026112400017").await).unwrap();
    assert_eq!(read.history.iter().map(|s| s.status.as_str()).collect::<Vec<_>>(), vec!["受理", "办结"]);
    assert_eq!(read.id_masked, "310104********401X");
    let found: Vec<Application> =
        server.http.post(server.url("/v1/applications/search")).json(&serde_json::json!({ "id_number": ID })).send().await.unwrap().json().await.unwrap();
    assert_eq!(found, vec![read]);
    let resp = server.http.get(server.url("/v1/applications/SH0")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(resp.json::<ApiError>().await.unwrap().error, "not_found");
    let resp = server.http.post(server.url("/v1/applications/SH0/status")).json(&serde_json::json!({ "status": "办结" })).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // The ID number is nowhere in the database files (main file and WAL).
    let central = server.central.clone();
    server.stop().await;
    drop(central);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        // SQLite may remove its -wal/-shm files between the listing and the read: a file that is
        // gone holds nothing.
        let bytes = match std::fs::read(entry.unwrap().path()) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("reading a database file: {e}"),
        };
        for needle in [ID.as_bytes(), ID.to_lowercase().as_bytes(), "31010419850203".as_bytes()] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "the ID number leaked into storage");
        }
    }
}
