//! Arbitrary bytes (as they come, and wrapped in a frame with a valid CRC) into the LED panel's Modbus-RTU frame decoders (as the driver reads answers and
//! as the simulated panel reads requests): never a panic, every frame parses or is a typed error,
//! and the simulated panel answers any request with a frame the driver's decoder accepts.
#![no_main]

use std::time::Instant;

use device_drivers::led::modbus::{FrameDecoder, Request, Response, crc16};
use device_drivers::led::sim::SimPanel;
use device_drivers::led::{Geometry, SlaveAddress};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut panel = SimPanel::new(Geometry::STRIP_256X32, SlaveAddress::DEFAULT);
    let mut requests = FrameDecoder::requests();
    // Random bytes almost never carry a valid CRC; also send the input as one frame with its CRC
    // appended (address 1), so the PDU parsers and the panel's register logic are reached.
    let mut framed = vec![1u8];
    framed.extend_from_slice(&data[..data.len().min(252)]);
    framed.extend_from_slice(&crc16(&framed).to_le_bytes());
    requests.push(&framed);
    requests.push(data);
    while let Some(next) = requests.next_frame() {
        if let Ok(frame) = next {
            let _ = Request::parse(&frame.pdu);
            if let Some(answer) = panel.handle(&frame, Instant::now()) {
                let mut responses = FrameDecoder::responses();
                responses.push(&answer);
                let decoded = responses.next_frame().expect("a whole answer");
                let frame = decoded.expect("the panel's answers are well-formed");
                let _ = Response::parse(&frame.pdu);
            }
        }
    }
    let mut responses = FrameDecoder::responses();
    responses.expect(1, 0x10);
    responses.push(data);
    while let Some(next) = responses.next_frame() {
        if let Ok(frame) = next {
            let _ = Response::parse(&frame.pdu);
        }
    }
});
