//! # ui
//!
//! The screens of the three device roles: the kiosk's citizen flow, the hall board and the counter
//! terminal, in Slint, plus `embedded-graphics` bitmaps for LED panels. See docs/architecture.md.
//!
//! To be built by the touchscreen-UI issue. The UI only renders the state of the session state
//! machines that live in `kiosk` and sends user intents back: it never touches SQLite or devices.
//! Until then the crate holds the one piece of presentation the other crates already share: how a
//! call is worded on the board and by the voice announcer.
#![warn(missing_docs)]

/// The call announcement in Chinese, as boards show it and the announcer speaks it:
/// `请 A012 号到 3 号窗口办理`.
pub fn call_text_zh(number: &str, window: u16) -> String {
    format!("请 {number} 号到 {window} 号窗口办理")
}

/// The call announcement in English.
pub fn call_text_en(number: &str, window: u16) -> String {
    format!("Ticket {number}, please go to window {window}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn wording() {
        assert_eq!(super::call_text_zh("A012", 3), "请 A012 号到 3 号窗口办理");
        assert_eq!(super::call_text_en("A012", 3), "Ticket A012, please go to window 3");
    }
}
