//! The OpenAPI document covers every route, and its schemas describe what central really sends.

use std::collections::BTreeMap;

use chrono::Utc;
use hall_protocol::api::{ApiError, EventResult, Health, Lease, LeaseRequest, PushAck, PushBatch};
use hall_protocol::feed::{CallInfo, WindowStatus};
use hall_protocol::stats::DayStats;
use hall_protocol::{
    Application, ApplicationStatus, Appointment, Change, ChangeBody, CounterAction, DeviceEvent, EvaluationLevel, EventBody, EventOutcome, FeedPage, Hlc,
    Priority, TicketId,
};
use serde_json::Value;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_covers_every_route() {
    let server = Server::start(central_in_memory()).await;
    let doc = server.get_json("/openapi.json").await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let table = central::route_table();
    assert!(table.len() >= 20);
    for route in &table {
        let op = paths.get(route.path).and_then(|p| p.get(route.method.to_lowercase()));
        assert!(op.is_some(), "{} {} is served but not documented", route.method, route.path);
    }
    // And nothing documented that is not served.
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            assert!(table.iter().any(|r| r.path == path && r.method.eq_ignore_ascii_case(method)), "{method} {path} is documented but not served");
        }
    }
    server.stop().await;
}

/// Checks `value` against `schema` (a small subset of JSON Schema: what utoipa generates).
/// Objects may not carry properties the schema does not name, so a field renamed in
/// hall-protocol but not in the mirror fails.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        return check(doc, &doc["components"]["schemas"][name], value, at);
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        // Flattened structs: the value must fit the union of the parts' properties.
        let mut merged = serde_json::Map::new();
        let mut required = Vec::new();
        let mut variants = Vec::new();
        for part in all {
            let part = resolve(doc, part);
            if let Some(one) = part.get("oneOf") {
                variants.push(one.clone());
                continue;
            }
            merged.extend(part["properties"].as_object().cloned().unwrap_or_default());
            required.extend(part.get("required").and_then(Value::as_array).cloned().unwrap_or_default());
        }
        let obj = value.as_object().ok_or(format!("{at}: expected an object"))?;
        let mut rest = obj.clone();
        for (k, s) in &merged {
            if let Some(v) = obj.get(k) {
                check(doc, s, v, &format!("{at}.{k}"))?;
                rest.remove(k);
            }
        }
        for r in &required {
            let r = r.as_str().unwrap_or_default();
            if !obj.contains_key(r) {
                return Err(format!("{at}: missing required {r}"));
            }
        }
        if let Some(one) = variants.into_iter().next() {
            return check(doc, &serde_json::json!({ "oneOf": one }), &Value::Object(rest), at);
        }
        return if rest.is_empty() { Ok(()) } else { Err(format!("{at}: undocumented properties {:?}", rest.keys().collect::<Vec<_>>())) };
    }
    if let Some(one) = schema.get("oneOf").and_then(Value::as_array) {
        let errors: Vec<String> = one.iter().filter_map(|s| check(doc, s, value, at).err()).collect();
        return if errors.len() < one.len() { Ok(()) } else { Err(format!("{at}: fits no variant: {errors:?}")) };
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if value.is_null() {
        return if types.contains(&"null") || types.is_empty() { Ok(()) } else { Err(format!("{at}: null not allowed")) };
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        return if e.contains(value) { Ok(()) } else { Err(format!("{at}: {value} not in {e:?}")) };
    }
    match value {
        Value::Object(obj) => {
            if !types.contains(&"object") {
                return Err(format!("{at}: object where {types:?} expected"));
            }
            let props = schema["properties"].as_object().cloned().unwrap_or_default();
            for (k, v) in obj {
                let s = props.get(k).ok_or(format!("{at}: undocumented property {k}"))?;
                check(doc, s, v, &format!("{at}.{k}"))?;
            }
            for r in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
                let r = r.as_str().unwrap_or_default();
                if !obj.contains_key(r) {
                    return Err(format!("{at}: missing required {r}"));
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            if !types.contains(&"array") {
                return Err(format!("{at}: array where {types:?} expected"));
            }
            for (i, v) in items.iter().enumerate() {
                check(doc, &schema["items"], v, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        Value::String(_) if types.contains(&"string") => Ok(()),
        Value::Number(n) if types.contains(&"number") || (types.contains(&"integer") && (n.is_i64() || n.is_u64())) => Ok(()),
        Value::Bool(_) if types.contains(&"boolean") => Ok(()),
        other => Err(format!("{at}: {other} where {types:?} expected")),
    }
}

fn resolve<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    match s.get("$ref").and_then(Value::as_str) {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => s,
    }
}

#[test]
fn schemas_match_the_wire() {
    let doc = serde_json::to_value(central::openapi::document()).unwrap();
    let now = Utc::now();
    let t1 = TicketId::new(dev("kiosk-1"), 1);
    let counter = |action| counter_event("counter-1", 2, 1, action, now);
    let mut events = vec![ticket_event("kiosk-1", 1, "household", leased('A', 1), Some(3), 1, Priority::Elderly)];
    for action in [
        CounterAction::CallNext,
        CounterAction::Recall,
        CounterAction::Skip,
        CounterAction::Finish,
        CounterAction::Pause,
        CounterAction::Resume,
        CounterAction::Transfer { to: svc("exit-entry") },
    ] {
        events.push(counter(action));
    }
    events.push(DeviceEvent {
        body: EventBody::Evaluation { ticket_id: t1.clone(), level: EvaluationLevel::Fair, comment: "ok".into() },
        ..counter(CounterAction::Pause)
    });
    events
        .push(DeviceEvent { body: EventBody::AppointmentCheckedIn { appointment_id: "YY-1".into(), ticket_id: t1.clone() }, ..counter(CounterAction::Pause) });
    let fallback = ticket_event("kiosk-1", 1, "household", "A-1-001".parse().unwrap(), None, 1, Priority::Normal);
    events.push(fallback);

    let lease = Lease { lease_id: 1, device_id: dev("kiosk-1"), hall: hall(), service: svc("household"), business_day: day(), start: 1, end: 10 };
    let cat = catalogue();
    let bodies = vec![
        ChangeBody::Hall(cat.halls[0].clone()),
        ChangeBody::Service(cat.services[0].clone()),
        ChangeBody::Window(cat.windows[0].clone()),
        ChangeBody::Device(cat.devices[2].clone()),
        ChangeBody::Device(cat.devices[0].clone()),
        ChangeBody::Lease(lease.clone()),
        ChangeBody::Called(CallInfo { hall: hall(), window: 1, ticket_id: t1.clone(), number: leased('A', 1), service: svc("household"), recall: 0, at: now }),
        ChangeBody::QueueLength { hall: hall(), service: svc("household"), waiting: 3 },
        ChangeBody::WindowState { hall: hall(), window: 1, state: WindowStatus::Serving, current: Some(t1.clone()) },
        ChangeBody::WindowState { hall: hall(), window: 1, state: WindowStatus::Idle, current: None },
    ];
    let changes: Vec<Change> =
        bodies.into_iter().enumerate().map(|(i, body)| Change { cursor: i as u64 + 1, at: now, device: (i == 5).then(|| dev("kiosk-1")), body }).collect();
    let outcomes = vec![
        EventOutcome::Applied,
        EventOutcome::Called { ticket_id: t1.clone(), number: leased('A', 1), service: svc("household"), window: 1 },
        EventOutcome::QueueEmpty,
        EventOutcome::Rejected { reason: "no".into() },
    ];

    // A real day, for the stats and report shapes.
    let c = central_in_memory();
    let l = c
        .lease(
            Some(&dev("kiosk-1")),
            &LeaseRequest { device_id: dev("kiosk-1"), request_id: 1, hall: hall(), service: svc("household"), business_day: day(), size: 5 },
        )
        .unwrap();
    c.push(Some(&dev("kiosk-1")), &batch("kiosk-1", vec![ticket_event("kiosk-1", 1, "household", leased('A', 1), Some(l.lease_id), 1, Priority::Normal)]))
        .unwrap();
    for (seq, action) in [(1, CounterAction::CallNext), (2, CounterAction::Finish)] {
        c.push(Some(&dev("counter-1")), &batch("counter-1", vec![counter_event("counter-1", seq, 1, action, Utc::now())])).unwrap();
    }
    let stats: DayStats = c.stats(day(), None).unwrap();
    let application = Application {
        no: "SH1".into(),
        hall: hall(),
        service: svc("household"),
        title: "居住证签注".into(),
        name_masked: "张*".into(),
        id_masked: "310104********1234".into(),
        history: vec![ApplicationStatus { at: now, status: "受理".into(), note: String::new() }],
    };
    let appointment = Appointment {
        id: "YY-1".into(),
        hall: hall(),
        service: svc("household"),
        day: day(),
        slot: "09:30".into(),
        name_masked: "张*".into(),
        id_masked: "310104********1234".into(),
        ticket: Some(t1.clone()),
    };

    let samples: BTreeMap<&str, Value> = BTreeMap::from([
        ("PushBatch", serde_json::to_value(PushBatch { device_id: dev("kiosk-1"), events }).unwrap()),
        (
            "PushAck",
            serde_json::to_value(PushAck {
                high_water: 4,
                results: outcomes.into_iter().enumerate().map(|(i, outcome)| EventResult { device_seq: i as u64, duplicate: i == 0, outcome }).collect(),
                server_hlc: Hlc::new(1, 2),
            })
            .unwrap(),
        ),
        ("FeedPage", serde_json::to_value(FeedPage { changes, next_cursor: 10, more: false, server_hlc: Hlc::new(3, 0) }).unwrap()),
        ("Lease", serde_json::to_value(&lease).unwrap()),
        (
            "LeaseRequest",
            serde_json::to_value(LeaseRequest {
                device_id: dev("kiosk-1"),
                request_id: 1,
                hall: hall(),
                service: svc("household"),
                business_day: day(),
                size: 5,
            })
            .unwrap(),
        ),
        ("Catalogue", serde_json::to_value(c.catalogue(None).unwrap()).unwrap()),
        ("DayStats", serde_json::to_value(&stats).unwrap()),
        ("Health", serde_json::to_value(Health { status: "ok".into(), version: "0".into(), protocol: 1, server_hlc: Hlc::new(1, 0) }).unwrap()),
        ("ApiError", serde_json::to_value(ApiError { error: "sequence_gap".into(), message: "m".into(), expected_seq: Some(3) }).unwrap()),
        ("Application", serde_json::to_value(&application).unwrap()),
        ("Appointment", serde_json::to_value(&appointment).unwrap()),
        ("QueueSnapshot", serde_json::to_value(c.queue(&hall()).unwrap()).unwrap()),
        ("Ticket", serde_json::to_value(&c.tickets(day(), None).unwrap()[0]).unwrap()),
        ("Call", serde_json::to_value(&c.calls(day(), None).unwrap()[0]).unwrap()),
    ]);
    for (name, value) in &samples {
        let schema = &doc["components"]["schemas"][*name];
        assert!(!schema.is_null(), "schema {name} is not in the document");
        if let Err(e) = check(&doc, schema, value, name) {
            panic!("{name} does not match its schema: {e}\nvalue: {value}\nschema: {schema}");
        }
    }
    // The checker itself rejects what it should.
    let bad =
        serde_json::json!({ "lease_id": 1, "device_id": "kiosk-1", "hall": "xuhui", "service": "s", "business_day": "2026-11-24", "start": 1, "finish": 2 });
    assert!(check(&doc, &doc["components"]["schemas"]["Lease"], &bad, "Lease").is_err());
    let mut batch = samples["PushBatch"].clone();
    batch["events"][0]["kind"] = "teleport".into();
    assert!(check(&doc, &doc["components"]["schemas"]["PushBatch"], &batch, "PushBatch").is_err());
    let mut batch = samples["PushBatch"].clone();
    batch["events"][1]["payload"]["action"] = "dance".into();
    assert!(check(&doc, &doc["components"]["schemas"]["PushBatch"], &batch, "PushBatch").is_err());
}
