//! Integration tests of the central service: a real server on 127.0.0.1:0 driven over HTTP.

mod bad_input;
mod business_days;
mod citizens;
mod common;
mod concurrency;
mod export;
mod failed_write;
mod leases;
mod openapi;
mod restart;
mod round_trip;
mod stream;
