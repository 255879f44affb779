//! Key maps and actions: the TOML format, and the typed errors a bad map gives.

use device_drivers::keypad::{Framing, KeyMap, KeyMapConfig, KeyMapError, KeyName, KeypadAction, UnknownAction};
use proptest::prelude::*;

fn parse(toml_text: &str) -> KeyMapConfig {
    toml::from_str(toml_text).expect("valid TOML")
}

#[test]
fn a_key_map_reads_from_toml() {
    let config = parse(
        r##"
        framing = "lines"
        keys = [
            { key = "1", action = "call_next" },
            { key = "2", action = "recall" },
            { key = "3", action = "skip" },
            { key = "4", action = "finish" },
            { key = "F1", action = "pause" },
            { key = "F2", action = "resume" },
            { key = "F3", action = "pause_resume" },
            { key = "*", action = "transfer:tax-office" },
            { key = "#", action = "rate:5" },
        ]
        "##,
    );
    let map = KeyMap::from_config(&config).expect("valid");
    assert_eq!(map.framing(), Framing::Lines);
    let action = |k: &str| map.action(&KeyName::new(k).expect("a key")).cloned();
    assert_eq!(action("1"), Some(KeypadAction::CallNext));
    assert_eq!(action("F3"), Some(KeypadAction::PauseResume));
    assert_eq!(action("*"), Some(KeypadAction::Transfer { to: "tax-office".into() }));
    assert_eq!(action("#"), Some(KeypadAction::Rate { score: 5 }));
    assert_eq!(action("9"), None);
    // Written back, it reads as the same map.
    let again = KeyMap::from_config(&parse(&toml::to_string(&map.to_config()).expect("serialises"))).expect("valid");
    assert_eq!(again, map);
}

#[test]
fn the_framing_defaults_to_plain() {
    let map = KeyMap::from_config(&parse(r#"keys = [{ key = "1", action = "call_next" }]"#)).expect("valid");
    assert_eq!(map.framing(), Framing::Plain);
}

#[test]
fn an_unknown_action_names_the_key_and_lists_the_actions() {
    let err = KeyMap::from_config(&parse(r#"keys = [{ key = "1", action = "call-next" }]"#)).expect_err("unknown action");
    assert!(matches!(&err, KeyMapError::UnknownAction { key, source: UnknownAction { text, .. } } if key == "1" && text == "call-next"), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("call_next") && text.contains("rate:<1-5>"), "{text}");
}

#[test]
fn invalid_arguments_are_unknown_actions() {
    for bad in ["rate:0", "rate:6", "rate:", "rate", "transfer", "transfer:", "transfer:Tax", "transfer:税务", "recall:2", "", "call_next "] {
        let err = bad.parse::<KeypadAction>().expect_err(bad);
        assert_eq!(err.text, bad);
    }
    let long = format!("transfer:{}", "a".repeat(33));
    assert!(long.parse::<KeypadAction>().is_err());
    assert!(format!("transfer:{}", "a".repeat(32)).parse::<KeypadAction>().is_ok());
}

#[test]
fn an_invalid_key_says_which_entry() {
    for bad in ["", "F 1", "TOOLONGKEY", "一"] {
        let config = KeyMapConfig {
            framing: Framing::Lines,
            keys: vec![
                device_drivers::keypad::KeyBinding { key: "1".into(), action: "recall".into() },
                device_drivers::keypad::KeyBinding { key: bad.into(), action: "skip".into() },
            ],
        };
        let err = KeyMap::from_config(&config).expect_err(bad);
        assert!(matches!(&err, KeyMapError::InvalidKey { index: 2, source } if source.text == bad), "{bad:?}: {err:?}");
    }
}

#[test]
fn a_key_bound_twice_is_refused() {
    let err = KeyMap::from_config(&parse(r#"keys = [{ key = "1", action = "call_next" }, { key = "1", action = "recall" }]"#)).expect_err("duplicate");
    assert_eq!(err, KeyMapError::DuplicateKey { key: "1".into() });
}

#[test]
fn a_plain_keypad_cannot_have_named_keys() {
    let err = KeyMap::from_config(&parse(r#"keys = [{ key = "F1", action = "call_next" }]"#)).expect_err("plain sends one byte");
    assert_eq!(err, KeyMapError::KeyNeedsLines { key: "F1".into() });
    assert!(err.to_string().contains("framing = \"lines\""), "{err}");
}

#[test]
fn an_empty_map_is_refused() {
    assert_eq!(KeyMap::from_config(&parse("keys = []")), Err(KeyMapError::Empty));
}

#[test]
fn the_presets_are_the_usual_layouts() {
    let counter = KeyMap::counter_default();
    let bound: Vec<(String, String)> = counter.iter().map(|(k, a)| (k.to_string(), a.to_string())).collect();
    assert_eq!(bound, [("1", "call_next"), ("2", "recall"), ("3", "skip"), ("4", "finish"), ("5", "pause_resume")].map(|(k, a)| (k.to_owned(), a.to_owned())));
    let evaluator = KeyMap::evaluator_default();
    for score in 1..=5u8 {
        assert_eq!(evaluator.action(&KeyName::new(score.to_string()).expect("a key")), Some(&KeypadAction::Rate { score }));
    }
    // Both pass their own validation.
    assert_eq!(KeyMap::from_config(&counter.to_config()).as_ref(), Ok(&counter));
}

#[test]
fn actions_serialise_as_their_short_names() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Doc {
        action: KeypadAction,
    }
    let doc = Doc { action: KeypadAction::Transfer { to: "b".into() } };
    let text = toml::to_string(&doc).expect("serialises");
    assert_eq!(text.trim(), r#"action = "transfer:b""#);
    assert_eq!(toml::from_str::<Doc>(&text).expect("reads back"), doc);
    assert!(toml::from_str::<Doc>(r#"action = "jump""#).is_err());
}

fn any_action() -> impl Strategy<Value = KeypadAction> {
    prop_oneof![
        Just(KeypadAction::CallNext),
        Just(KeypadAction::Recall),
        Just(KeypadAction::Skip),
        Just(KeypadAction::Finish),
        Just(KeypadAction::Pause),
        Just(KeypadAction::Resume),
        Just(KeypadAction::PauseResume),
        "[a-z0-9_-]{1,32}".prop_map(|to| KeypadAction::Transfer { to }),
        (1u8..=5).prop_map(|score| KeypadAction::Rate { score }),
    ]
}

proptest! {
    #[test]
    fn every_action_reads_back_from_its_name(action in any_action()) {
        prop_assert_eq!(action.to_string().parse::<KeypadAction>(), Ok(action));
    }

    #[test]
    fn any_text_parses_or_is_refused_without_panicking(text in "\\PC{0,40}") {
        let _ = text.parse::<KeypadAction>();
        let _ = KeyName::new(text);
    }
}
